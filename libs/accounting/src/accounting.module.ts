import { Module } from '@nestjs/common';
import { Usage } from './usage.service';

/** Usage per caller; RedisConnections and Metrics come from global modules. */
@Module({
  providers: [Usage],
  exports: [Usage],
})
export class AccountingModule {}
