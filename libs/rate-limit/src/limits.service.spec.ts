import { asPlainData, testConfig } from '@breakwater/testing';
import { Caller, ChatCompletionRequest, GatewayError } from '@breakwater/contracts';
import { Pricing } from '@breakwater/llm-provider';
import { Metrics } from '@breakwater/observability';
import { RedisConnections } from '@breakwater/redis';
import { BudgetLedger } from './budget-ledger';
import { secondsUntilUtcMidnight } from './budget-rule';
import { ConcurrencySlots } from './concurrency-slots';
import { Limits } from './limits.service';
import { estimateOf } from './estimate';
import { RateLimitHeaders } from './rate-limit-headers';
import { WindowLimiters } from './window-limiters';

// The orchestration alone, on the per-process stores (Redis never connected); the shared stores are
// exercised against a real redis-server in test/limits*.e2e-spec.ts.
function setUp(globalPerMinute = 0, perMinute = 500) {
  const config = testConfig({
    RATE_LIMIT_PER_MINUTE: String(perMinute),
    GLOBAL_RATE_LIMIT_PER_MINUTE: String(globalPerMinute),
  });
  const redis = new RedisConnections(config);
  const metrics = new Metrics();
  const windows = new WindowLimiters(redis);
  const limits = new Limits(
    config,
    windows,
    new ConcurrencySlots(redis, config),
    new BudgetLedger(redis, config),
    metrics,
    new Pricing(config, metrics),
  );
  return { limits, metrics, close: () => redis.onApplicationShutdown() };
}

function callerOf(id: string, limits: Caller['limits'] = {}, endUserLimits: Caller['limits'] = {}): Caller {
  return {
    id,
    keySha256: id,
    role: 'caller',
    limits,
    endUserLimits,
    cache: { enabled: true, namespace: id },
  };
}

const SMALL = { tokens: 10, costUsd: 0 };

