import { Injectable } from '@nestjs/common';
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
 * Fixed request windows in Redis through rate-limiter-flexible, on the shared fail-fast connection: each
 * limiter is one atomic script call, and a request's windows are consumed in parallel so they travel
 * together (one round trip of latency). Each limiter has an in-memory insurance limiter that takes over
 * for the process while Redis cannot answer, and hands back when it can (rate-limiter-flexible switches
 * per call; nothing is logged here, RedisConnections logs the transitions).
 *
 * Limiters are cached per scope, window and limit: callers come from the callers file, so there are a
 * bounded number of them, and end users of one caller share theirs.
 */
@Injectable()
export class WindowLimiters {
  private readonly limiters = new Map<string, RateLimiterRedis>();

  constructor(private readonly redis: RedisConnections) {}

  /** Counts one request in every window; a window over its limit comes back `refused`. */
  consume(specs: readonly WindowSpec[]): Promise<WindowState[]> {
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
