import { Module } from '@nestjs/common';
import { LLM_PROVIDER_ADAPTERS, LlmProviderAdapter } from './adapters/llm-provider.adapter';
import { MockAdapter } from './adapters/mock.adapter';
import { ProviderRegistry } from './llm-provider.registry';
import { Pricing } from './pricing';
import { CircuitBreakers } from './resilience/circuit-breakers';
import { StructuredOutput } from './structured-output';

@Module({
  providers: [
    MockAdapter,
    {
      provide: LLM_PROVIDER_ADAPTERS,
      useFactory: (...adapters: LlmProviderAdapter[]) => adapters,
      inject: [MockAdapter],
    },
    CircuitBreakers,
    StructuredOutput,
    Pricing,
    ProviderRegistry,
  ],
  exports: [ProviderRegistry],
})
export class LlmProviderModule {}
