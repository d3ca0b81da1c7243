import { Module, DynamicModule } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@breakwater/config';
import { HealthModule } from '@breakwater/health';
import { ObservabilityModule } from '@breakwater/observability';
import { RedisModule } from '@breakwater/redis';

/** The worker process: the same libs as the gateway, no `/v1` API; `/health/*` and `/metrics` only. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule.forRoot(config), RedisModule, HealthModule],
    };
  }
}