async function refusalOf(attempt: Promise<unknown>): Promise<GatewayError> {
  try {
    await attempt;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

async function rejections(metrics: Metrics, scope: string): Promise<number> {
  const metric = await metrics.rateLimitRejections.get();
  return metric.values.find((value) => value.labels.scope === scope)?.value ?? 0;
}

describe('Limits', () => {
  let env: ReturnType<typeof setUp>;
  afterEach(() => env.close());

  it('counts the headers down and refuses past the limit with Retry-After until the window frees', async () => {
    env = setUp();
    const caller = callerOf('a', { per_minute: 3, per_day: 100 });
    const seen: RateLimitHeaders[] = [];
    for (let i = 0; i < 3; i++) {
      const admission = await env.limits.admit(caller, undefined, SMALL, (h) => seen.push(h));
      admission.release();
    }
    expect(seen.map((h) => h['x-ratelimit-remaining'])).toEqual(['2', '1', '0']);
    expect(seen[0]['x-ratelimit-limit']).toBe('3');
    const refusal = await refusalOf(env.limits.admit(caller, undefined, SMALL, (h) => seen.push(h)));
    expect(refusal).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(refusal.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(refusal.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(seen[3]).toEqual({
      'x-ratelimit-limit': '3',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '60',
    });
    expect(await rejections(env.metrics, 'caller')).toBe(1);
  });

  it('uses RATE_LIMIT_PER_MINUTE for a caller without per_minute', async () => {
    env = setUp();
    const admission = await env.limits.admit(callerOf('b'), undefined, SMALL, () => undefined);
    expect(admission.headers['x-ratelimit-limit']).toBe('500');
    expect(admission.reservation).toBeUndefined();
  });

  it('applies no default window with RATE_LIMIT_PER_MINUTE=0: no headers, and only the caller limits', async () => {
    env = setUp(0, 0);
    const free = await env.limits.admit(callerOf('free'), undefined, SMALL, () => undefined);
    expect(free.headers).toEqual({});
    const own = await env.limits.admit(callerOf('own', { per_hour: 1 }), undefined, SMALL, () => undefined);
    expect(own.headers['x-ratelimit-limit']).toBe('1');
    await expect(
      env.limits.admit(callerOf('own', { per_hour: 1 }), undefined, SMALL, () => undefined),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('does not let a caller refused by its own limit use up the global window', async () => {
    env = setUp(3);
    const runaway = callerOf('runaway', { per_minute: 1 });
    await env.limits.admit(runaway, undefined, SMALL, () => undefined);
    for (let i = 0; i < 5; i++) {
      await expect(env.limits.admit(runaway, undefined, SMALL, () => undefined)).rejects.toMatchObject({
        code: 'RATE_LIMITED',
      });
    }
    const other = callerOf('other');
    const first = await env.limits.admit(other, undefined, SMALL, () => undefined);
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    await env.limits.admit(other, undefined, SMALL, () => undefined);
    const refusal = await refusalOf(env.limits.admit(other, undefined, SMALL, () => undefined));
    expect(refusal.message).toContain('all callers together');
    expect(await rejections(env.metrics, 'global')).toBe(1);
  });

  it('keeps end users apart, and still counts them against their caller', async () => {
    env = setUp();
    const caller = callerOf('judge', { per_minute: 3 }, { per_minute: 1 });
    await env.limits.admit(caller, 'alice', SMALL, () => undefined);
    const refusal = await refusalOf(env.limits.admit(caller, 'alice', SMALL, () => undefined));
    expect(refusal.message).toContain('end user "alice"');
    await env.limits.admit(caller, 'bob', SMALL, () => undefined);
    await env.limits.admit(caller, undefined, SMALL, () => undefined);
    await expect(env.limits.admit(caller, 'carol', SMALL, () => undefined)).rejects.toMatchObject({
      message: expect.stringContaining('caller "judge"'),
    });
    expect(await rejections(env.metrics, 'end_user')).toBe(1);
  });

  it('refuses the third concurrent request at once and frees a slot on release, once', async () => {
    env = setUp();
    const caller = callerOf('c', { concurrency: 2 });
    const first = await env.limits.admit(caller, undefined, SMALL, () => undefined);
    const second = await env.limits.admit(caller, undefined, SMALL, () => undefined);
    const refusal = await refusalOf(env.limits.admit(caller, undefined, SMALL, () => undefined));
    expect(refusal).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    expect(await rejections(env.metrics, 'concurrency')).toBe(1);
    first.release();
    first.release();
    const third = await env.limits.admit(caller, undefined, SMALL, () => undefined);
    // The repeated release freed nothing more: the slots are full again.
    await expect(env.limits.admit(caller, undefined, SMALL, () => undefined)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
    second.release();
    third.release();
  });

  it('plays the budget example: 30 tokens, calls of 18 go 200, 200, then 429 until UTC midnight', async () => {
    env = setUp();
    const caller = callerOf('d', { tokens_per_day: 30 });
    const statuses: number[] = [];
    let refusal: GatewayError | undefined;
    for (let i = 0; i < 3; i++) {
      try {
        const admission = await env.limits.admit(
          caller,
          undefined,
          { tokens: 300, costUsd: 0 },
          () => undefined,
        );
        statuses.push(200);
        await env.limits.settle(admission.reservation!, { tokens: 18, costUsd: 0 });
        admission.release();
      } catch (error) {
        statuses.push(429);
        refusal = error as GatewayError;
      }
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(refusal?.code).toBe('BUDGET_EXCEEDED');
    expect(
      Math.abs((refusal?.retryAfterSeconds ?? 0) - secondsUntilUtcMidnight(Date.now())),
    ).toBeLessThanOrEqual(1);
    expect(await rejections(env.metrics, 'budget')).toBe(1);
  });

  it('gives back the window count and the slot of a request its budget refuses', async () => {
    env = setUp();
    const caller = callerOf('e', { per_minute: 5, concurrency: 1, cost_usd_per_day: 0 });
    const seen: RateLimitHeaders[] = [];
    await expect(env.limits.admit(caller, undefined, SMALL, (h) => seen.push(h))).rejects.toMatchObject({
      code: 'BUDGET_EXCEEDED',
    });
    expect(seen[0]['x-ratelimit-remaining']).toBe('5');
    const other = callerOf('e', { per_minute: 5, concurrency: 1 });
    const admission = await env.limits.admit(other, undefined, SMALL, () => undefined);
    expect(admission.headers['x-ratelimit-remaining']).toBe('4');
    admission.release();
  });

  it('cancels a reservation so it holds nothing, and settles only once', async () => {
    env = setUp();
    const caller = callerOf('f', { tokens_per_day: 100 });
    const big = await env.limits.admit(caller, undefined, { tokens: 100, costUsd: 0 }, () => undefined);
    await expect(env.limits.admit(caller, undefined, SMALL, () => undefined)).rejects.toMatchObject({
      code: 'BUDGET_EXCEEDED',
      retryAfterSeconds: 1,
    });
    await env.limits.cancel(big.reservation!);
    const next = await env.limits.admit(caller, undefined, SMALL, () => undefined);
    await env.limits.settle(next.reservation!, { tokens: 60, costUsd: 0 });
    await env.limits.settle(next.reservation!, { tokens: 60, costUsd: 0 });
    // 60 spent, not 120: the repeated settlement was a no-op.
    await env.limits.admit(caller, undefined, SMALL, () => undefined);
  });
});

describe('Admission', () => {
  let env: ReturnType<typeof setUp>;
  afterEach(() => env.close());
  const budgeted = () => callerOf('g', { tokens_per_day: 50 });

  it('settles once: a later cancel() (as in a finally) keeps the spend', async () => {
    env = setUp();
    const admission = await env.limits.admit(
      budgeted(),
      undefined,
      { tokens: 10, costUsd: 0 },
      () => undefined,
    );
    await admission.settle({ tokens: 50, costUsd: 0 });
    await admission.cancel();
    await expect(env.limits.admit(budgeted(), undefined, SMALL, () => undefined)).rejects.toMatchObject({
      code: 'BUDGET_EXCEEDED',
    });
  });

  it('hands the reservation over to a queued job: cancel() then leaves it for Limits.settle()', async () => {
    env = setUp();
    const admission = await env.limits.admit(
      budgeted(),
      undefined,
      { tokens: 50, costUsd: 0 },
      () => undefined,
    );
    const reservation = admission.handOver();
    expect(reservation).toMatchObject({ callerId: 'g', tokens: 50, store: 'memory' });
    if (!reservation) throw new Error('no reservation handed over');
    await admission.cancel();
    // Still reserved: the 50 held fill the budget.
    await expect(env.limits.admit(budgeted(), undefined, SMALL, () => undefined)).rejects.toMatchObject({
      retryAfterSeconds: 1,
    });
    await env.limits.settle(asPlainData(reservation), { tokens: 5, costUsd: 0 });
    await env.limits.admit(budgeted(), undefined, SMALL, () => undefined);
  });
});

describe('Limits.estimate', () => {
  let env: ReturnType<typeof setUp>;
  beforeEach(() => (env = setUp()));
  afterEach(() => env.close());

  const request: ChatCompletionRequest = {
    model: 'openai/gpt-4o-mini',
    messages: [{ role: 'user', content: 'price me' }],
    max_tokens: 1000,
  };
  const mini = { provider: 'openai', model: 'gpt-4o-mini' } as const;
  const unpriced = { provider: 'openai', model: 'gpt-5-pro' } as const;
  const usd = () => callerOf('usd', { cost_usd_per_day: 1 });

  it('refuses an unpriced model or fallback with 400 naming it while a USD budget applies', async () => {
    expect(() => env.limits.estimate(usd(), undefined, request, unpriced)).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST', status: 400, param: 'model' }),
    );
    expect(() => env.limits.estimate(usd(), undefined, request, mini, [mini, unpriced])).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST', param: 'x-fallback-models' }),
    );
    const tenant = callerOf('tenant', {}, { cost_usd_per_day: 1 });
    expect(() => env.limits.estimate(tenant, 'alice', request, unpriced)).toThrow(
      expect.objectContaining({ param: 'model' }),
    );
    // Nothing was counted: the budget-less windows are untouched and the caller is admitted as new.
    const seen: string[] = [];
    await env.limits.admit(usd(), undefined, SMALL, (h) => seen.push(h['x-ratelimit-remaining']));
    expect(seen).toEqual(['499']);
  });

  it('lets unpriced models through when no USD budget judges the request', () => {
    const free = { tokens: estimateOf(request).tokens, costUsd: 0 };
    expect(env.limits.estimate(callerOf('none'), undefined, request, unpriced)).toEqual(free);
    const tokensOnly = callerOf('tokens', { tokens_per_day: 10_000 });
    expect(env.limits.estimate(tokensOnly, undefined, request, unpriced)).toEqual(free);
    // An end-user budget judges only requests that name an end user.
    const tenant = callerOf('tenant', {}, { cost_usd_per_day: 1 });
    expect(env.limits.estimate(tenant, undefined, request, unpriced)).toEqual(free);
    // The mock is priced at 0 and stays usable under a budget.
    expect(env.limits.estimate(usd(), undefined, request, { provider: 'mock', model: 'echo' })).toEqual(free);
  });

  it('reserves at the dearest price among the model and its fallbacks', () => {
    const dear = { provider: 'openai', model: 'gpt-4o' } as const;
    const estimate = env.limits.estimate(usd(), undefined, request, mini, [dear]);
    expect(estimate).toEqual(estimateOf(request, { input: 2.5, output: 10 }));
    expect(env.limits.estimate(usd(), undefined, request, dear, [mini])).toEqual(estimate);
  });
});

describe('Limits: the gateway-wide limits', () => {
  function setUpGlobal(env: Record<string, string>) {
    const config = testConfig({ RATE_LIMIT_PER_MINUTE: '0', ...env });
    const redis = new RedisConnections(config);
    const metrics = new Metrics();
    const limits = new Limits(
      config,
      new WindowLimiters(redis),
      new ConcurrencySlots(redis, config),
      new BudgetLedger(redis, config),
      metrics,
      new Pricing(config, metrics),
    );
    return { limits, metrics, close: () => redis.onApplicationShutdown() };
  }
  let env: ReturnType<typeof setUpGlobal>;
  afterEach(() => env.close());

  it('holds GLOBAL_CONCURRENCY over all callers, queueing the overflow only when asked, and shares it with jobs', async () => {
    env = setUpGlobal({ GLOBAL_CONCURRENCY: '2' });
    const first = await env.limits.admit(callerOf('a'), undefined, SMALL, () => undefined);
    const job = await env.limits.globalSlot();
    expect(job).toBeDefined();
    expect(await env.limits.globalSlot()).toBeUndefined();
    const refusal = await refusalOf(env.limits.admit(callerOf('b'), undefined, SMALL, () => undefined));
    expect(refusal).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(refusal.message).toContain('scope global');
    expect(await rejections(env.metrics, 'global')).toBe(1);

    const queued = await env.limits.admit(callerOf('b'), undefined, SMALL, () => undefined, {
      queueWhenSaturated: true,
    });
    expect(queued.saturated).toContain('scope global');
    expect(await rejections(env.metrics, 'global')).toBe(1);

    job?.release();
    job?.release();
    const freed = await env.limits.admit(callerOf('c'), undefined, SMALL, () => undefined, {
      queueWhenSaturated: true,
    });
    expect(freed.saturated).toBeUndefined();
    first.release();
    freed.release();
  });

  it('does not queue a request that something besides GLOBAL_CONCURRENCY refuses', async () => {
    env = setUpGlobal({ GLOBAL_CONCURRENCY: '1' });
    const held = await env.limits.admit(callerOf('a'), undefined, SMALL, () => undefined);
    const own = callerOf('own', { concurrency: 1, per_minute: 1 });
    await env.limits.admit(own, undefined, SMALL, () => undefined, { queueWhenSaturated: true });
    await expect(
      env.limits.admit(own, undefined, SMALL, () => undefined, { queueWhenSaturated: true }),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    held.release();
  });

  it('counts GLOBAL_RATE_LIMIT_PER_HOUR over all callers', async () => {
    env = setUpGlobal({ GLOBAL_RATE_LIMIT_PER_HOUR: '2' });
    await env.limits.admit(callerOf('a'), undefined, SMALL, () => undefined);
    const second = await env.limits.admit(callerOf('b'), undefined, SMALL, () => undefined);
    expect(second.headers['x-ratelimit-remaining']).toBe('0');
    const refusal = await refusalOf(env.limits.admit(callerOf('c'), undefined, SMALL, () => undefined));
    expect(refusal.message).toContain('2 requests per hour for all callers together');
    expect(refusal.retryAfterSeconds).toBeGreaterThan(3000);
  });

  it('reserves and settles GLOBAL_TOKENS_PER_DAY across callers, refusing with scope global', async () => {
    env = setUpGlobal({ GLOBAL_TOKENS_PER_DAY: '30' });
    const first = await env.limits.admit(callerOf('a'), undefined, SMALL, () => undefined);
    expect(first.reservation).toMatchObject({ global: true, tokens: 10 });
    await first.settle({ tokens: 18, costUsd: 0 });
    const second = await env.limits.admit(callerOf('b'), 'alice', SMALL, () => undefined);
    await second.settle({ tokens: 18, costUsd: 0 });
    const refusal = await refusalOf(env.limits.admit(callerOf('c'), undefined, SMALL, () => undefined));
    expect(refusal).toMatchObject({ code: 'BUDGET_EXCEEDED', status: 429 });
    expect(refusal.message).toContain('all callers together (scope global');
    // Computed a moment apart: a second boundary may fall between them.
    expect(
      Math.abs((refusal.retryAfterSeconds ?? 0) - secondsUntilUtcMidnight(Date.now())),
    ).toBeLessThanOrEqual(1);
    expect(await rejections(env.metrics, 'global')).toBe(1);
    expect(await rejections(env.metrics, 'budget')).toBe(0);
  });

  it('requires a price while GLOBAL_COST_USD_PER_DAY judges every request', () => {
    env = setUpGlobal({ GLOBAL_COST_USD_PER_DAY: '100' });
    const request = { model: 'x', messages: [{ role: 'user' as const, content: 'hi' }] };
    expect(() =>
      env.limits.estimate(callerOf('a'), undefined, request, { provider: 'openai', model: 'not-priced-x' }),
    ).toThrow(expect.objectContaining({ param: 'model' }));
  });
});
