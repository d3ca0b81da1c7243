import { Module } from '@nestjs/common';
import { LlmProviderModule } from '@breakwater/llm-provider';
import { CallerGuard } from '../auth/caller.guard';
import { ProvidersController } from './providers.controller';

/** Operators' endpoints: providers now; cache invalidation and usage join with their libs. */
@Module({
  imports: [LlmProviderModule],
  providers: [CallerGuard],
  controllers: [ProvidersController],
})
export class AdminModule {}
