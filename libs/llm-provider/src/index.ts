// The provider step: resolve `provider/model`, call the provider through its adapter, and account for
// the call (metrics, tokens, cost). The gateway and the worker both call providers only through here.
export * from './adapters/anthropic/anthropic.adapter';
export * from './adapters/anthropic/anthropic.request';
export * from './adapters/anthropic/anthropic.response';
export * from './adapters/deepseek/deepseek.adapter';
export * from './adapters/gemini/gemini.adapter';
export * from './adapters/gemini/gemini.request';
export * from './adapters/gemini/gemini.response';
export * from './adapters/llm-provider.adapter';
export * from './adapters/mock.adapter';
export * from './adapters/openai/openai.adapter';
export * from './adapters/openrouter/openrouter.adapter';
export * from './json-schema-instance';
export * from './llm-provider.module';
export * from './llm-provider.registry';
export * from './model-router';
export * from './pricing';
export * from './provider-caller';
export * from './provider-error';
export * from './resilience/circuit-breakers';
export * from './resilience/circuit-open.error';
export * from './resilience/provider-held.error';
export * from './resilience/retry-policy';
export * from './structured-output';
export * from './token-estimate';
