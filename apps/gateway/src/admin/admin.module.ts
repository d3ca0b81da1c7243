import { Module } from '@nestjs/common';
import { AccountingModule } from '@breakwater/accounting';
import { CacheModule } from '@breakwater/cache';
import { LlmProviderModule } from '@breakwater/llm-provider';
import { RateLimitModule } from '@breakwater/rate-limit';
import { CallerGuard } from '../auth/caller.guard';
import { CacheController } from './cache.controller';
import { ProvidersController } from './providers.controller';
import { UsageController } from './usage.controller';

/** Operators' endpoints: providers, cache invalidation and usage. */
@Module({
  imports: [LlmProviderModule, CacheModule, RateLimitModule, AccountingModule],
  providers: [CallerGuard],
  controllers: [ProvidersController, CacheController, UsageController],
})
export class AdminModule {}
