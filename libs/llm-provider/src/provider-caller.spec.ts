import {
  ChatCompletion,
  ChatCompletionRequest,
  EmbeddingList,
  EmbeddingRequest,
  GatewayError,
  ProviderId,
} from '@breakwater/contracts';
import { Metrics, Tracing } from '@breakwater/observability';
import { completionWith, testConfig } from '@breakwater/testing';
import { LlmProviderAdapter, ProviderRequest } from './adapters/llm-provider.adapter';
import { ModelRoute } from './model-router';
import { Pricing } from './pricing';
import { CompletionOptions, ProviderAnswer, ProviderCaller } from './provider-caller';
import { ProviderError } from './provider-error';
import { ProviderMetrics } from './provider-metrics';
import { CircuitBreakers } from './resilience/circuit-breakers';
import { CircuitOpenError } from './resilience/circuit-open.error';
import { StructuredOutput } from './structured-output';

/** What the fake provider does on one call: answer, fail, or hang until its signal aborts. */
type Step = ChatCompletion | ProviderError | 'hang';

/** An in-process provider playing a script; its last step repeats. Records each request and when it came. */
class ScriptedAdapter implements LlmProviderAdapter {
  readonly configured = true;
  readonly requests: ProviderRequest[] = [];
  readonly calledAt: number[] = [];

  constructor(
    readonly id: ProviderId,
    private readonly steps: Step[],
  ) {}

  async complete(request: ProviderRequest, signal: AbortSignal): Promise<ChatCompletion> {
    this.requests.push(request);
    this.calledAt.push(performance.now());
    const step = this.steps[Math.min(this.requests.length, this.steps.length) - 1];
    if (step === 'hang') return hang(signal);
    if (step instanceof ProviderError) throw step;
    return step;
  }

  /** Milliseconds between call `index` and the one before it. */
  gap(index: number): number {
    return this.calledAt[index] - this.calledAt[index - 1];
  }
}

function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(new ProviderError('transient', 'request aborted')), {
      once: true,
    }),
  );
}

function answer(content: string): ChatCompletion {
  return completionWith(content, {
    model: 'upstream-name',
    usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
  });
}

const transient = () => new ProviderError('transient', '503 overloaded', { status: 503 });
const rateLimited = (retryAfterMs: number) =>
  new ProviderError('rate_limited', '429 slow down', { status: 429, retryAfterMs });

const request: ChatCompletionRequest = {
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: 'grade this' }],
};

const routeOf = (adapter: ScriptedAdapter, model = 'gpt-4o-mini'): ModelRoute => ({
  provider: adapter.id,
  model,
  adapter,
});

interface Harness {
  caller: ProviderCaller;
  metrics: Metrics;
  breakers: CircuitBreakers;
  structured: StructuredOutput;
  pricing: Pricing;
}

const started: CircuitBreakers[] = [];

/** A caller over the real breakers, structured output, pricing and metrics; RETRY_BASE_DELAY_MS small. */
function harness(env: Record<string, string> = {}): Harness {
  const config = testConfig({ RETRY_BASE_DELAY_MS: '20', ...env });
  const metrics = new Metrics();
  const breakers = new CircuitBreakers(config, metrics);
  started.push(breakers);
  const structured = new StructuredOutput(config);
  const pricing = new Pricing(config, metrics);
  const caller = new ProviderCaller(
    config,
    breakers,
    structured,
    new ProviderMetrics(metrics, pricing),
    new Tracing(config),
  );
  return { caller, metrics, breakers, structured, pricing };
}

async function count(metrics: Metrics, outcome: string): Promise<number> {
  const { values } = await metrics.llmRequests.get();
  return values
    .filter((value) => value.labels.outcome === outcome)
    .reduce((sum, value) => sum + value.value, 0);
}

async function failure(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error('the call succeeded');
}

async function gatewayFailure(run: Promise<ProviderAnswer>): Promise<GatewayError> {
  const error = await failure(run);
  if (error instanceof GatewayError) return error;
  throw error;
}

/** Full jitter takes `Math.random()` of the ceiling: pinning it makes each backoff exact. */
const pinJitter = (value: number) => jest.spyOn(Math, 'random').mockReturnValue(value);

afterEach(() => {
  jest.restoreAllMocks();
  for (const breakers of started.splice(0)) breakers.shutdown();
});

