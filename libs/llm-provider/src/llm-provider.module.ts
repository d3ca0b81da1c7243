import { Module } from '@nestjs/common';
import { ReadinessDetails } from '@breakwater/health';
import { LLM_PROVIDER_ADAPTERS, LlmProviderAdapter } from './adapters/llm-provider.adapter';
import { AnthropicAdapter } from './adapters/anthropic/anthropic.adapter';
import { DeepSeekAdapter } from './adapters/deepseek/deepseek.adapter';
import { GeminiAdapter } from './adapters/gemini/gemini.adapter';
import { MockAdapter } from './adapters/mock.adapter';
import { OpenAiAdapter } from './adapters/openai/openai.adapter';
import { OpenRouterAdapter } from './adapters/openrouter/openrouter.adapter';
import { ReplayAdapter } from './adapters/replay.adapter';
import { ProviderRegistry } from './llm-provider.registry';
import { ModelRouter } from './model-router';
import { Pricing } from './pricing';
import { ProviderCaller } from './provider-caller';
import { ProviderMetrics } from './provider-metrics';
import { ExchangeRecorder } from './recording/exchange-recorder';
import { RecordingAdapter } from './recording/recording.adapter';
import { CircuitBreakers } from './resilience/circuit-breakers';
import { StructuredOutput } from './structured-output';

const ADAPTERS = [
  MockAdapter,
  OpenAiAdapter,
  AnthropicAdapter,
  GeminiAdapter,
  OpenRouterAdapter,
  DeepSeekAdapter,
  ReplayAdapter,
];

@Module({
  providers: [
    ...ADAPTERS,
    ExchangeRecorder,
    {
      provide: LLM_PROVIDER_ADAPTERS,
      // With RECORD_DIR set every adapter records, except replay: its answers are recordings already.
      useFactory: (recorder: ExchangeRecorder, ...adapters: LlmProviderAdapter[]) =>
        adapters.map((adapter) =>
          recorder.enabled && adapter.id !== 'replay' ? new RecordingAdapter(adapter, recorder) : adapter,
        ),
      inject: [ExchangeRecorder, ...ADAPTERS],
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
