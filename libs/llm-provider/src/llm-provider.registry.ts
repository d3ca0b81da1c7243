import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  ChatCompletionRequest,
  EmbeddingRequest,
  ErrorCode,
  GatewayError,
  PROVIDER_IDS,
  ProviderId,
} from '@breakwater/contracts';
import { ReadinessDetail, ReadinessDetails } from '@breakwater/health';
import { ModelRoute, ModelRouter } from './model-router';
import { ModelPrice, Pricing } from './pricing';
import { CompletionOptions, EmbeddingAnswer, ProviderAnswer, ProviderCaller } from './provider-caller';
import { CircuitBreakers, CircuitState } from './resilience/circuit-breakers';
import { ProviderStream } from './streaming/provider-stream';
import { StructuredOutput } from './structured-output';

export interface ProviderDescription {
  id: ProviderId;
  configured: boolean;
  circuit: CircuitState;
  models: { id: string; input_usd_per_million: number; output_usd_per_million: number }[];
}

/** What `POST /v1/providers/:provider/test` answers. */
export interface ProviderTestResult {
  provider: ProviderId;
  ok: boolean;
  model: string;
  latency_ms: number;
  error?: { code: ErrorCode; message: string };
}

/**
 * The model a provider test asks when none is given: each provider's cheapest current chat model. Replay
 * has none, since only the recordings know what it can answer.
 */
const TEST_MODELS: Record<ProviderId, string | undefined> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-haiku-4-5',
  gemini: 'gemini-2.5-flash-lite',
  openrouter: 'openai/gpt-4o-mini',
  deepseek: 'deepseek-chat',
  mock: 'echo',
  replay: undefined,
};

/** The smallest request that proves a provider answers: one short message, a few tokens back. */
const TEST_PROMPT = 'Reply with the single word: ok';
const TEST_MAX_TOKENS = 16;

/**
 * The provider step's public face, the only one the gateway and the worker call: routing (ModelRouter),
 * the call loop (ProviderCaller), the response_format check before anything is counted, and what
 * `/v1/providers` and readiness show. Owning the breakers' shutdown here keeps one place that knows the
 * step as a whole.
 */
@Injectable()
export class ProviderRegistry implements ReadinessDetails, OnApplicationShutdown {
  constructor(
    private readonly router: ModelRouter,
    private readonly caller: ProviderCaller,
    private readonly breakers: CircuitBreakers,
    private readonly structured: StructuredOutput,
    private readonly pricing: Pricing,
  ) {}

  resolve(model: string, param = 'model'): ModelRoute {
    return this.router.resolve(model, param);
  }

  /** Throws 400 naming `response_format.json_schema.schema` when its schema is over budget or cannot be compiled. */
  assertResponseFormat(request: ChatCompletionRequest): void {
    this.structured.prepare(request.response_format);
  }

  complete(
    route: ModelRoute,
    request: ChatCompletionRequest,
    options: CompletionOptions = {},
  ): Promise<ProviderAnswer> {
    return this.caller.complete(route, request, options);
  }

  /** A streamed answer, once its first chunk is in (see ProviderCaller.stream). */
  stream(
    route: ModelRoute,
    request: ChatCompletionRequest,
    options: CompletionOptions = {},
  ): Promise<ProviderStream> {
    return this.caller.stream(route, request, options);
  }

  embed(
    route: ModelRoute,
    request: EmbeddingRequest,
    options: CompletionOptions = {},
  ): Promise<EmbeddingAnswer> {
    return this.caller.embed(route, request, options);
  }

  /**
   * One minimal call to `provider`, through its breaker and metrics but around cache, queue, retries and
   * the outbound quota: an operator asks whether the provider answers now. The contract's failures are
   * the answer (ok false, their code and message); only a replay test without a model is a 400. `model`
   * is the provider's own name, with or without the `provider/` prefix.
   */
  async test(provider: ProviderId, model?: string): Promise<ProviderTestResult> {
    const prefix = `${provider}/`;
    const name = model?.startsWith(prefix) ? model.slice(prefix.length) : (model ?? TEST_MODELS[provider]);
    if (name === undefined) {
      throw GatewayError.invalid('model', `model: testing "${provider}" needs ?model=<provider>/<model>`);
    }
    const started = performance.now();
    const result = (error?: ProviderTestResult['error']): ProviderTestResult => ({
      provider,
      ok: error === undefined,
      model: `${provider}/${name}`,
      latency_ms: Math.round(performance.now() - started),
      ...(error ? { error } : {}),
    });
    try {
      const route = this.router.resolve(`${provider}/${name}`, 'model');
      await this.caller.once(route, {
        model: name,
        messages: [{ role: 'user', content: TEST_PROMPT }],
        max_tokens: TEST_MAX_TOKENS,
      });
      return result();
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      return result({ code: error.code, message: error.message });
    }
  }

  describe(): ProviderDescription[] {
    return PROVIDER_IDS.map((id) => ({
      id,
      configured: this.router.isConfigured(id),
      circuit: this.breakers.state(id),
      models: this.pricing.modelsOf(id).map(({ model, price }) => priced(model, price)),
    }));
  }

  /** Readiness shows each configured provider's circuit; an open one is not unreadiness (202s then). */
  readinessDetails(): Record<string, ReadinessDetail> {
    const circuits: Record<string, string> = {};
    for (const provider of this.describe()) if (provider.configured) circuits[provider.id] = provider.circuit;
    return { providers: { status: 'up', circuits } };
  }

  onApplicationShutdown(): void {
    this.breakers.shutdown();
  }
}

function priced(model: string, price: ModelPrice): ProviderDescription['models'][number] {
  return { id: model, input_usd_per_million: price.input, output_usd_per_million: price.output };
}
