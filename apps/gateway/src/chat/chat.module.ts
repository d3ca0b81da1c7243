import { Module } from '@nestjs/common';
import { CacheModule } from '@breakwater/cache';
import { CompletionModule } from '@breakwater/completion';
import { IdempotencyModule } from '@breakwater/idempotency';
import { RateLimitModule } from '@breakwater/rate-limit';
import { CallerGuard } from '../auth/caller.guard';
import { ModelsModule } from '../models/models.module';
import { BatchController } from './batch.controller';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';

@Module({
  imports: [CompletionModule, CacheModule, RateLimitModule, IdempotencyModule, ModelsModule],
  providers: [ChatService, CallerGuard],
  exports: [ChatService],
  controllers: [ChatController, BatchController],
})
export class ChatModule {}
