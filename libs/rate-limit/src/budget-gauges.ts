import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { utcDay } from '@breakwater/accounting';
import { AppConfig } from '@breakwater/config';
import { Metrics } from '@breakwater/observability';
import { BudgetLedger } from './budget-ledger';
import { GLOBAL_SUBJECT } from './rate-limit-keys';

/** How often the spend gauges are read from Redis: an alert at 80% needs no finer grain. */
const REFRESH_MS = 5_000;

/**
 * `budget_limit_usd{scope}` and `budget_spent_usd{scope}` for the gateway-wide USD budget (scope `global`)
 * and every caller with one (scope: its id; callers come from the callers file, so the label is bounded).
 * The spend is the day's shared total in Redis, the same on every replica; while Redis cannot answer the
 * gauges keep their last value.
 */
@Injectable()
export class BudgetGauges implements OnModuleInit, OnApplicationShutdown {
  private readonly budgets: { scope: string; subject: string; limit: number }[];
  private timer?: NodeJS.Timeout;

  constructor(
    config: AppConfig,
    private readonly ledger: BudgetLedger,
    private readonly metrics: Metrics,
  ) {
    const global = config.rateLimit.globalCostUsdPerDay;
    this.budgets = [
      ...(global > 0 ? [{ scope: 'global', subject: GLOBAL_SUBJECT, limit: global }] : []),
      ...config.callers.list.flatMap((caller) =>
        caller.limits.cost_usd_per_day !== undefined
          ? [{ scope: caller.id, subject: caller.id, limit: caller.limits.cost_usd_per_day }]
          : [],
      ),
    ];
  }

  onModuleInit(): void {
    if (this.budgets.length === 0) return;
    for (const { scope, limit } of this.budgets) {
      this.metrics.budgetLimitUsd.set({ scope }, limit);
      this.metrics.budgetSpentUsd.set({ scope }, 0);
    }
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), REFRESH_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Reads the day's spend of every budget in one round trip. */
  async refresh(now = Date.now()): Promise<void> {
    const spent = await this.ledger.spentUsd(
      this.budgets.map((budget) => budget.subject),
      utcDay(now),
    );
    if (!spent) return;
    this.budgets.forEach(({ scope }, index) => this.metrics.budgetSpentUsd.set({ scope }, spent[index]));
  }
}
