import { Injectable, Logger } from '@nestjs/common';
import { usdString } from '@breakwater/accounting';
import { AppConfig } from '@breakwater/config';
import {
  RedisClient,
  RedisConnections,
  defineScripts,
  execOrThrow,
  forEachSlotGroup,
  mapSlotGroups,
  takeInSlotRuns,
} from '@breakwater/redis';
import { BudgetRefusal, DayBudget } from './budget-rule';
import { MemoryBudgetLedger } from './memory-budget-ledger';
import { GLOBAL_SUBJECT, budgetKey, reservationsKey, subjectOf } from './rate-limit-keys';
import { RATE_LIMIT_SCRIPTS_DIR } from './rate-limit-scripts';

/**
 * Serialisable: what a request reserved against the day's budgets. It travels with a queued job so that
 * any process can settle it. `id` names the reservation in the ledger; `store` says where it was taken
 * (`memory`: in the admitting process, while Redis was down). The reservation covers the caller, its end
 * user when the request named one, and the gateway-wide budget when one is set (`global`).
 */
export interface BudgetReservation {
  id: string;
  store: 'redis' | 'memory';
  callerId: string;
  endUser?: string;
  /** Reserved against GLOBAL_TOKENS_PER_DAY / GLOBAL_COST_USD_PER_DAY as well. */
  global?: boolean;
  /** The UTC day it counts against, `2025-11-23`; its spend counts there too, even if settled later. */
  day: string;
  tokens: number;
  costUsd: number;
}

export type ReserveOutcome =
  { reservation: BudgetReservation } | { refused: { index: number; refusal: BudgetRefusal } };

/** Reservations lapse this long after the longest a request can wait in the queue and then run. */
const LEASE_MARGIN_MS = 10 * 60_000;
/** Budget keys live two days past their last write: long enough for any late settlement. */
const DAY_KEY_TTL_SECONDS = 2 * 86400;

/** lua/reserveBudget.lua and lua/settleBudget.lua (their headers say the arguments). */
interface BudgetCommands {
  reserveBudget(...args: (string | number)[]): Promise<[number, number?, string?]>;
  settleBudget(...args: (string | number)[]): Promise<number>;
}

/**
 * The day's token and USD budgets of callers and end users, shared by every replica through Redis and
 * kept per process in memory while Redis is down (MemoryBudgetLedger; its spend is written to Redis when
 * Redis returns). Reservations carry a lease, so a replica that dies between admission and settlement
 * only holds budget until the lease ends; settlement is idempotent (only a pending reservation settles).
 *
 * A subject's hash and reservation set share a slot (reservationsKey). On a Redis Cluster the subjects of a
 * request may not, so a reservation is taken subject by subject and a refusal settles for nothing what the
 * subjects before it reserved (takeInSlotRuns); settling runs once per slot, all at once.
 */
@Injectable()
export class BudgetLedger {
  private readonly logger = new Logger('Budgets');
  private readonly client: RedisClient & BudgetCommands;
  private readonly memory = new MemoryBudgetLedger();
  private readonly leaseMs: number;

  constructor(
    private readonly redis: RedisConnections,
    config: AppConfig,
  ) {
    this.client = defineScripts<BudgetCommands>(redis.client, RATE_LIMIT_SCRIPTS_DIR);
    this.leaseMs =
      config.queue.requestTtlSeconds * 1000 + config.resilience.requestTimeoutMs + LEASE_MARGIN_MS;
    redis.onTransition((available) => (available ? this.flushMemorySpend() : undefined));
  }

  /**
   * Admits against `budgets` (one per subject of `request`: the caller, its end user, the gateway) and reserves
   * `tokens` and `costUsd` in all of them at once, or in none.
   */
  async reserve(
    request: Omit<BudgetReservation, 'store'>,
    budgets: readonly DayBudget[],
    now = Date.now(),
  ): Promise<ReserveOutcome> {
    const subjects = subjectsOf(request);
    const hashes = hashesOf(request.day, subjects);
    return this.redis.sharedOr<ReserveOutcome>(
      async () => {
        const refused = await takeInSlotRuns(
          hashes,
          this.redis.clustered,
          async (run) => {
            const keys = keysOf(
              request.day,
              run.map((index) => subjects[index]),
            );
            const limits = run.flatMap((index) => [
              budgets[index].tokens ?? '',
              budgets[index].costUsd ?? '',
            ]);
            const [index, spent, kind] = await this.client.reserveBudget(
              keys.length,
              ...keys,
              now,
              now + this.leaseMs,
              request.id,
              request.tokens,
              usdString(request.costUsd),
              DAY_KEY_TTL_SECONDS,
              ...limits,
            );
            if (index === 0) return undefined;
            const refusal: BudgetRefusal = { kind: kind === 'cost' ? 'cost' : 'tokens', spent: spent === 1 };
            return { at: index - 1, refusal };
          },
          // Settling for nothing drops the reservation and adds no spend.
          (run) =>
            this.settleInRedis(
              request,
              run.map((index) => subjects[index]),
              { tokens: 0, costUsd: 0 },
            ),
        );
        return refused ? { refused } : { reservation: { ...request, store: 'redis' } };
      },
      () => {
        const refused = this.memory.reserve(
          request.day,
          hashes,
          budgets,
          { id: request.id, tokens: request.tokens, cost: request.costUsd, expires: now + this.leaseMs },
          now,
        );
        return refused ? { refused } : { reservation: { ...request, store: 'memory' } };
      },
    );
  }

