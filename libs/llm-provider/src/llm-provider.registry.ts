import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ChatCompletionRequest, PROVIDER_IDS, ProviderId } from '@breakwater/contracts';
import { ReadinessDetail, ReadinessDetails } from '@breakwater/health';
import { ModelRoute, ModelRouter } from './model-router';
import { ModelPrice, Pricing } from './pricing';
import { CompletionOptions, ProviderAnswer, ProviderCaller } from './provider-caller';
import { CircuitBreakers, CircuitState } from './resilience/circuit-breakers';
import { StructuredOutput } from './structured-output';

export interface ProviderDescription {
  id: ProviderId;
  configured: boolean;
  circuit: CircuitState;
  models: { id: string; input_usd_per_million: number; output_usd_per_million: number }[];
}

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
