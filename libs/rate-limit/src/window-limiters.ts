import { Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RedisConnections } from '@breakwater/redis';
import { WindowScope, WindowState } from './rate-limit-headers';
import { windowPrefix } from './rate-limit-keys';

export const WINDOW_SECONDS = { minute: 60, hour: 3600, day: 86400 } as const;
export type WindowName = keyof typeof WINDOW_SECONDS;

/** One window a request counts against: `limit` requests per `window` for `key` in `scope`. */
export interface WindowSpec {
  scope: WindowScope;
  window: WindowName;
  limit: number;
  key: string;
}

/**
 * rate-limiter-flexible's own counting script (SET NX EX, INCRBY, PTTL, EXPIRE if no TTL), run over every
 * key of a request in one call: KEYS are the limiters' keys, ARGV one duration in seconds per key; the
 * answer is a consumed/PTTL pair per key.
 */
const CONSUME_ALL = `
local out = {}
for i = 1, #KEYS do
  redis.call('set', KEYS[i], 0, 'EX', ARGV[i], 'NX')
  local consumed = redis.call('incrby', KEYS[i], 1)
  local ttl = redis.call('pttl', KEYS[i])
  if ttl == -1 then
    redis.call('expire', KEYS[i], ARGV[i])
    ttl = 1000 * ARGV[i]
  end
  out[2 * i - 1] = consumed
  out[2 * i] = ttl
end
return out
`;

interface WindowCommands {
  bwConsumeWindows(...args: (string | number)[]): Promise<number[]>;
}

/**
 * Fixed request windows in Redis through rate-limiter-flexible, on the shared fail-fast connection. Each
 * limiter has an in-memory insurance limiter that takes over for the process while Redis cannot answer,
 * and hands back when it can (rate-limiter-flexible switches per call; nothing is logged here,
 * RedisConnections logs the transitions).
 *
 * A request's windows are counted by one script call over all their keys (the library's script, looped):
 * the library makes one call per limiter, and at three windows a request that cost half of a cache hit's
 * throughput. The keys and counts are the library's, so its limiters (refunds, peeks, the insurance path
 * when Redis fails) work on the same windows.
 *
 * Limiters are cached per scope, window and limit: callers come from the callers file, so there are a
 * bounded number of them, and end users of one caller share theirs.
 */
@Injectable()
export class WindowLimiters {
  private readonly limiters = new Map<string, RateLimiterRedis>();
  private readonly client: Redis & WindowCommands;

  constructor(private readonly redis: RedisConnections) {
    this.client = redis.client as Redis & WindowCommands;
    this.client.defineCommand('bwConsumeWindows', { lua: CONSUME_ALL });
  }

  /** Counts one request in every window; a window over its limit comes back `refused`. */
  async consume(specs: readonly WindowSpec[]): Promise<WindowState[]> {
    if (specs.length === 0) return [];
    if (this.redis.available) {
      try {
        const keys = specs.map((spec) => this.limiterOf(spec).getKey(spec.key));
        const durations = specs.map((spec) => WINDOW_SECONDS[spec.window]);
        const counts = await this.client.bwConsumeWindows(keys.length, ...keys, ...durations);
        return specs.map((spec, i) => countedState(spec, Number(counts[2 * i]), Number(counts[2 * i + 1])));
      } catch {
        // Redis failed under this request: the library's limiters fall back to their insurance.
      }
    }
    return Promise.all(
      specs.map(async (spec) => {
        try {
          return stateOf(spec, await this.limiterOf(spec).consume(spec.key), false);
        } catch (rejection) {
          if (rejection instanceof RateLimiterRes) return stateOf(spec, rejection, true);
          throw rejection;
        }
      }),
    );
  }

  /** Gives back the request counted by consume() (it was refused by something else, or by a window). */
  async refund(specs: readonly WindowSpec[]): Promise<void> {
    await Promise.all(
      specs.map((spec) =>
        this.limiterOf(spec)
          .reward(spec.key)
          .catch(() => undefined),
      ),
    );
  }

  /** The windows as they stand, counting nothing: for answers that are not LLM requests. */
  peek(specs: readonly WindowSpec[]): Promise<WindowState[]> {
    return Promise.all(
      specs.map(async (spec) => {
        const res = await this.limiterOf(spec)
          .get(spec.key)
          .catch(() => null);
        if (!res) {
          return {
            scope: spec.scope,
            window: spec.window,
            limit: spec.limit,
            remaining: spec.limit,
            resetMs: WINDOW_SECONDS[spec.window] * 1000,
            refused: false,
          };
        }
        return stateOf(spec, res, false);
      }),
    );
  }

  private limiterOf(spec: WindowSpec): RateLimiterRedis {
    const id = `${spec.scope}:${spec.window}:${spec.limit}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const options = {
        keyPrefix: windowPrefix(spec.scope, spec.window),
        points: spec.limit,
        duration: WINDOW_SECONDS[spec.window],
      };
      limiter = new RateLimiterRedis({
        ...options,
        storeClient: this.redis.client,
        // Straight to the insurance limiter while the connection is down, without a doomed command.
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(options),
      });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

function countedState(spec: WindowSpec, consumed: number, pttl: number): WindowState {
  const refused = consumed > spec.limit;
  return stateOf(spec, new RateLimiterRes(Math.max(spec.limit - consumed, 0), pttl, consumed), refused);
}

function stateOf(spec: WindowSpec, res: RateLimiterRes, refused: boolean): WindowState {
  return {
    scope: spec.scope,
    window: spec.window,
    limit: spec.limit,
    remaining: refused ? 0 : res.remainingPoints,
    // A key without expiry (never the case for a duration > 0) would report -1: treat as a full window.
    resetMs: res.msBeforeNext >= 0 ? res.msBeforeNext : WINDOW_SECONDS[spec.window] * 1000,
    refused,
  };
}