describe('ProviderCaller', () => {
  it('retries a transient failure after a backoff that doubles, then returns the answer', async () => {
    pinJitter(0.99);
    const { caller, metrics } = harness({ RETRY_BASE_DELAY_MS: '40', RETRY_MAX_ATTEMPTS: '3' });
    const provider = new ScriptedAdapter('openai', [transient(), transient(), answer('fine')]);

    const result = await caller.complete(routeOf(provider), request);

    expect(result.attempts).toBe(3);
    expect(result.completion.model).toBe('openai/gpt-4o-mini');
    expect(result.completion.choices[0].message.content).toBe('fine');
    expect(provider.requests).toHaveLength(3);
    expect(provider.gap(1)).toBeGreaterThanOrEqual(38);
    expect(provider.gap(2)).toBeGreaterThanOrEqual(78);
    expect(await count(metrics, 'transient')).toBe(2);
    expect(await count(metrics, 'success')).toBe(1);
  });

  it("waits at least the provider's Retry-After before the next attempt", async () => {
    pinJitter(0);
    const { caller } = harness();
    const provider = new ScriptedAdapter('openai', [rateLimited(250), answer('fine')]);

    const result = await caller.complete(routeOf(provider), request);

    expect(result.attempts).toBe(2);
    expect(provider.gap(1)).toBeGreaterThanOrEqual(245);
  });

  it.each([
    ['bad_request', new ProviderError('bad_request', '400 bad field', { status: 400 })],
    ['auth', new ProviderError('auth', '401 bad key', { status: 401 })],
  ])('ends at once as PROVIDER_ERROR on a permanent %s failure', async (_kind, error) => {
    const { caller } = harness({ RETRY_MAX_ATTEMPTS: '5' });
    const provider = new ScriptedAdapter('openai', [error, answer('never')]);

    const refused = await gatewayFailure(caller.complete(routeOf(provider), request));

    expect(refused.code).toBe('PROVIDER_ERROR');
    expect(refused.status).toBe(502);
    expect(provider.requests).toHaveLength(1);
  });

  it('gives up after RETRY_MAX_ATTEMPTS as PROVIDER_UNAVAILABLE carrying the last Retry-After', async () => {
    pinJitter(0);
    const { caller } = harness({ RETRY_MAX_ATTEMPTS: '3' });
    const provider = new ScriptedAdapter('openai', [transient(), transient(), rateLimited(2500)]);

    const refused = await gatewayFailure(caller.complete(routeOf(provider), request));

    expect(refused.code).toBe('PROVIDER_UNAVAILABLE');
    expect(refused.status).toBe(503);
    expect(refused.retryAfterSeconds).toBe(3);
    expect(provider.requests).toHaveLength(3);
  });

  it('says to retry after the base delay, in whole seconds, when the provider named no Retry-After', async () => {
    const { caller } = harness({ RETRY_MAX_ATTEMPTS: '2' });
    const provider = new ScriptedAdapter('openai', [transient()]);

    const refused = await gatewayFailure(caller.complete(routeOf(provider), request));

    expect(refused.code).toBe('PROVIDER_UNAVAILABLE');
    expect(refused.retryAfterSeconds).toBe(1);
    expect(provider.requests).toHaveLength(2);
  });

  it('cuts a hanging attempt at REQUEST_TIMEOUT_SECONDS and starts no retry after it', async () => {
    const { caller } = harness({
      REQUEST_TIMEOUT_SECONDS: '0.3',
      LLM_TIMEOUT_SECONDS: '20',
      RETRY_MAX_ATTEMPTS: '5',
    });
    const provider = new ScriptedAdapter('openai', ['hang']);
    const start = performance.now();

    const refused = await gatewayFailure(caller.complete(routeOf(provider), request));

    const elapsed = performance.now() - start;
    expect(refused.code).toBe('PROVIDER_UNAVAILABLE');
    expect(provider.requests).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1000);
  });

  it('starts no retry whose backoff would end past REQUEST_TIMEOUT_SECONDS', async () => {
    const { caller } = harness({ REQUEST_TIMEOUT_SECONDS: '1', RETRY_MAX_ATTEMPTS: '5' });
    const provider = new ScriptedAdapter('openai', [rateLimited(5000), answer('too late')]);
    const start = performance.now();

    const refused = await gatewayFailure(caller.complete(routeOf(provider), request));

    expect(refused.code).toBe('PROVIDER_UNAVAILABLE');
    expect(refused.retryAfterSeconds).toBe(5);
    expect(provider.requests).toHaveLength(1);
    expect(performance.now() - start).toBeLessThan(500);
  });

  describe('with a response_format', () => {
    const graded: ChatCompletionRequest = {
      ...request,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'grade',
          schema: {
            type: 'object',
            properties: { score: { type: 'integer', minimum: 1, maximum: 5 } },
            required: ['score'],
            additionalProperties: false,
          },
        },
      },
    };

    it('asks again with the validation error in the conversation, then returns the valid answer', async () => {
      const { caller, metrics, structured, pricing } = harness({ RETRY_MAX_ATTEMPTS: '3' });
      const provider = new ScriptedAdapter('openai', [answer('{"score": 9}'), answer('{"score": 4}')]);
      const check = structured.check(graded.response_format, '{"score": 9}');
      if (check.ok) throw new Error('the invalid answer passed its schema');

      const result = await caller.complete(routeOf(provider), graded);

      expect(result.attempts).toBe(2);
      expect(result.completion.choices[0].message.content).toBe('{"score": 4}');
      const [again] = provider.requests.slice(1);
      expect(again.messages).toHaveLength(3);
      expect(again.messages[1]).toEqual({ role: 'assistant', content: '{"score": 9}' });
      expect(again.messages[2].role).toBe('user');
      expect(again.messages[2].content).toContain(check.problem);
      const oneCall = pricing.costUsd('openai', 'gpt-4o-mini', answer('').usage);
      expect(oneCall).toBeGreaterThan(0);
      expect(result.costUsd).toBeCloseTo(2 * oneCall, 12);
      expect(await count(metrics, 'invalid_output')).toBe(1);
    });

    it('ends as PROVIDER_ERROR when no answer matches within RETRY_MAX_ATTEMPTS', async () => {
      const { caller } = harness({ RETRY_MAX_ATTEMPTS: '2' });
      const provider = new ScriptedAdapter('openai', [answer('not json')]);

      const refused = await gatewayFailure(caller.complete(routeOf(provider), graded));

      expect(refused.code).toBe('PROVIDER_ERROR');
      expect(provider.requests).toHaveLength(2);
    });
  });

  describe('fallbacks', () => {
    it('hands over to the next route when the first stays unavailable, asking beforeAttempt each time', async () => {
      const { caller } = harness({ RETRY_MAX_ATTEMPTS: '2' });
      const first = new ScriptedAdapter('openai', [transient()]);
      const second = new ScriptedAdapter('anthropic', [answer('from the fallback')]);
      const asked: ProviderId[] = [];
      const options: CompletionOptions = {
        fallbacks: [routeOf(second, 'claude-sonnet-4-5')],
        beforeAttempt: (provider) => {
          asked.push(provider);
          return Promise.resolve();
        },
      };

      const result = await caller.complete(routeOf(first), request, options);

      expect(result.provider).toBe('anthropic');
      expect(result.completion.model).toBe('anthropic/claude-sonnet-4-5');
      expect(second.requests[0].model).toBe('claude-sonnet-4-5');
      expect(first.requests).toHaveLength(2);
      expect(asked).toEqual(['openai', 'openai', 'anthropic']);
    });

    it('does not try a fallback when the first route answered 4xx', async () => {
      const { caller } = harness();
      const first = new ScriptedAdapter('openai', [
        new ProviderError('bad_request', '400 bad', { status: 400 }),
      ]);
      const second = new ScriptedAdapter('anthropic', [answer('never')]);

      const refused = await gatewayFailure(
        caller.complete(routeOf(first), request, { fallbacks: [routeOf(second, 'claude-sonnet-4-5')] }),
      );

      expect(refused.code).toBe('PROVIDER_ERROR');
      expect(second.requests).toHaveLength(0);
    });
  });

  it("refuses with CircuitOpenError, calling nothing, while the provider's breaker is open", async () => {
    const { caller, breakers, metrics } = harness({
      BREAKER_VOLUME_THRESHOLD: '1',
      BREAKER_RESET_TIMEOUT_SECONDS: '60',
      RETRY_MAX_ATTEMPTS: '1',
    });
    const provider = new ScriptedAdapter('openai', [transient()]);
    await gatewayFailure(caller.complete(routeOf(provider), request));
    expect(breakers.state('openai')).toBe('open');

    const asked: ProviderId[] = [];
    const beforeAttempt = (id: ProviderId) => {
      asked.push(id);
      return Promise.resolve();
    };

    const refused = await failure(caller.complete(routeOf(provider), request, { beforeAttempt }));

    if (!(refused instanceof CircuitOpenError)) throw refused;
    expect(asked).toEqual([]);
    expect(refused.code).toBe('PROVIDER_UNAVAILABLE');
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(provider.requests).toHaveLength(1);
    expect(await count(metrics, 'transient')).toBe(1);
  });

  describe('when the signal aborts', () => {
    it('stops during a backoff and tries no fallback', async () => {
      const { caller } = harness({ REQUEST_TIMEOUT_SECONDS: '30', RETRY_MAX_ATTEMPTS: '5' });
      const first = new ScriptedAdapter('openai', [rateLimited(10_000)]);
      const second = new ScriptedAdapter('anthropic', [answer('never')]);
      const start = performance.now();

      const refused = await failure(
        caller.complete(routeOf(first), request, {
          signal: AbortSignal.timeout(50),
          fallbacks: [routeOf(second, 'claude-sonnet-4-5')],
        }),
      );

      expect(refused).toMatchObject({ name: 'AbortError' });
      expect(performance.now() - start).toBeLessThan(1000);
      expect(first.requests).toHaveLength(1);
      expect(second.requests).toHaveLength(0);
    });

    it('stops during an attempt and starts no retry', async () => {
      const { caller } = harness({ REQUEST_TIMEOUT_SECONDS: '30', RETRY_MAX_ATTEMPTS: '5' });
      const provider = new ScriptedAdapter('openai', ['hang']);
      const start = performance.now();

      const refused = await failure(
        caller.complete(routeOf(provider), request, { signal: AbortSignal.timeout(50) }),
      );

      expect(refused).toBeInstanceOf(ProviderError);
      expect(performance.now() - start).toBeLessThan(1000);
      expect(provider.requests).toHaveLength(1);
    });
  });

  describe('embed', () => {
    /** A provider with embeddings playing a script, its last step repeating. */
    class EmbeddingAdapter extends ScriptedAdapter {
      readonly embedded: EmbeddingRequest[] = [];

      constructor(
        id: ProviderId,
        private readonly script: (EmbeddingList | ProviderError)[],
      ) {
        super(id, []);
      }

      embed(request: EmbeddingRequest): Promise<EmbeddingList> {
        this.embedded.push(request);
        const step = this.script[Math.min(this.embedded.length, this.script.length) - 1];
        return step instanceof ProviderError ? Promise.reject(step) : Promise.resolve(step);
      }
    }

    const vectors: EmbeddingList = {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.6, 0.8] }],
      model: 'upstream-name',
      usage: { prompt_tokens: 1_000_000, total_tokens: 1_000_000 },
    };
    const asked: EmbeddingRequest = { model: 'openai/text-embedding-3-small', input: 'text' };

    it('retries through the same loop, names the model and prices the input tokens', async () => {
      const { caller, metrics } = harness({ RETRY_MAX_ATTEMPTS: '3' });
      const provider = new EmbeddingAdapter('openai', [transient(), vectors]);

      const result = await caller.embed(routeOf(provider, 'text-embedding-3-small'), asked);

      expect(result.attempts).toBe(2);
      expect(result.embeddings.model).toBe('openai/text-embedding-3-small');
      expect(result.costUsd).toBeCloseTo(0.02, 10);
      expect(provider.embedded.map((request) => request.model)).toEqual([
        'text-embedding-3-small',
        'text-embedding-3-small',
      ]);
      expect(await count(metrics, 'transient')).toBe(1);
      expect(await count(metrics, 'success')).toBe(1);
    });

    it('hands an unavailable route over to the next fallback', async () => {
      const { caller } = harness({ RETRY_MAX_ATTEMPTS: '1' });
      const down = new EmbeddingAdapter('openai', [transient()]);
      const up = new EmbeddingAdapter('gemini', [vectors]);

      const result = await caller.embed(routeOf(down, 'text-embedding-3-small'), asked, {
        fallbacks: [routeOf(up, 'gemini-embedding-001')],
      });

      expect(result.provider).toBe('gemini');
      expect(result.embeddings.model).toBe('gemini/gemini-embedding-001');
    });

    it('refuses a provider without embeddings with 400 naming model, calling nothing', async () => {
      const { caller } = harness();
      const chatOnly = new ScriptedAdapter('anthropic', [answer('never')]);

      const refused = await failure(caller.embed(routeOf(chatOnly, 'claude-haiku-4-5'), asked));

      expect(refused).toMatchObject({ code: 'INVALID_REQUEST', param: 'model' });
      expect(chatOnly.requests).toHaveLength(0);
    });
  });
});
