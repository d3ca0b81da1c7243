import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { RedisHealthIndicator } from './redis.health';
import { ShutdownState } from './shutdown-state';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  providers: [RedisHealthIndicator, ShutdownState],
  exports: [ShutdownState],
  controllers: [HealthController],
})
export class HealthModule {}
