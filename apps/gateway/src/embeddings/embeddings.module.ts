import { Module } from '@nestjs/common';
import { CacheModule } from '@breakwater/cache';
import { CompletionModule } from '@breakwater/completion';
import { RateLimitModule } from '@breakwater/rate-limit';
import { CallerGuard } from '../auth/caller.guard';
import { ModelsModule } from '../models/models.module';
import { EmbeddingsController } from './embeddings.controller';
import { EmbeddingsService } from './embeddings.service';

@Module({
  imports: [CompletionModule, CacheModule, RateLimitModule, ModelsModule],
  providers: [EmbeddingsService, CallerGuard],
  controllers: [EmbeddingsController],
})
export class EmbeddingsModule {}
