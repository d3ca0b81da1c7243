import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import {
  RedisClient,
  RedisConnections,
  defineScripts,
  execOrThrow,
  forEachSlotGroup,
  takeInSlotRuns,
} from '@breakwater/redis';
import { slotsKey } from './rate-limit-keys';
import { RATE_LIMIT_SCRIPTS_DIR } from './rate-limit-scripts';

/** A concurrency limit: at most `limit` requests of `subject` in flight at once. */
export interface SlotSpec {
  subject: string;
  limit: number;
}

/** Slots taken by one request: where (Redis or this process) and under which id, for release(). */
export interface HeldSlots {
  id: string;
  keys: string[];
  store: 'redis' | 'memory';
}

export type SlotOutcome = { held: HeldSlots } | { refused: SlotSpec };

/** Slots outlive the longest synchronous request by this much before a crashed holder's are reclaimed. */
const LEASE_MARGIN_MS = 30_000;

/** lua/acquireSlots.lua: one slot in every limit or none, expired leases dropped first. */
interface SlotCommands {
  acquireSlots(...args: (string | number)[]): Promise<number>;
}

/**
 * Requests in flight per caller and per end user, shared by every replica through Redis; while Redis
 * is down, counted per process. The invariant is that every slot taken is given back exactly once:
 * Limits hands each request an idempotent release() that the request path calls in a `finally` (success,
 * error, timeout, client gone), and a slot whose holder vanished expires with its lease.
 *
 * One script takes a slot in every limit or none. On a Redis Cluster each subject's set may be on another
 * slot, so the script runs subject by subject and a refusal gives back the slots taken before it
 * (takeInSlotRuns): the end user full means the caller's slot is not kept.
 */
@Injectable()
export class ConcurrencySlots {
  private readonly client: RedisClient & SlotCommands;
  private readonly memory = new Map<string, Map<string, number>>();
  private readonly leaseMs: number;

  constructor(
    private readonly redis: RedisConnections,
    config: AppConfig,
  ) {
    this.client = defineScripts<SlotCommands>(redis.client, RATE_LIMIT_SCRIPTS_DIR);
    this.leaseMs = config.resilience.requestTimeoutMs * 2 + LEASE_MARGIN_MS;
  }

  async acquire(specs: readonly SlotSpec[], now = Date.now()): Promise<SlotOutcome> {
    const id = randomUUID();
    const keys = specs.map((spec) => slotsKey(spec.subject));
    return this.redis.sharedOr<SlotOutcome>(
      async () => {
        const refused = await takeInSlotRuns(
          keys,
          this.redis.clustered,
          async (run) => {
            const full = await this.client.acquireSlots(
              run.length,
              ...run.map((index) => keys[index]),
              now,
              now + this.leaseMs,
              this.leaseMs,
              id,
              ...run.map((index) => specs[index].limit),
            );
            return full > 0 ? { at: full - 1, refusal: undefined } : undefined;
          },
          (run) =>
            this.releaseInRedis(
              run.map((index) => keys[index]),
              id,
            ),
        );
        return refused ? { refused: specs[refused.index] } : { held: { id, keys, store: 'redis' } };
      },
      () => this.acquireInMemory(specs, keys, id, now),
    );
  }

  async release(held: HeldSlots): Promise<void> {
    if (held.store === 'memory') {
      for (const key of held.keys) {
        const set = this.memory.get(key);
        set?.delete(held.id);
        if (set?.size === 0) this.memory.delete(key);
      }
      return;
    }
    // Unreachable Redis: the lease reclaims the slot.
    await this.redis.sharedOr(
      () => this.releaseInRedis(held.keys, held.id),
      () => undefined,
    );
  }

  /** ZREM of slot `id` from `keys`: one pipeline, or one per slot on a cluster (all at once). */
  private releaseInRedis(keys: readonly string[], id: string): Promise<void> {
    return forEachSlotGroup(keys, this.redis.clustered, (group) => {
      const pipeline = this.client.pipeline();
      for (const index of group) pipeline.zrem(keys[index], id);
      return execOrThrow(pipeline);
    });
  }

  private acquireInMemory(specs: readonly SlotSpec[], keys: string[], id: string, now: number): SlotOutcome {
    const sets = keys.map((key) => {
      let set = this.memory.get(key);
      if (!set) this.memory.set(key, (set = new Map<string, number>()));
      for (const [slot, expires] of set) if (expires <= now) set.delete(slot);
      return set;
    });
    const full = sets.findIndex((set, index) => set.size >= specs[index].limit);
    if (full >= 0) return { refused: specs[full] };
    for (const set of sets) set.set(id, now + this.leaseMs);
    return { held: { id, keys, store: 'memory' } };
  }
}
