/** How the client polls `GET /v1/results/<id>` for a queued request. */
export interface PollPolicy {
  /** The wait before the first look. */
  initialDelayMs: number;
  /** Each wait is the previous one times this. */
  factor: number;
  /** No backoff wait is longer than this (a longer Retry-After still wins). */
  maxDelayMs: number;
  /** Looks at the result before giving up with PollTimeoutError. */
  maxAttempts: number;
  /** The whole wait, from the call, before giving up with PollTimeoutError. */
  timeoutMs: number;
}

export const DEFAULT_POLL_POLICY: Readonly<PollPolicy> = Object.freeze({
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 10_000,
  maxAttempts: 60,
  timeoutMs: 300_000,
});

/** The defaults overridden by each layer in turn (client options, then the call's), checked. */
export function pollPolicyOf(...layers: (Partial<PollPolicy> | undefined)[]): PollPolicy {
  const policy: PollPolicy = { ...DEFAULT_POLL_POLICY };
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer ?? {}) as [keyof PollPolicy, number | undefined][]) {
      if (value !== undefined) policy[name] = value;
    }
  }
  const invalid = (name: keyof PollPolicy, rule: string): never => {
    throw new RangeError(`poll.${name} must be ${rule}, got ${policy[name]}`);
  };
  if (!(policy.initialDelayMs >= 0)) invalid('initialDelayMs', 'a number >= 0');
  if (!(policy.factor >= 1)) invalid('factor', 'a number >= 1');
  if (!(policy.maxDelayMs >= 0)) invalid('maxDelayMs', 'a number >= 0');
  if (!(Number.isInteger(policy.maxAttempts) && policy.maxAttempts >= 1))
    invalid('maxAttempts', 'an integer >= 1');
  if (!(policy.timeoutMs > 0)) invalid('timeoutMs', 'a number > 0');
  return policy;
}

/** The backoff wait before look number `attempt` (0 for the first): initial × factor^attempt, capped. */
export function backoffDelayMs(policy: PollPolicy, attempt: number): number {
  // Exponentiation overflows to Infinity long before it matters; the cap keeps it finite.
  return Math.min(policy.initialDelayMs * policy.factor ** attempt, policy.maxDelayMs);
}

export type PollStep =
  { kind: 'wait'; delayMs: number } | { kind: 'stop'; reason: 'max_attempts' | 'timeout' };

export interface PollState {
  /** Looks already made. */
  attempts: number;
  /** Time since the call began. */
  elapsedMs: number;
  /** The gateway's last `Retry-After`, if it sent one. */
  retryAfterSeconds?: number;
}

/**
 * What to do before the next look. The wait is the backoff delay or the gateway's Retry-After,
 * whichever is longer, and never reaches past the total timeout. Retry-After is a floor the client
 * never undercuts: when the gateway asks for a wait longer than the time left, no look could be both
 * polite and in time, so polling stops now rather than sleeping to the deadline for nothing. A backoff
 * delay is only the client's own pacing, so it is cut short to give a last look at the deadline.
 */
export function nextPollStep(policy: PollPolicy, state: PollState): PollStep {
  if (state.attempts >= policy.maxAttempts) return { kind: 'stop', reason: 'max_attempts' };
  const remainingMs = policy.timeoutMs - state.elapsedMs;
  if (remainingMs <= 0) return { kind: 'stop', reason: 'timeout' };
  const floorMs = (state.retryAfterSeconds ?? 0) * 1000;
  if (floorMs > remainingMs) return { kind: 'stop', reason: 'timeout' };
  const delayMs = Math.max(backoffDelayMs(policy, state.attempts), floorMs);
  return { kind: 'wait', delayMs: Math.min(delayMs, remainingMs) };
}

/**
 * Seconds from a `Retry-After` header, which HTTP allows as delta-seconds or as an HTTP date;
 * undefined when absent or unreadable (then only the backoff paces the polling).
 */
export function retryAfterSecondsOf(
  header: string | null | undefined,
  nowMs = Date.now(),
): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  // Every HTTP date form begins with the day's name; Date.parse alone would read `-3` as a year.
  if (!/^[a-z]{3,9},?\s/i.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - nowMs) / 1000);
}
