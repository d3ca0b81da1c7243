import { Module } from '@nestjs/common';
import { IdempotencyStore } from './idempotency.store';

/** The `idempotency-key` store; AppConfig and RedisConnections come from global modules. */
@Module({
  providers: [IdempotencyStore],
  exports: [IdempotencyStore],
})
export class IdempotencyModule {}
