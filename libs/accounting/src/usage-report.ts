/** What one request adds to its caller's usage. */
export interface UsageEntry {
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  cacheHit: boolean;
}

/** The counters of a period, in total or for one model. */
export interface UsageCounts {
  requests: number;
  cache_hits: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
}

export interface UsagePeriod extends UsageCounts {
  /** Per `provider/model`. */
  by_model: Record<string, UsageCounts>;
}

/** The `GET /v1/usage` body: the caller's usage today and this month (UTC). */
export interface UsageReport {
  caller: string;
  day: UsagePeriod & { date: string };
  month: UsagePeriod & { month: string };
}

const COUNTERS = ['requests', 'cache_hits', 'tokens_in', 'tokens_out', 'cost_usd'] as const;
type Counter = (typeof COUNTERS)[number];

/**
 * The hash fields one request increments: each counter in total (`tokens_in`) and for its model
 * (`tokens_in:openrouter/vendor/model:free`). Counter names hold no `:`, so splitting a field at its
 * first `:` gives back the counter and the model whatever the model name contains.
 */
export function usageIncrements(model: string, entry: UsageEntry): [field: string, by: number][] {
  const values: Record<Counter, number> = {
    requests: 1,
    cache_hits: entry.cacheHit ? 1 : 0,
    tokens_in: Math.round(entry.tokensIn),
    tokens_out: Math.round(entry.tokensOut),
    cost_usd: entry.costUsd,
  };
  return COUNTERS.filter((counter) => values[counter] !== 0).flatMap((counter) => [
    [counter, values[counter]] as [string, number],
    [`${counter}:${model}`, values[counter]] as [string, number],
  ]);
}

function emptyCounts(): UsageCounts {
  return { requests: 0, cache_hits: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0 };
}

function isCounter(name: string): name is Counter {
  return (COUNTERS as readonly string[]).includes(name);
}

/** A period read back from its hash fields (strings from Redis, numbers from memory), summed over sources. */
export function usagePeriodOf(...sources: Record<string, string | number>[]): UsagePeriod {
  const period: UsagePeriod = { ...emptyCounts(), by_model: {} };
  for (const fields of sources) {
    for (const [field, raw] of Object.entries(fields)) {
      const value = Number(raw);
      if (!Number.isFinite(value)) continue;
      const colon = field.indexOf(':');
      const counter = colon === -1 ? field : field.slice(0, colon);
      if (!isCounter(counter)) continue;
      const target = colon === -1 ? period : (period.by_model[field.slice(colon + 1)] ??= emptyCounts());
      target[counter] += value;
    }
  }
  // Summed floats carry residue (0.30000000000000004): USD to the nano-dollar is plenty.
  period.cost_usd = roundUsd(period.cost_usd);
  for (const counts of Object.values(period.by_model)) counts.cost_usd = roundUsd(counts.cost_usd);
  return period;
}

function roundUsd(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}