  /**
   * Replaces the reservation with what the request really used; a repeat or an expired lease does nothing.
   * On a cluster each slot of the subjects settles on its own, and only a slot that cannot be reached
   * keeps its subjects' spend here, so none is counted twice.
   */
  async settle(reservation: BudgetReservation, actual: { tokens: number; costUsd: number }): Promise<void> {
    const subjects = subjectsOf(reservation);
    const hashes = hashesOf(reservation.day, subjects);
    if (reservation.store === 'memory') {
      // Taken in this process while Redis was down: settle only if it is still pending here.
      if (!this.memory.drop(hashes, reservation.id)) return;
    }
    await forEachSlotGroup(hashes, this.redis.clustered, (group) => {
      const mine = group.map((index) => subjects[index]);
      const mineHashes = group.map((index) => hashes[index]);
      return this.redis.sharedOr<unknown>(
        () =>
          reservation.store === 'memory'
            ? this.addSpend(mineHashes, actual)
            : this.settleInRedis(reservation, mine, actual),
        // Kept here while Redis cannot take it, and written when Redis returns (flushMemorySpend). On this
        // path a reservation taken in Redis stays there until its lease ends.
        () => this.memory.spend(reservation.day, mineHashes, actual.tokens, actual.costUsd),
      );
    });
  }

  /**
   * The USD spent today (settled, not reserved) by each of `subjects` (caller ids or GLOBAL_SUBJECT), as
   * Redis holds it; undefined while Redis cannot answer.
   */
  async spentUsd(subjects: readonly string[], day: string): Promise<number[] | undefined> {
    if (subjects.length === 0) return [];
    return this.redis.sharedOr(
      (client) =>
        mapSlotGroups(hashesOf(day, subjects), this.redis.clustered, async (group) => {
          const pipeline = client.pipeline();
          for (const index of group) pipeline.hget(budgetKey(day, subjects[index]), 'spent_cost');
          const replies = await execOrThrow(pipeline);
          return replies.map((reply) => Number(reply ?? 0) || 0);
        }),
      () => undefined,
    );
  }

  /** Writes spend settled in memory during an outage into Redis; what fails stays for the next return. */
  async flushMemorySpend(): Promise<void> {
    const pending = this.memory.takeSpend();
    if (pending.length === 0) return;
    let written = 0;
    await forEachSlotGroup(
      pending.map(({ key }) => key),
      this.redis.clustered,
      (group) => {
        const mine = group.map((index) => pending[index]);
        return this.redis.sharedOr(
          async () => {
            const pipeline = this.client.pipeline();
            for (const { key, tokens, cost } of mine) {
              if (tokens !== 0) pipeline.hincrby(key, 'spent_tokens', Math.round(tokens));
              if (cost !== 0) pipeline.hincrbyfloat(key, 'spent_cost', usdString(cost));
              pipeline.expire(key, DAY_KEY_TTL_SECONDS);
            }
            await execOrThrow(pipeline);
            written += mine.length;
          },
          () => {
            for (const { key, day, tokens, cost } of mine) this.memory.spend(day, [key], tokens, cost);
          },
        );
      },
    );
    if (written > 0) this.logger.log(`wrote the spend of ${written} budget(s) settled while Redis was down`);
  }

  /** Settles `reservation` in the budgets of `subjects`, which share one slot (one script call). */
  private settleInRedis(
    reservation: Pick<BudgetReservation, 'id' | 'day'>,
    subjects: readonly string[],
    actual: { tokens: number; costUsd: number },
  ): Promise<number> {
    const keys = keysOf(reservation.day, subjects);
    return this.client.settleBudget(
      keys.length,
      ...keys,
      reservation.id,
      Math.round(actual.tokens),
      usdString(actual.costUsd),
      DAY_KEY_TTL_SECONDS,
    );
  }

  /** Adds spend to `keys`, which share one slot (one pipeline). */
  private async addSpend(
    keys: readonly string[],
    actual: { tokens: number; costUsd: number },
  ): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const key of keys) {
      if (actual.tokens !== 0) pipeline.hincrby(key, 'spent_tokens', Math.round(actual.tokens));
      if (actual.costUsd !== 0) pipeline.hincrbyfloat(key, 'spent_cost', usdString(actual.costUsd));
      pipeline.expire(key, DAY_KEY_TTL_SECONDS);
    }
    await execOrThrow(pipeline);
  }
}

/** The day's budget hash of each subject: what the subject's keys are grouped by (its set shares the slot). */
function hashesOf(day: string, subjects: readonly string[]): string[] {
  return subjects.map((subject) => budgetKey(day, subject));
}

/** The scripts' KEYS for `subjects`: per subject, its hash then its reservation set. */
function keysOf(day: string, subjects: readonly string[]): string[] {
  return subjects.flatMap((subject) => [budgetKey(day, subject), reservationsKey(day, subject)]);
}

/** The budget subjects of a reservation, caller first, gateway last: the same in reserve() and settle(). */
function subjectsOf(reservation: Pick<BudgetReservation, 'callerId' | 'endUser' | 'global'>): string[] {
  const subjects = [subjectOf(reservation.callerId)];
  if (reservation.endUser !== undefined) subjects.push(subjectOf(reservation.callerId, reservation.endUser));
  if (reservation.global) subjects.push(GLOBAL_SUBJECT);
  return subjects;
}
