/** A day's budget of one subject (caller or end user): tokens, USD, or both. */
export interface DayBudget {
  tokens?: number;
  costUsd?: number;
}

/** What a subject has spent today and what requests in flight have reserved. */
export interface BudgetStanding {
  spentTokens: number;
  reservedTokens: number;
  spentCost: number;
  reservedCost: number;
}

/** Why a budget refuses: `spent` when settled spend alone reached it, else requests in flight hold it. */
export type BudgetRefusal = { kind: 'tokens' | 'cost'; spent: boolean };

/**
 * The admission rule, applied before anything is reserved: a request is admitted while spend plus the
 * reservations in flight is strictly under the budget. Its own estimate is not part of the test (it is
 * reserved after), so a budget of 30 tokens and calls that use 18 each go 200 (0 < 30), 200 (18 < 30),
 * 429 (36 >= 30): a day ends over its budget by at most one request, and a burst cannot add more because
 * every admitted request's estimate counts against the next one at once.
 */
export function budgetRefusal(budget: DayBudget, standing: BudgetStanding): BudgetRefusal | undefined {
  if (budget.tokens !== undefined && standing.spentTokens + standing.reservedTokens >= budget.tokens) {
    return { kind: 'tokens', spent: standing.spentTokens >= budget.tokens };
  }
  if (budget.costUsd !== undefined && standing.spentCost + standing.reservedCost >= budget.costUsd) {
    return { kind: 'cost', spent: standing.spentCost >= budget.costUsd };
  }
  return undefined;
}

/** Seconds until the next UTC midnight, rounded up, at least 1: the Retry-After of a spent budget. */
export function secondsUntilUtcMidnight(at: number | Date): number {
  const now = new Date(at).getTime();
  const next = new Date(now);
  next.setUTCHours(24, 0, 0, 0);
  return Math.max(1, Math.ceil((next.getTime() - now) / 1000));
}
