import { HEADER } from '@breakwater/contracts';

/**
 * The contract's rate-limit response headers, on every `/v1` answer. A type alias rather than an
 * interface so it can be passed straight to Fastify's `reply.headers()`. Empty when no window applies
 * (RATE_LIMIT_PER_MINUTE=0 and a caller without request limits).
 */
export type RateLimitHeaders =
  | {
      [HEADER.rateLimitLimit]: string;
      [HEADER.rateLimitRemaining]: string;
      [HEADER.rateLimitReset]: string;
    }
  | Record<string, never>;

/** Who a request window counts: the caller, one end user of it, all callers together, or the gateway toward a provider. */
export type WindowScope = 'caller' | 'end_user' | 'global' | 'provider';

/** One fixed window as it stands after a request: what headers and Retry-After are computed from. */
export interface WindowState {
  scope: WindowScope;
  /** `minute`, `hour` or `day`: for messages. */
  window: string;
  limit: number;
  remaining: number;
  /** Milliseconds until the window starts over. */
  resetMs: number;
  refused: boolean;
}

/**
 * The window a client should pace itself by: the one with the fewest requests left; on a tie the one
 * that resets last, because when the shorter one frees the longer one still allows no more than that.
 */
export function tightestWindow(states: readonly WindowState[]): WindowState | undefined {
  let tightest: WindowState | undefined;
  for (const state of states) {
    if (
      !tightest ||
      state.remaining < tightest.remaining ||
      (state.remaining === tightest.remaining && state.resetMs > tightest.resetMs)
    ) {
      tightest = state;
    }
  }
  return tightest;
}

/** Whole seconds until `ms` have passed, rounded up so a client that waits them is never early. */
function secondsFrom(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

/** `x-ratelimit-reset` is seconds until the window starts over (delta seconds, as IETF RateLimit headers). */
export function headersOf(state: WindowState | undefined): RateLimitHeaders {
  if (!state) return {};
  return {
    [HEADER.rateLimitLimit]: String(state.limit),
    [HEADER.rateLimitRemaining]: String(Math.max(0, state.remaining)),
    [HEADER.rateLimitReset]: String(secondsFrom(state.resetMs)),
  };
}

/** Retry-After of a refusal: until every refusing window has started over, at least one second. */
export function retryAfterOf(states: readonly WindowState[]): number {
  const refused = states.filter((state) => state.refused);
  return Math.max(1, ...refused.map((state) => secondsFrom(state.resetMs)));
}

/**
 * The states as they stand once a refused request's counts are given back: windows that admitted it get
 * their point back; refusing ones stay at zero.
 */
export function refunded(states: readonly WindowState[]): WindowState[] {
  return states.map((state) =>
    state.refused
      ? { ...state, remaining: 0 }
      : { ...state, remaining: Math.min(state.limit, state.remaining + 1) },
  );
}
