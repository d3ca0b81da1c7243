import { ChatCompletionChunk, ChatCompletionRequest, GatewayError, ProviderId } from '@breakwater/contracts';
import { Metrics, Tracing } from '@breakwater/observability';
import { completionWith, testConfig } from '@breakwater/testing';
import { LlmProviderAdapter, ProviderRequest } from '../adapters/llm-provider.adapter';
import { ModelRoute } from '../model-router';
import { Pricing } from '../pricing';
import { ProviderCaller } from '../provider-caller';
import { ProviderError } from '../provider-error';
import { ProviderMetrics } from '../provider-metrics';
import { CircuitBreakers } from '../resilience/circuit-breakers';
import { StructuredOutput } from '../structured-output';
import { completionChunks } from './chunks';
import { ProviderStream, StreamInterruptedError } from './provider-stream';

/** One call of the scripted stream: fail before any chunk, stream (and maybe break after `breakAfter`), or hang. */
type Script = { fail: ProviderError } | { content: string; breakAfter?: number; usage?: boolean } | 'hang';

class ScriptedStreams implements LlmProviderAdapter {
  readonly configured = true;
  calls = 0;
  closed = 0;

  constructor(
    readonly id: ProviderId,
    private readonly scripts: Script[],
  ) {}

  complete(): never {
    throw new Error('only streams here');
  }

  async *stream(request: ProviderRequest, signal: AbortSignal): AsyncGenerator<ChatCompletionChunk> {
    const script = this.scripts[Math.min(this.calls, this.scripts.length - 1)];
    this.calls += 1;
    let finished = false;
    try {
      if (script === 'hang') {
        await new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new ProviderError('transient', 'aborted')), {
            once: true,
          }),
        );
        return;
      }
      if ('fail' in script) throw script.fail;
      const chunks = completionChunks(
        completionWith(script.content, {
          model: request.model,
          usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
        }),
        { usage: script.usage ?? true },
      );
      for (const [index, chunk] of chunks.entries()) {
        if (script.breakAfter !== undefined && index === script.breakAfter) {
          throw new ProviderError('transient', 'connection reset midway');
        }
        yield chunk;
      }
      finished = true;
    } finally {
      if (!finished) this.closed += 1;
    }
  }
}

const request: ChatCompletionRequest = {
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: 'stream please' }],
  stream: true,
};

const routeOf = (adapter: ScriptedStreams): ModelRoute => ({
  provider: adapter.id,
  model: 'gpt-4o-mini',
  adapter,
});

const breakersMade: CircuitBreakers[] = [];

function caller(env: Record<string, string> = {}): { caller: ProviderCaller; metrics: Metrics } {
  const config = testConfig({ RETRY_BASE_DELAY_MS: '10', ...env });
  const metrics = new Metrics();
  const breakers = new CircuitBreakers(config, metrics);
  breakersMade.push(breakers);
  const providerMetrics = new ProviderMetrics(metrics, new Pricing(config, metrics));
  return {
    caller: new ProviderCaller(
      config,
      breakers,
      new StructuredOutput(config),
      providerMetrics,
      new Tracing(config),
    ),
    metrics,
  };
}

async function drain(stream: ProviderStream): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream.chunks()) chunks.push(chunk);
  return chunks;
}

async function thrown(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error('it did not fail');
}

afterEach(() => {
  for (const breakers of breakersMade.splice(0)) breakers.shutdown();
});

