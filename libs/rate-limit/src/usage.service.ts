import { Injectable } from '@nestjs/common';
import { ChainableCommander } from 'ioredis';
import { ProviderAnswer } from '@breakwater/llm-provider';
import { RedisConnections } from '@breakwater/redis';
import { usdString, utcDay, utcMonth } from './budget-rule';
import { execAll } from './redis-pipeline';
import { usageKey } from './rate-limit-keys';
import { UsageEntry, UsageReport, usageIncrements, usagePeriodOf } from './usage-report';

/** Day hashes are kept a week, month hashes two months, past their last write. */
const DAY_TTL_SECONDS = 7 * 86400;
const MONTH_TTL_SECONDS = 62 * 86400;

/**
 * Per caller, per UTC day and month, per model: requests, cache hits, tokens in and out, cost in USD, in
 * Redis hashes with expiry. A request's increments go in one pipeline (one round trip). While Redis is
 * down they accumulate in this process and are written to Redis when it returns, so the shared totals
 * catch up; a report meanwhile shows what this process holds.
 */
@Injectable()
export class Usage {
  /** Increments not yet in Redis, per hash key, with the key's expiry. */
  private readonly pending = new Map<string, { ttl: number; fields: Map<string, number> }>();

  constructor(private readonly redis: RedisConnections) {
    redis.onTransition((available) => {
      if (available) void this.flushPending();
    });
  }

  /**
   * Counts one answered request; `model` is `provider/model`. A cache hit counts as a request and a hit;
   * pass the tokens it served and cost 0 (no provider was paid).
   */
  /** Books a provider answer (or a cache hit of one, which costs nothing) to its caller. */
  recordAnswer(callerId: string, answer: ProviderAnswer, cacheHit: boolean): Promise<void> {
    const { usage } = answer.completion;
    return this.record(callerId, `${answer.provider}/${answer.model}`, {
      tokensIn: usage.prompt_tokens,
      tokensOut: usage.completion_tokens,
      costUsd: cacheHit ? 0 : answer.costUsd,
      cacheHit,
    });
  }

  async record(callerId: string, model: string, entry: UsageEntry, now = new Date()): Promise<void> {
    const increments = usageIncrements(model, entry);
    const keys: [string, number][] = [
      [usageKey('d', utcDay(now), callerId), DAY_TTL_SECONDS],
      [usageKey('m', utcMonth(now), callerId), MONTH_TTL_SECONDS],
    ];
    if (this.redis.available) {
      const pipeline = this.redis.client.pipeline();
      for (const [key, ttl] of keys) addIncrements(pipeline, key, increments, ttl);
      if (await execAll(pipeline)) return;
    }
    for (const [key, ttl] of keys) this.addPending(key, ttl, increments);
  }

  async report(callerId: string, now = new Date()): Promise<UsageReport> {
    const date = utcDay(now);
    const month = utcMonth(now);
    const dayKey = usageKey('d', date, callerId);
    const monthKey = usageKey('m', month, callerId);
    let shared: [Record<string, string>, Record<string, string>] = [{}, {}];
    if (this.redis.available) {
      const read = await this.redis.client
        .pipeline()
        .hgetall(dayKey)
        .hgetall(monthKey)
        .exec()
        .catch(() => null);
      if (read && read.every(([error]) => !error)) {
        shared = [read[0][1] as Record<string, string>, read[1][1] as Record<string, string>];
      }
    }
    return {
      caller: callerId,
      day: { date, ...usagePeriodOf(shared[0], this.pendingOf(dayKey)) },
      month: { month, ...usagePeriodOf(shared[1], this.pendingOf(monthKey)) },
    };
  }

  /** Writes what accumulated while Redis was down; kept for the next return if that fails. */
  async flushPending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.entries()];
    this.pending.clear();
    const pipeline = this.redis.client.pipeline();
    for (const [key, { ttl, fields }] of batch) addIncrements(pipeline, key, [...fields.entries()], ttl);
    if (!(await execAll(pipeline))) {
      for (const [key, { ttl, fields }] of batch) this.addPending(key, ttl, [...fields.entries()]);
    }
  }

  private addPending(key: string, ttl: number, increments: [string, number][]): void {
    let entry = this.pending.get(key);
    if (!entry) this.pending.set(key, (entry = { ttl, fields: new Map() }));
    for (const [field, by] of increments) entry.fields.set(field, (entry.fields.get(field) ?? 0) + by);
  }

  private pendingOf(key: string): Record<string, number> {
    return Object.fromEntries(this.pending.get(key)?.fields ?? []);
  }
}

function addIncrements(
  pipeline: ChainableCommander,
  key: string,
  increments: [string, number][],
  ttl: number,
): void {
  for (const [field, by] of increments) {
    if (field.startsWith('cost_usd')) pipeline.hincrbyfloat(key, field, usdString(by));
    else pipeline.hincrby(key, field, by);
  }
  pipeline.expire(key, ttl);
}
