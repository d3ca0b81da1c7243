import { ProviderRequest } from '../llm-provider.adapter';

/** For the adapters' specs: a one-message request to `model`, with `extra` fields over it. */
export function providerRequest(model: string, extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model, messages: [{ role: 'user', content: 'hello' }], ...extra };
}
