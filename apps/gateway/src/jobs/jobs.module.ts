import { Module } from '@nestjs/common';
import { RateLimitModule } from '@breakwater/rate-limit';
import { CallerGuard } from '../auth/caller.guard';
import { JobsController } from './jobs.controller';
import { StatusStreams } from './status-streams';

/** Status, status events and results of queued requests (the QueueModule is imported once, by the gateway module). */
@Module({
  imports: [RateLimitModule],
  providers: [CallerGuard, StatusStreams],
  controllers: [JobsController],
})
export class JobsModule {}
