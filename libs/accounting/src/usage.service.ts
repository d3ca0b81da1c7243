import { Injectable } from '@nestjs/common';
import { ChainableCommander } from 'ioredis';
import { ProviderAnswer } from '@breakwater/llm-provider';
import { Metrics, OTHER_MODEL_LABEL } from '@breakwater/observability';
import {
  RedisClient,
  RedisConnections,
  defineScripts,
  execOrThrow,
  forEachSlotGroup,
} from '@breakwater/redis';
import { ACCOUNTING_SCRIPTS_DIR, usageKey } from './accounting-keys';
import { usdString, utcDay, utcMonth } from './accounting-units';
import { UsageEntry, UsageReport, usageIncrements, usagePeriodOf } from './usage-report';

/** Day hashes are kept a week, month hashes two months, past their last write. */
const DAY_TTL_SECONDS = 7 * 86400;
const MONTH_TTL_SECONDS = 62 * 86400;

/** lua/addUsage.lua: the same increments into every hash of a request, expiry renewed. */
interface UsageCommands {
  addUsage(...args: (string | number)[]): Promise<number>;
}

/** In a pipeline a command queues and returns the pipeline; exec() reports each result. */
type UsagePipeline = ChainableCommander & {
  addUsage(...args: (string | number)[]): UsagePipeline;
};

/** A day's and a month's hash, as HGETALL reads them. */
type Hashes = [Record<string, string>, Record<string, string>];

/**
 * Per caller, per UTC day and month, per model: requests, cache hits, tokens in and out, cost in USD, in
 * Redis hashes with expiry. A model the gateway does not know (see Metrics.modelLabel) is booked as
 * `other`, so a hash's fields, and what this process holds while Redis is down, are bounded by the known
 * models whatever names a caller makes up. A request's increments are one script call (one command, one
 * round trip); on a Redis Cluster the day's and the month's hash keep their names (a month's usage
 * survives an upgrade) and so may be on two slots: one call per slot, sent at once. While Redis is down
 * they accumulate in this process and are written to Redis when it returns, so the shared totals catch up;
 * a report meanwhile shows what this process holds.
 */
@Injectable()
export class Usage {
  /** Increments not yet in Redis, per hash key, with the key's expiry. */
  private readonly pending = new Map<string, { ttl: number; fields: Map<string, number> }>();
  private readonly client: RedisClient & UsageCommands;

  constructor(
    private readonly redis: RedisConnections,
    private readonly metrics: Metrics,
  ) {
    this.client = defineScripts<UsageCommands>(redis.client, ACCOUNTING_SCRIPTS_DIR);
    redis.onTransition((available) => (available ? this.flushPending() : undefined));
  }

  /** Books a provider answer (or a cache hit of one, which costs nothing) to its caller. */
  recordAnswer(callerId: string, answer: ProviderAnswer, cacheHit: boolean): Promise<void> {
    const { usage } = answer.completion;
    return this.recordFor(callerId, answer, {
      tokensIn: usage.prompt_tokens,
      tokensOut: usage.completion_tokens,
      costUsd: cacheHit ? 0 : answer.costUsd,
      cacheHit,
    });
  }

  /**
   * Books what a provider answered (`provider` and its own `model` name) under the model's label:
   * `provider/model` of a known model, else `other`.
   */
  recordFor(
    callerId: string,
    answered: Pick<ProviderAnswer, 'provider' | 'model'>,
    entry: UsageEntry,
  ): Promise<void> {
    const label = this.metrics.modelLabel(answered.provider, answered.model);
    return this.record(
      callerId,
      label === OTHER_MODEL_LABEL ? label : `${answered.provider}/${label}`,
      entry,
    );
  }

  /**
   * Counts one answered request; `model` is `provider/model` of a known model, or `other`. A cache hit counts as a request and a hit;
   * pass the tokens it served and cost 0 (no provider was paid).
   */
  async record(callerId: string, model: string, entry: UsageEntry, now = new Date()): Promise<void> {
    const increments = usageIncrements(model, entry);
    const keys: [string, number][] = [
      [usageKey('d', utcDay(now), callerId), DAY_TTL_SECONDS],
      [usageKey('m', utcMonth(now), callerId), MONTH_TTL_SECONDS],
    ];
    // One call, or on a cluster one per slot of the day's and the month's hash, at once; a slot that
    // cannot be reached keeps its increments for Redis's return (flushPending), the other is written.
    await forEachSlotGroup(
      keys.map(([key]) => key),
      this.redis.clustered,
      (group) => {
        const mine = group.map((index) => keys[index]);
        return this.redis.sharedOr(
          async () => {
            await this.client.addUsage(
              mine.length,
              ...mine.map(([key]) => key),
              ...mine.map(([, ttl]) => ttl),
              ...argsOf(increments),
            );
          },
          () => {
            for (const [key, ttl] of mine) this.addPending(key, ttl, increments);
          },
        );
      },
    );
  }

  async report(callerId: string, now = new Date()): Promise<UsageReport> {
    const date = utcDay(now);
    const month = utcMonth(now);
    const dayKey = usageKey('d', date, callerId);
    const monthKey = usageKey('m', month, callerId);
    // While Redis cannot answer, the report shows what this process holds.
    const [dayHash, monthHash] = await this.redis.sharedOr(
      async (client): Promise<Hashes> =>
        // A cluster pipeline may only hold keys of one node: there, two commands at once.
        this.redis.clustered
          ? Promise.all([client.hgetall(dayKey), client.hgetall(monthKey)])
          : ((await execOrThrow(client.pipeline().hgetall(dayKey).hgetall(monthKey))) as Hashes),
      (): Hashes => [{}, {}],
    );
    return {
      caller: callerId,
      day: { date, ...usagePeriodOf(dayHash, this.pendingOf(dayKey)) },
      month: { month, ...usagePeriodOf(monthHash, this.pendingOf(monthKey)) },
    };
  }

  /** Writes what accumulated while Redis was down; kept for the next return if that fails. */
  async flushPending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.entries()];
    this.pending.clear();
    // One pipeline, or on a cluster one per slot, at once; what a slot cannot take is kept for the next return.
    await forEachSlotGroup(
      batch.map(([key]) => key),
      this.redis.clustered,
      (group) => {
        const mine = group.map((index) => batch[index]);
        return this.redis.sharedOr(
          async () => {
            const pipeline = this.client.pipeline() as UsagePipeline;
            for (const [key, { ttl, fields }] of mine) pipeline.addUsage(1, key, ttl, ...argsOf([...fields]));
            await execOrThrow(pipeline);
          },
          () => {
            for (const [key, { ttl, fields }] of mine) this.addPending(key, ttl, [...fields.entries()]);
          },
        );
      },
    );
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

/** The script's field/amount pairs: USD as a fixed decimal string, counts as integers. */
function argsOf(increments: [string, number][]): (string | number)[] {
  return increments.flatMap(([field, by]) => [field, field.startsWith('cost_usd') ? usdString(by) : by]);
}
