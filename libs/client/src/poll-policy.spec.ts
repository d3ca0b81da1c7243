import {
  DEFAULT_POLL_POLICY,
  PollPolicy,
  backoffDelayMs,
  nextPollStep,
  pollPolicyOf,
  retryAfterSecondsOf,
} from './poll-policy';

const policy = (overrides: Partial<PollPolicy> = {}): PollPolicy =>
  pollPolicyOf(
    { initialDelayMs: 500, factor: 2, maxDelayMs: 10_000, maxAttempts: 60, timeoutMs: 300_000 },
    overrides,
  );

describe('pollPolicyOf', () => {
  it('defaults to 500 ms, ×2, 10 s cap, 60 looks, 5 min', () => {
    expect(pollPolicyOf()).toEqual({
      initialDelayMs: 500,
      factor: 2,
      maxDelayMs: 10_000,
      maxAttempts: 60,
      timeoutMs: 300_000,
    });
  });

  it('lets each later layer override field by field, and ignores undefined fields', () => {
    const merged = pollPolicyOf(
      { initialDelayMs: 100, timeoutMs: 5_000 },
      { timeoutMs: 1_000, factor: undefined },
    );
    expect(merged).toEqual({ ...DEFAULT_POLL_POLICY, initialDelayMs: 100, timeoutMs: 1_000 });
  });

  it.each<[Partial<PollPolicy>, string]>([
    [{ factor: 0.5 }, 'poll.factor'],
    [{ maxAttempts: 0 }, 'poll.maxAttempts'],
    [{ maxAttempts: 1.5 }, 'poll.maxAttempts'],
    [{ timeoutMs: 0 }, 'poll.timeoutMs'],
    [{ initialDelayMs: -1 }, 'poll.initialDelayMs'],
    [{ maxDelayMs: Number.NaN }, 'poll.maxDelayMs'],
  ])('refuses %p, naming the field', (overrides, field) => {
    expect(() => pollPolicyOf(overrides)).toThrow(field);
  });
});

describe('backoffDelayMs', () => {
  it('grows by the factor from the initial delay', () => {
    const p = policy({ initialDelayMs: 100, factor: 3, maxDelayMs: 100_000 });
    expect([0, 1, 2, 3].map((attempt) => backoffDelayMs(p, attempt))).toEqual([100, 300, 900, 2700]);
  });

  it('is capped at maxDelayMs, even when the power overflows', () => {
    const p = policy({ initialDelayMs: 500, factor: 2, maxDelayMs: 3_000 });
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelayMs(p, attempt))).toEqual([
      500, 1000, 2000, 3000, 3000,
    ]);
    expect(backoffDelayMs(p, 5_000)).toBe(3_000);
  });

  it('stays flat with factor 1', () => {
    const p = policy({ initialDelayMs: 250, factor: 1 });
    expect([0, 5, 50].map((attempt) => backoffDelayMs(p, attempt))).toEqual([250, 250, 250]);
  });
});

describe('nextPollStep', () => {
  it('waits the backoff delay when the gateway sent no Retry-After', () => {
    expect(nextPollStep(policy(), { attempts: 2, elapsedMs: 0 })).toEqual({ kind: 'wait', delayMs: 2000 });
  });

  it('never waits less than Retry-After', () => {
    expect(
      nextPollStep(policy({ initialDelayMs: 100 }), { attempts: 0, elapsedMs: 0, retryAfterSeconds: 2 }),
    ).toEqual({
      kind: 'wait',
      delayMs: 2000,
    });
  });

  it('keeps the longer backoff delay over a shorter Retry-After', () => {
    expect(nextPollStep(policy(), { attempts: 4, elapsedMs: 0, retryAfterSeconds: 1 })).toEqual({
      kind: 'wait',
      delayMs: 8000,
    });
  });

  it('lets a Retry-After longer than maxDelayMs win', () => {
    expect(
      nextPollStep(policy({ maxDelayMs: 1000 }), { attempts: 9, elapsedMs: 0, retryAfterSeconds: 30 }),
    ).toEqual({
      kind: 'wait',
      delayMs: 30_000,
    });
  });

  it('cuts a backoff delay short at the total timeout, for a last look at the deadline', () => {
    const p = policy({ timeoutMs: 10_000 });
    expect(nextPollStep(p, { attempts: 5, elapsedMs: 9_000 })).toEqual({ kind: 'wait', delayMs: 1_000 });
  });

  it('stops rather than look sooner than Retry-After when the Retry-After reaches past the timeout', () => {
    const p = policy({ timeoutMs: 10_000 });
    expect(nextPollStep(p, { attempts: 1, elapsedMs: 9_000, retryAfterSeconds: 2 })).toEqual({
      kind: 'stop',
      reason: 'timeout',
    });
    expect(nextPollStep(p, { attempts: 1, elapsedMs: 8_000, retryAfterSeconds: 2 })).toEqual({
      kind: 'wait',
      delayMs: 2_000,
    });
  });

  it('stops once the total timeout has passed', () => {
    const p = policy({ timeoutMs: 10_000 });
    expect(nextPollStep(p, { attempts: 0, elapsedMs: 10_000 })).toEqual({ kind: 'stop', reason: 'timeout' });
  });

  it('stops after maxAttempts looks, whatever time is left', () => {
    const p = policy({ maxAttempts: 3 });
    expect(nextPollStep(p, { attempts: 2, elapsedMs: 0 }).kind).toBe('wait');
    expect(nextPollStep(p, { attempts: 3, elapsedMs: 0 })).toEqual({ kind: 'stop', reason: 'max_attempts' });
  });

  it('never waits past the deadline over a whole run, and sums to no more than the timeout', () => {
    const p = policy({
      initialDelayMs: 300,
      factor: 2,
      maxDelayMs: 4_000,
      timeoutMs: 20_000,
      maxAttempts: 100,
    });
    let elapsedMs = 0;
    let attempts = 0;
    const waits: number[] = [];
    for (;;) {
      const step = nextPollStep(p, { attempts, elapsedMs });
      if (step.kind === 'stop') {
        expect(step.reason).toBe('timeout');
        break;
      }
      waits.push(step.delayMs);
      elapsedMs += step.delayMs;
      attempts += 1;
    }
    expect(waits.slice(0, 6)).toEqual([300, 600, 1200, 2400, 4000, 4000]);
    expect(elapsedMs).toBe(20_000);
  });
});

describe('retryAfterSecondsOf', () => {
  it('reads delta-seconds', () => {
    expect(retryAfterSecondsOf('2')).toBe(2);
    expect(retryAfterSecondsOf(' 0 ')).toBe(0);
    expect(retryAfterSecondsOf('1.5')).toBe(1.5);
  });

  it('reads an HTTP date as the seconds until then, never negative', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterSecondsOf('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5);
    expect(retryAfterSecondsOf('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores an absent or unreadable header', () => {
    expect(retryAfterSecondsOf(null)).toBeUndefined();
    expect(retryAfterSecondsOf('')).toBeUndefined();
    expect(retryAfterSecondsOf('soon')).toBeUndefined();
    expect(retryAfterSecondsOf('-3')).toBeUndefined();
  });
});
