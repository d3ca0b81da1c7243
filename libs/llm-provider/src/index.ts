// The provider step: resolve `provider/model`, call the provider through its adapter, and account for
// the call (metrics, tokens, cost). The gateway and the worker both call providers only through here.
export * from './adapters/llm-provider.adapter';
export * from './llm-provider.module';
export * from './llm-provider.registry';
export * from './pricing';
export * from './provider-error';
export * from './resilience/circuit-breakers';
export * from './token-estimate';
