import { Module } from '@nestjs/common';
import { LlmProviderModule } from '@breakwater/llm-provider';
import { BudgetGauges } from './budget-gauges';
import { BudgetLedger } from './budget-ledger';
import { ConcurrencySlots } from './concurrency-slots';
import { Limits } from './limits.service';
import { OutboundLimits } from './outbound-limits.service';
import { WindowLimiters } from './window-limiters';

/**
 * Limits and outbound quotas; AppConfig, RedisConnections and Metrics come from global modules,
 * the price table (what a USD budget needs) from LlmProviderModule.
 */
@Module({
  imports: [LlmProviderModule],
  providers: [WindowLimiters, ConcurrencySlots, BudgetLedger, BudgetGauges, Limits, OutboundLimits],
  exports: [Limits, OutboundLimits],
})
export class RateLimitModule {}
