import { Module } from '@nestjs/common';
import { LLM_PROVIDER_ADAPTERS, LlmProviderAdapter } from './adapters/llm-provider.adapter';
import { MockAdapter } from './adapters/mock.adapter';
import { ProviderRegistry } from './llm-provider.registry';

@Module({
  providers: [
    MockAdapter,
    {
      provide: LLM_PROVIDER_ADAPTERS,
      useFactory: (...adapters: LlmProviderAdapter[]) => adapters,
      inject: [MockAdapter],
    },
    ProviderRegistry,
  ],
  exports: [ProviderRegistry],
})
export class LlmProviderModule {}