describe('ProviderCaller.stream', () => {
  it('passes the chunks on as provider/model, holds the usage chunk back, and prices the whole answer', async () => {
    const provider = new ScriptedStreams('openai', [{ content: 'a streamed answer of some words' }]);
    const { caller: subject, metrics } = caller();
    const stream = await subject.stream(routeOf(provider), request);
    const chunks = await drain(stream);
    expect(chunks.every((chunk) => chunk.model === 'openai/gpt-4o-mini' && chunk.choices.length > 0)).toBe(
      true,
    );
    expect(stream.answer.completion.choices[0].message.content).toBe('a streamed answer of some words');
    expect(stream.answer.completion.usage.total_tokens).toBe(1500);
    // gpt-4o-mini: 1000 x $0.15 + 500 x $0.60 per million.
    expect(stream.answer.costUsd).toBeCloseTo(0.00045, 10);
    const ttft = await metrics.llmTimeToFirstToken.get();
    expect(ttft.values.find((value) => value.metricName?.endsWith('_count'))?.value).toBe(1);
    const counted = (await metrics.llmStreamChunks.get()).values[0].value;
    expect(counted).toBe(chunks.length + 1);
  });

  it('retries a failure before the first chunk, then streams', async () => {
    const provider = new ScriptedStreams('openai', [
      { fail: new ProviderError('transient', '503', { status: 503 }) },
      { content: 'second time lucky' },
    ]);
    const stream = await caller({ RETRY_MAX_ATTEMPTS: '3' }).caller.stream(routeOf(provider), request);
    await drain(stream);
    expect(stream.attempts).toBe(2);
    expect(stream.answer.completion.choices[0].message.content).toBe('second time lucky');
  });

  it('hands over to a fallback while the first route is unavailable before any chunk', async () => {
    const down = new ScriptedStreams('openai', [
      { fail: new ProviderError('transient', '503', { status: 503 }) },
    ]);
    const up = new ScriptedStreams('anthropic', [{ content: 'from the fallback' }]);
    const stream = await caller({ RETRY_MAX_ATTEMPTS: '1' }).caller.stream(routeOf(down), request, {
      fallbacks: [routeOf(up)],
    });
    await drain(stream);
    expect(stream.provider).toBe('anthropic');
  });

  it('abandons an attempt with no first chunk within LLM_TIMEOUT_SECONDS and reports it unavailable', async () => {
    const provider = new ScriptedStreams('openai', ['hang']);
    const error = await thrown(
      caller({ LLM_TIMEOUT_SECONDS: '0.2', RETRY_MAX_ATTEMPTS: '1' }).caller.stream(
        routeOf(provider),
        request,
      ),
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('PROVIDER_UNAVAILABLE');
    expect(provider.closed).toBe(1);
  });

  it('never retries midway: a break after the first chunk is a StreamInterruptedError, the spend so far estimated', async () => {
    const provider = new ScriptedStreams('openai', [
      { content: 'cut short after a few words of it', breakAfter: 2 },
    ]);
    const stream = await caller({ RETRY_MAX_ATTEMPTS: '3' }).caller.stream(routeOf(provider), request);
    const error = await thrown(drain(stream));
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).code).toBe('PROVIDER_UNAVAILABLE');
    expect(provider.calls).toBe(1);
    expect(stream.spent().usage.completion_tokens).toBeGreaterThan(0);
    expect(() => stream.answer).toThrow();
  });

  it('closes the upstream when the consumer stops early', async () => {
    const provider = new ScriptedStreams('openai', [
      { content: 'many words that will not all be read by anyone' },
    ]);
    const stream = await caller().caller.stream(routeOf(provider), request);
    for await (const chunk of stream.chunks()) {
      expect(chunk).toBeDefined();
      break;
    }
    expect(provider.closed).toBe(1);
  });

  it('estimates the usage of a stream that reported none', async () => {
    const provider = new ScriptedStreams('openai', [{ content: 'x'.repeat(400), usage: false }]);
    const stream = await caller().caller.stream(routeOf(provider), request);
    await drain(stream);
    expect(stream.answer.completion.usage.completion_tokens).toBe(100);
  });

  it('checks the response_format once the stream has ended: an invalid answer is interrupted as PROVIDER_ERROR', async () => {
    const provider = new ScriptedStreams('openai', [{ content: 'not json at all' }]);
    const stream = await caller().caller.stream(routeOf(provider), {
      ...request,
      response_format: { type: 'json_object' },
    });
    const error = await thrown(drain(stream));
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).code).toBe('PROVIDER_ERROR');
  });
});
