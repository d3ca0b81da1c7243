import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from 'openai/core/error';
import type {
  ChatCompletion as OpenAiCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from 'openai/resources/embeddings';
import { ProviderSettings } from '@breakwater/config';
import {
  ChatCompletion,
  ChatCompletionChunk,
  EmbeddingList,
  EmbeddingRequest,
  RemoteProviderId,
} from '@breakwater/contracts';
import { ProviderError } from '../../provider-error';
import { ProviderRequest } from '../llm-provider.adapter';
import { ProviderTransport } from '../shared/provider-transport';
import { checkedEmbeddings, embeddingList, estimatedInputTokens } from '../shared/embedding-mapping';
import { RemoteProviderAdapter } from '../shared/remote-provider.adapter';
import { StainlessErrorClasses, stainlessProviderError } from '../shared/sdk-error';
import { openAiRequestBody } from './openai-compatible.request';
import { fromOpenAiCompletion, providerText } from './openai-compatible.response';
import { openAiChunks } from './openai-compatible.stream';

export interface OpenAiCompatibleOptions {
  /** Where the API lives when `<P>_BASE_URL` is unset: the full base as the SDK takes it (with `/v1`). */
  defaultBaseUrl: string;
  /** One attempt's budget (LLM_TIMEOUT_SECONDS), the transport's own timeout. */
  timeoutMs: number;
  /** Sent with every request (OpenRouter's attribution). */
  headers?: Record<string, string>;
}

const OPENAI_ERRORS: StainlessErrorClasses = {
  APIUserAbortError,
  APIConnectionTimeoutError,
  APIConnectionError,
  APIError,
};

/**
 * Providers that speak OpenAI's chat-completions API (OpenAI, DeepSeek, OpenRouter): the request passes
 * through almost as it came, since it already is the provider's wire format. A subclass names the
 * provider, its default endpoint and headers, and may rewrite the request where the provider differs
 * (DeepSeek's JSON mode). The call goes over a ProviderTransport, not the `openai` SDK's client: this is
 * the gateway's hot path, and the SDK's fetch path took about 30 % of the gateway's CPU on a pass-through
 * call. The SDK's types and error classes stay, so failures are sorted as before. One request per call: the registry
 * owns retries, and a second attempt hidden inside one call would also overrun the per-attempt timeout.
 */
export abstract class OpenAiCompatibleAdapter extends RemoteProviderAdapter<ProviderTransport> {
  protected constructor(id: RemoteProviderId, settings: ProviderSettings, options: OpenAiCompatibleOptions) {
    // Only libs/config decides where requests go and with which credentials (the SDK's client would also
    // have read OPENAI_* variables).
    super(
      id,
      settings,
      (apiKey, baseUrl) =>
        new ProviderTransport({
          id,
          baseUrl: baseUrl ?? options.defaultBaseUrl,
          headers: { authorization: `Bearer ${apiKey}`, ...options.headers },
          timeoutMs: options.timeoutMs,
          errors: OPENAI_ERRORS,
        }),
    );
  }

  protected async call(
    transport: ProviderTransport,
    request: ProviderRequest,
    signal: AbortSignal,
  ): Promise<ChatCompletion> {
    let completion: OpenAiCompletion;
    try {
      completion = await transport.post<OpenAiCompletion>(
        '/chat/completions',
        this.requestBody(request),
        signal,
      );
    } catch (error) {
      throw openAiProviderError(this.id, error, this.apiKey);
    }
    return fromOpenAiCompletion(completion, request, this.apiKey);
  }

  /**
   * The same request with `stream: true`, usage always asked for (`stream_options.include_usage`: budgets
   * count it whether or not the caller wants the usage chunk); the provider's SSE passes through as chunks.
   */
  async *stream(request: ProviderRequest, signal: AbortSignal): AsyncGenerator<ChatCompletionChunk> {
    const body: ChatCompletionCreateParamsStreaming = {
      ...(this.requestBody(request) as Omit<ChatCompletionCreateParamsStreaming, 'stream'>),
      stream: true,
      stream_options: { include_usage: true },
    };
    try {
      yield* openAiChunks(this.connected().events('/chat/completions', body, signal), this.apiKey);
    } catch (error) {
      throw openAiProviderError(this.id, error, this.apiKey);
    }
  }

  /**
   * `POST /embeddings` in OpenAI's wire format, vectors as floats (OpenAI's SDK would ask for base64 by
   * default). A subclass whose provider has the endpoint exposes it as `embed`.
   */
  protected async postEmbeddings(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingList> {
    const body: EmbeddingCreateParams = {
      model: request.model,
      input: request.input,
      encoding_format: 'float',
      ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
      ...(request.user !== undefined ? { user: request.user } : {}),
    };
    let answer: CreateEmbeddingResponse;
    try {
      answer = await this.connected().post<CreateEmbeddingResponse>('/embeddings', body, signal);
    } catch (error) {
      throw openAiProviderError(this.id, error, this.apiKey);
    }
    const items = Array.isArray(answer?.data) ? [...answer.data].sort((a, b) => a.index - b.index) : [];
    const data = checkedEmbeddings(
      this.id,
      request,
      items.map((item) => item.embedding),
    );
    // A compatible endpoint that reports no usage is estimated, so budgets still count what it was sent.
    const tokens = answer.usage?.prompt_tokens ?? estimatedInputTokens(request);
    return embeddingList(request.model, data, tokens);
  }

  protected override disconnect(transport: ProviderTransport): Promise<void> {
    return transport.close();
  }

  /** The body sent; a provider whose API differs from OpenAI's somewhere rewrites it here. */
  protected requestBody(request: ProviderRequest): ChatCompletionCreateParamsNonStreaming {
    return openAiRequestBody(request);
  }
}

/** Sorts a failure in the `openai` SDK's classes; the message is the provider's own, from the error body. */
export function openAiProviderError(id: RemoteProviderId, error: unknown, apiKey?: string): ProviderError {
  return stainlessProviderError(id, error, apiKey, OPENAI_ERRORS, (body) =>
    providerText((body as { message?: unknown } | undefined)?.message),
  );
}
