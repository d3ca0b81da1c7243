import { Test, TestingModule } from '@nestjs/testing';
import { Usage } from '@breakwater/accounting';
import { ResponseCache } from '@breakwater/cache';
import { BudgetHold, CompletionModule, CompletionStep } from '@breakwater/completion';
import { ConfigModule } from '@breakwater/config';
import { Caller, CallerLimits, ChatCompletionRequest, GatewayError } from '@breakwater/contracts';
import { ObservabilityModule } from '@breakwater/observability';
import { Limits, SpendEstimate } from '@breakwater/rate-limit';
import { RedisModule } from '@breakwater/redis';
import { testConfig } from '@breakwater/testing';
import { RedisServer, startRedis } from '../helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from '../helpers/stubs/openai.stub';

// The completion step that the request path and the queue worker share, against a real redis-server
// (second-tier cache, usage, budget ledger) and an OpenAI stub on loopback.

describe('CompletionStep against real Redis', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  let moduleRef: TestingModule;
  let step: CompletionStep;
  let cache: ResponseCache;
  let limits: Limits;
  let usage: Usage;

  const callerOf = (id: string, limits: CallerLimits = {}): Caller => ({
    id,
    keySha256: '0'.repeat(64),
    role: 'caller',
    limits,
    endUserLimits: {},
    cache: { enabled: true, namespace: id },
  });
  const requestOf = (text: string, maxTokens?: number): ChatCompletionRequest => ({
    model: 'openai/gpt-4o-mini',
    messages: [{ role: 'user', content: text }],
    ...(maxTokens ? { max_tokens: maxTokens } : {}),
  });
  /** A budget hold that remembers what it was settled with, as an Admission would be. */
  const recordingHold = (): BudgetHold & { settled: SpendEstimate[] } => {
    const settled: SpendEstimate[] = [];
    return {
      settled,
      settle: (actual) => {
        settled.push(actual);
        return Promise.resolve();
      },
      cancel: () => Promise.resolve(),
    };
  };

  beforeAll(async () => {
    redis = await startRedis();
    stub = await startOpenAiStub();
    stub.server.reply(() => stub.completion('an answer'));
    const config = testConfig({
      LOG_LEVEL: 'silent',
      REDIS_URL: redis.url,
      OPENAI_API_KEY: 'sk-test-completion-step-0001',
      OPENAI_BASE_URL: stub.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
    });
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(config),
        RedisModule,
        CompletionModule,
      ],
    }).compile();
    await moduleRef.init();
    step = moduleRef.get(CompletionStep);
    cache = moduleRef.get(ResponseCache, { strict: false });
    limits = moduleRef.get(Limits, { strict: false });
    usage = moduleRef.get(Usage, { strict: false });
  });
  afterAll(async () => {
    await moduleRef?.close();
    await stub?.stop();
    await redis?.stop();
  });

  it('answers a miss from the provider and books it on settle(); an identical request is a hit that costs nothing', async () => {
    const caller = callerOf('hits');
    const request = requestOf('the same question');
    const routing = step.resolve(request, []);
    const plan = cache.plan(caller, request, routing.route, { mode: 'default' });
    const calls = stub.server.requests.length;
    const work = { callerId: caller.id, request, routing, cachePlan: plan };

    const missHold = recordingHold();
    const miss = await step.complete({ ...work, budget: missHold });
    expect(miss.cache).toBe('MISS');
    expect(stub.server.requests.length).toBe(calls + 1);
    // Nothing is booked before settle(): a streamed answer settles only once it has been sent.
    expect((await usage.report(caller.id)).day.requests).toBe(0);
    expect(missHold.settled).toEqual([]);
    await miss.settle();
    expect(miss.costUsd).toBeGreaterThan(0);
    expect(missHold.settled).toEqual([{ tokens: 20, costUsd: miss.costUsd }]);

    const hitHold = recordingHold();
    const hit = await step.complete({ ...work, budget: hitHold });
    await hit.settle();
    expect(hit.cache).toBe('HIT');
    expect(hit.answer.completion.choices[0].message.content).toBe('an answer');
    expect(stub.server.requests.length).toBe(calls + 1);
    expect(hit.costUsd).toBe(0);
    expect(hitHold.settled).toEqual([{ tokens: 0, costUsd: 0 }]);
    const day = (await usage.report(caller.id)).day;
    expect(day).toMatchObject({ requests: 2, cache_hits: 1, tokens_in: 20, tokens_out: 20 });
    expect(day.cost_usd).toBeCloseTo(miss.costUsd, 9);
  });

  it("settles a job's handed-over reservation with the real spend, so the next request is judged on it", async () => {
    const caller = callerOf('budgeted', { tokens_per_day: 150 });
    const request = requestOf('a long answer, please', 150);
    const routing = step.resolve(request, []);
    const estimate = limits.estimate(caller, undefined, request, routing.route);
    const admit = () => limits.admit(caller, undefined, estimate, () => undefined);
    const reservation = (await admit()).handOver();
    expect(reservation).toBeDefined();
    // The job's reservation (over 150 tokens) fills the budget of 150 while it is held.
    await expect(admit()).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });

    const done = await step.complete({
      callerId: caller.id,
      request,
      routing,
      budget: step.heldBudget(reservation),
    });
    await done.settle();
    expect(done.cache).toBe('BYPASS');

    // Settled at the 20 tokens really spent: the same estimate fits again.
    const next = await admit();
    await next.cancel();
  });

  it("cancels a job's handed-over reservation without spend when the job ends without an answer", async () => {
    const caller = callerOf('cancelled', { tokens_per_day: 150 });
    const request = requestOf('never answered', 150);
    const estimate = limits.estimate(caller, undefined, request, step.resolve(request, []).route);
    const admit = () => limits.admit(caller, undefined, estimate, () => undefined);
    const hold = step.heldBudget((await admit()).handOver());
    await expect(admit()).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    await hold.cancel();
    await (await admit()).cancel();
  });

  it('calls the provider every time and stores nothing without a cache plan', async () => {
    const request = requestOf('not cached');
    const routing = step.resolve(request, []);
    const calls = stub.server.requests.length;
    for (let i = 0; i < 2; i++) {
      const done = await step.complete({
        callerId: 'uncached',
        request,
        routing,
        budget: step.heldBudget(undefined),
      });
      await done.settle();
      expect(done.cache).toBe('BYPASS');
    }
    expect(stub.server.requests.length).toBe(calls + 2);
    expect((await usage.report('uncached')).day).toMatchObject({ requests: 2, cache_hits: 0 });
  });

  it('passes a provider rejection through and books nothing', async () => {
    const request = requestOf('rejected');
    const hold = recordingHold();
    stub.server.replyOnce(stub.errors.reply(400, 'bad request'));
    await expect(
      step.complete({ callerId: 'rejected', request, routing: step.resolve(request, []), budget: hold }),
    ).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(hold.settled).toEqual([]);
    expect((await usage.report('rejected')).day.requests).toBe(0);
  });

  it('resolves the model, the fallbacks and the response format, naming the field at fault', () => {
    const request = requestOf('routing');
    expect(step.resolve(request, ['mock/echo']).fallbacks.map((route) => route.provider)).toEqual(['mock']);
    const param = (run: () => unknown): string | undefined => {
      try {
        run();
      } catch (error) {
        if (error instanceof GatewayError) return error.param;
        throw error;
      }
      return undefined;
    };
    expect(param(() => step.resolve({ ...request, model: 'nowhere/x' }, []))).toBe('model');
    expect(param(() => step.resolve(request, ['nowhere/x']))).toBe('x-fallback-models');
    const deep = { type: 'object', properties: { a: { $ref: '#/definitions/missing' } } };
    const badFormat: ChatCompletionRequest = {
      ...request,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: deep } },
    };
    expect(param(() => step.resolve(badFormat, []))).toMatch(/^response_format/);
  });
});
