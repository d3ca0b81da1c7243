import { Module, DynamicModule } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@breakwater/config';
import { HealthModule } from '@breakwater/health';
import { ObservabilityModule } from '@breakwater/observability';
import { QueueModule } from '@breakwater/queue';
import { RedisModule } from '@breakwater/redis';

/** The worker process: the same libs as the gateway, queue processing on, no `/v1` API; `/health/*` and `/metrics` only. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(config),
        RedisModule,
        QueueModule.forRoot({ processing: true }),
        HealthModule,
      ],
    };
  }
}
