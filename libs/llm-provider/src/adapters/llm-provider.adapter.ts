import {
  ChatCompletion,
  ChatCompletionChunk,
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
   * The answer as OpenAI `chat.completion.chunk`s, in the provider's own order. The request leaves on the
   * first `next()`, which throws the ProviderError of a refused or failed call before any chunk; a later
   * one throws the failure of a stream broken midway. Usage, when the provider reports it, comes in a
   * last chunk with no choices (asked for even when the caller did not ask: budgets count it). A stream
   * that ends before the provider said it was done (no finish reason, no end event) throws a transient
   * ProviderError rather than ending quietly, so a truncated answer is never taken as whole. Leaving the
   * iteration early (`return()`) closes the upstream connection. Absent on an adapter that can only answer
   * whole (the replay provider): its answer is then sent as chunks once it is made.
   */
  stream?(request: ProviderRequest, signal: AbortSignal): AsyncIterable<ChatCompletionChunk>;
  /**
   * Embeddings of `request.input` (`model` is the provider's own name), in OpenAI's shape; absent on a
   * provider without an embeddings API.
   */
  embed?(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingList>;
}

/** Multi-binding token: every adapter of the process. */
export const LLM_PROVIDER_ADAPTERS = Symbol('LLM_PROVIDER_ADAPTERS');
