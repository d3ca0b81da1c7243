import { DynamicModule, Module } from '@nestjs/common';
import { DestinationStream } from 'pino';
import { AppConfig, ConfigModule } from '@breakwater/config';
import { HealthModule } from '@breakwater/health';
import { QueueModule } from '@breakwater/queue';
import { ObservabilityModule } from '@breakwater/observability';
import { RedisModule } from '@breakwater/redis';
import { AdminModule } from './admin/admin.module';
import { BoardModule } from './board/board.module';
import { ChatModule } from './chat/chat.module';
import { EmbeddingsModule } from './embeddings/embeddings.module';
import { JobsModule } from './jobs/jobs.module';
import { ModelsModule } from './models/models.module';
import { ResponsesModule } from './responses/responses.module';
import { CompletionsModule } from './completions/completions.module';

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig, logDestination?: DestinationStream): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(config, logDestination),
        RedisModule,
        QueueModule.forRoot({ processing: config.workers.run }),
        HealthModule,
        ChatModule,
        ResponsesModule,
        CompletionsModule,
        EmbeddingsModule,
        ModelsModule,
        JobsModule,
        AdminModule,
        BoardModule,
      ],
    };
  }
}
