import { Module } from '@nestjs/common';
import { AccountingModule } from '@breakwater/accounting';
import { CacheModule } from '@breakwater/cache';
import { LlmProviderModule } from '@breakwater/llm-provider';
import { RateLimitModule } from '@breakwater/rate-limit';
import { CompletionStep } from './completion.step';

/** The completion step; AppConfig, RedisConnections and Metrics come from global modules. */
@Module({
  imports: [LlmProviderModule, CacheModule, RateLimitModule, AccountingModule],
  providers: [CompletionStep],
  exports: [CompletionStep],
})
export class CompletionModule {}
