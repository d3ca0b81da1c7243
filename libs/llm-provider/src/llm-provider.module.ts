import { Module } from '@nestjs/common';
import { ReadinessDetails } from '@breakwater/health';
import { LLM_PROVIDER_ADAPTERS, LlmProviderAdapter } from './adapters/llm-provider.adapter';
import { AnthropicAdapter } from './adapters/anthropic/anthropic.adapter';
import { DeepSeekAdapter } from './adapters/deepseek/deepseek.adapter';
import { GeminiAdapter } from './adapters/gemini/gemini.adapter';
import { MockAdapter } from './adapters/mock.adapter';
import { OpenAiAdapter } from './adapters/openai/openai.adapter';
import { OpenRouterAdapter } from './adapters/openrouter/openrouter.adapter';
import { ProviderRegistry } from './llm-provider.registry';
import { ModelRouter } from './model-router';
import { Pricing } from './pricing';
import { ProviderCaller } from './provider-caller';
import { ProviderMetrics } from './provider-metrics';
import { CircuitBreakers } from './resilience/circuit-breakers';
import { StructuredOutput } from './structured-output';

const ADAPTERS = [
  MockAdapter,
  OpenAiAdapter,
  AnthropicAdapter,
  GeminiAdapter,
  OpenRouterAdapter,
  DeepSeekAdapter,
];

@Module({
  providers: [
    ...ADAPTERS,
    {
      provide: LLM_PROVIDER_ADAPTERS,
      useFactory: (...adapters: LlmProviderAdapter[]) => adapters,
      inject: ADAPTERS,
    },
    CircuitBreakers,
    StructuredOutput,
    Pricing,
    ModelRouter,
    ProviderMetrics,
    ProviderCaller,
    ProviderRegistry,
    { provide: ReadinessDetails, useExisting: ProviderRegistry },
  ],
  exports: [ProviderRegistry, Pricing, StructuredOutput],
})
export class LlmProviderModule {}
