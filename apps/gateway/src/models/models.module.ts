import { Module } from '@nestjs/common';
import { LlmProviderModule } from '@breakwater/llm-provider';
import { RateLimitModule } from '@breakwater/rate-limit';
import { CallerGuard } from '../auth/caller.guard';
import { ModelAccess } from './model-access';
import { ModelsController } from './models.controller';

/** Aliases and allow-lists (ModelAccess, which the chat path uses too) and `GET /v1/models`. */
@Module({
  imports: [LlmProviderModule, RateLimitModule],
  providers: [ModelAccess, CallerGuard],
  controllers: [ModelsController],
  exports: [ModelAccess],
})
export class ModelsModule {}
