import { BudgetRefusal, BudgetStanding, DayBudget, budgetRefusal } from './budget-rule';

interface Entry {
  day: string;
  /** Spend settled in this process and not yet handed to Redis. */
  spentTokens: number;
  spentCost: number;
  reservations: Map<string, { tokens: number; cost: number; expires: number }>;
}

/** Unsettled spend of one budget key, taken out of memory to be written to Redis. */
export interface PendingSpend {
  key: string;
  day: string;
  tokens: number;
  cost: number;
}

/**
 * The budget ledger of one process while Redis is down: the same rule and the same reservations with
 * leases, kept in a Map. Its spend is what this process settled during the outage; it is handed to Redis
 * when Redis returns (takeSpend), so the shared day totals end up complete.
 */
export class MemoryBudgetLedger {
  private readonly entries = new Map<string, Entry>();
  private today = '';

  /** Index of the first refusing budget, or -1 once the reservation is taken in every key. */
  reserve(
    day: string,
    keys: readonly string[],
    budgets: readonly DayBudget[],
    reservation: { id: string; tokens: number; cost: number; expires: number },
    now: number,
  ): { index: number; refusal: BudgetRefusal } | undefined {
    this.forgetPastDays(day);
    const entries = keys.map((key) => this.entryOf(key, day));
    for (const [index, entry] of entries.entries()) {
      for (const [id, held] of entry.reservations) if (held.expires <= now) entry.reservations.delete(id);
      const refusal = budgetRefusal(budgets[index], standingOf(entry));
      if (refusal) return { index, refusal };
    }
    for (const entry of entries) {
      entry.reservations.set(reservation.id, {
        tokens: reservation.tokens,
        cost: reservation.cost,
        expires: reservation.expires,
      });
    }
    return undefined;
  }

  /** Removes a reservation; true where it was still pending in the first key. */
  drop(keys: readonly string[], id: string): boolean {
    let pending = false;
    keys.forEach((key, index) => {
      const removed = this.entries.get(key)?.reservations.delete(id) ?? false;
      if (index === 0) pending = removed;
    });
    return pending;
  }

  spend(day: string, keys: readonly string[], tokens: number, cost: number): void {
    for (const key of keys) {
      const entry = this.entryOf(key, day);
      entry.spentTokens += tokens;
      entry.spentCost += cost;
    }
  }

  /** The spend settled here since the last call, removed from memory (put back with spend() if writing it fails). */
  takeSpend(): PendingSpend[] {
    const pending: PendingSpend[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.spentTokens === 0 && entry.spentCost === 0) continue;
      pending.push({ key, day: entry.day, tokens: entry.spentTokens, cost: entry.spentCost });
      entry.spentTokens = 0;
      entry.spentCost = 0;
    }
    return pending;
  }

  private entryOf(key: string, day: string): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { day, spentTokens: 0, spentCost: 0, reservations: new Map() };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Yesterday's entries go once the day changes, unless spend in them still waits for Redis. */
  private forgetPastDays(day: string): void {
    if (day === this.today) return;
    this.today = day;
    for (const [key, entry] of this.entries) {
      if (entry.day !== day && entry.spentTokens === 0 && entry.spentCost === 0) this.entries.delete(key);
    }
  }
}

function standingOf(entry: Entry): BudgetStanding {
  let reservedTokens = 0;
  let reservedCost = 0;
  for (const held of entry.reservations.values()) {
    reservedTokens += held.tokens;
    reservedCost += held.cost;
  }
  return { spentTokens: entry.spentTokens, reservedTokens, spentCost: entry.spentCost, reservedCost };
}
