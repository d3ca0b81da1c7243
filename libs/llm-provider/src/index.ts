// The provider step: resolve `provider/model`, call the provider through its adapter, and account for
// the call (metrics, tokens, cost). The gateway and the worker both call providers only through here.
export * from './adapters/anthropic.adapter';
export * from './adapters/deepseek.adapter';
export * from './adapters/gemini.adapter';
export * from './adapters/llm-provider.adapter';
export * from './adapters/mock.adapter';
export * from './adapters/openai.adapter';
export * from './adapters/openrouter.adapter';
export * from './json-schema-instance';
export * from './llm-provider.module';
export * from './llm-provider.registry';
export * from './pricing';
export * from './provider-error';
export * from './resilience/circuit-breakers';
export * from './resilience/circuit-open.error';
export * from './resilience/provider-held.error';
export * from './resilience/retry-policy';
export * from './structured-output';
export * from './token-estimate';
