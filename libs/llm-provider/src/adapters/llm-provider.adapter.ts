import {
  ChatCompletion,
  ChatCompletionRequest,
  EmbeddingList,
  EmbeddingRequest,
  ProviderId,
} from '@breakwater/contracts';

/** A request as one provider receives it: `model` is that provider's own name, without the prefix. */
export type ProviderRequest = ChatCompletionRequest;

/**
 * One provider: its mapping from and to OpenAI's shapes and its call, nothing else. Retries, breakers,
 * fallbacks and accounting live in ProviderCaller (provider-caller.ts). Errors are thrown as ProviderError.
 */
export interface LlmProviderAdapter {
  readonly id: ProviderId;
  /** Whether the adapter has what it needs to call out (its API key). */
  readonly configured: boolean;
  complete(request: ProviderRequest, signal: AbortSignal): Promise<ChatCompletion>;
  /**
   * Embeddings of `request.input` (`model` is the provider's own name), in OpenAI's shape; absent on a
   * provider without an embeddings API.
   */
  embed?(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingList>;
}

/** Multi-binding token: every adapter of the process. */
export const LLM_PROVIDER_ADAPTERS = Symbol('LLM_PROVIDER_ADAPTERS');
