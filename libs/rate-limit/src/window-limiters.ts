import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import {
  RedisClient,
  RedisConnections,
  defineScripts,
  forEachSlotGroup,
  mapSlotGroups,
} from '@breakwater/redis';
import { WindowScope, WindowState } from './rate-limit-headers';
import { windowKey } from './rate-limit-keys';
import { RATE_LIMIT_SCRIPTS_DIR } from './rate-limit-scripts';

const WINDOW_SECONDS = { minute: 60, hour: 3600, day: 86400 } as const;
export type WindowName = keyof typeof WINDOW_SECONDS;

/** One window a request counts against: `limit` requests per `window` for `key` in `scope`. */
export interface WindowSpec {
  scope: WindowScope;
  window: WindowName;
  limit: number;
  key: string;
}

/** lua/{consume,refund,peek}Windows.lua: every window of a request in one call, a count/ms-left pair each. */
interface WindowCommands {
  consumeWindows(...args: (string | number)[]): Promise<number[]>;
  refundWindows(...args: (string | number)[]): Promise<number>;
  peekWindows(...args: (string | number)[]): Promise<number[]>;
}

/**
 * Fixed request windows, shared by every replica through Redis on the fail-fast connection, and counted
 * per process by rate-limiter-flexible's memory limiters while Redis cannot answer (the windows restart
 * there; nothing is logged here, RedisConnections logs the transitions).
 *
 * All windows of a request are one script call over their counters (own keys, `bw:win:*`): counting,
 * refunding and peeking are each one round trip however many windows apply. rate-limiter-flexible's Redis
 * limiter makes one call per window, so only its memory limiter is used, through its public API. On a Redis
 * Cluster the windows of one subject share a slot (windowKey) and the call is made once per subject's slot,
 * all at once: still one round trip of latency. Windows are independent, so nothing spans the calls.
 *
 * Memory limiters are cached per scope, window and limit: callers come from the callers file, so there are
 * a bounded number of them, and end users of one caller share theirs.
 */
@Injectable()
export class WindowLimiters {
  private readonly memory = new Map<string, RateLimiterMemory>();
  private readonly client: RedisClient & WindowCommands;

  constructor(private readonly redis: RedisConnections) {
    this.client = defineScripts<WindowCommands>(redis.client, RATE_LIMIT_SCRIPTS_DIR);
  }

  /** Counts one request in every window; a window over its limit comes back `refused`. */
  async consume(specs: readonly WindowSpec[]): Promise<WindowState[]> {
    if (specs.length === 0) return [];
    return this.bySlot(specs, (mine) =>
      this.redis.sharedOr(
        async () => {
          const counts = await this.client.consumeWindows(
            mine.length,
            ...mine.map(keyOf),
            ...mine.map(windowMs),
          );
          return mine.map((spec, i) => countedState(spec, Number(counts[2 * i]), Number(counts[2 * i + 1])));
        },
        () =>
          Promise.all(
            mine.map(async (spec) => {
              try {
                return stateOf(spec, await this.memoryOf(spec).consume(spec.key), false);
              } catch (rejection) {
                // rate-limiter-flexible rejects with its result when the window is over its limit.
                if (rejection instanceof RateLimiterRes) return stateOf(spec, rejection, true);
                throw rejection;
              }
            }),
          ),
      ),
    );
  }

  /** Gives back the request counted by consume() (it was refused by something else, or by a window). */
  async refund(specs: readonly WindowSpec[]): Promise<void> {
    if (specs.length === 0) return;
    // While Redis cannot answer, give it back where it would now be counted.
    await forEachSlotGroup(specs.map(keyOf), this.redis.clustered, (group) => {
      const mine = group.map((index) => specs[index]);
      return this.redis.sharedOr<unknown>(
        () => this.client.refundWindows(mine.length, ...mine.map(keyOf)),
        () => Promise.all(mine.map((spec) => this.memoryOf(spec).reward(spec.key))),
      );
    });
  }

  /** The windows as they stand, counting nothing: for answers that are not LLM requests. */
  async peek(specs: readonly WindowSpec[]): Promise<WindowState[]> {
    if (specs.length === 0) return [];
    // While Redis cannot answer, show what this process counts.
    return this.bySlot(specs, (mine) =>
      this.redis.sharedOr(
        async () => {
          const counts = await this.client.peekWindows(mine.length, ...mine.map(keyOf));
          return mine.map((spec, i) => peekedState(spec, Number(counts[2 * i]), Number(counts[2 * i + 1])));
        },
        () =>
          Promise.all(
            mine.map(async (spec) => {
              const res = await this.memoryOf(spec).get(spec.key);
              return res ? stateOf(spec, res, false) : peekedState(spec, 0, -2);
            }),
          ),
      ),
    );
  }

  /**
   * `each` once per slot of the windows' counters (once off a cluster) with the specs there, the results in
   * spec order. Each slot falls back to memory on its own: a node that cannot answer leaves the others shared.
   */
  private bySlot(
    specs: readonly WindowSpec[],
    each: (mine: WindowSpec[]) => Promise<WindowState[]>,
  ): Promise<WindowState[]> {
    return mapSlotGroups(specs.map(keyOf), this.redis.clustered, (group) =>
      each(group.map((index) => specs[index])),
    );
  }

  private memoryOf(spec: WindowSpec): RateLimiterMemory {
    const id = `${spec.scope}:${spec.window}:${spec.limit}`;
    let limiter = this.memory.get(id);
    if (!limiter) {
      limiter = new RateLimiterMemory({
        keyPrefix: id,
        points: spec.limit,
        duration: WINDOW_SECONDS[spec.window],
      });
      this.memory.set(id, limiter);
    }
    return limiter;
  }
}

function keyOf(spec: WindowSpec): string {
  return windowKey(spec.scope, spec.window, spec.key);
}

function windowMs(spec: WindowSpec): number {
  return WINDOW_SECONDS[spec.window] * 1000;
}

function countedState(spec: WindowSpec, consumed: number, pttl: number): WindowState {
  const refused = consumed > spec.limit;
  return stateOf(spec, new RateLimiterRes(Math.max(spec.limit - consumed, 0), pttl, consumed), refused);
}

/** A counter as read by peek: a window nobody has counted in yet (no key) is a whole window, untouched. */
function peekedState(spec: WindowSpec, consumed: number, pttl: number): WindowState {
  return stateOf(spec, new RateLimiterRes(Math.max(spec.limit - consumed, 0), pttl, consumed), false);
}

function stateOf(spec: WindowSpec, res: RateLimiterRes, refused: boolean): WindowState {
  return {
    scope: spec.scope,
    window: spec.window,
    limit: spec.limit,
    remaining: refused ? 0 : res.remainingPoints,
    // No expiry to read (a window nobody has counted in yet): a full window.
    resetMs: res.msBeforeNext >= 0 ? res.msBeforeNext : windowMs(spec),
    refused,
  };
}
