import { Injectable } from '@nestjs/common';
import type {
  ApiError,
  EmbedContentResponse,
  GenerateContentParameters,
  GenerateContentResponse,
  GoogleGenAI,
  HttpOptions,
} from '@google/genai';
import { AppConfig } from '@breakwater/config';
import { withTraceContext } from '@breakwater/observability';
import {
  ChatCompletion,
  ChatCompletionChunk,
  EmbeddingList,
  EmbeddingRequest,
  embeddingInputs,
} from '@breakwater/contracts';
import { ProviderError, providerErrorFromStatus } from '../../provider-error';
import { ProviderRequest } from '../llm-provider.adapter';
import { checkedEmbeddings, embeddingList, estimatedInputTokens } from '../shared/embedding-mapping';
import { RemoteProviderAdapter } from '../shared/remote-provider.adapter';
import { callFailed, connectionFailed, redact } from '../shared/sdk-error';
import { toGeminiRequest } from './gemini.request';
import { fromGeminiResponse } from './gemini.response';
import { geminiChunks } from './gemini.stream';

/**
 * Google's Gemini API through `@google/genai`, whose code (about 120 ms and 15 MB) loads only when Gemini
 * is configured: the client is made on the first call. `GEMINI_BASE_URL` is the host root (the SDK appends
 * `/v1beta/models/<model>:generateContent`). Structured output is native: `responseMimeType` JSON with the
 * caller's schema as `responseJsonSchema`, which takes plain JSON Schema (`responseSchema` would need
 * Google's OpenAPI-subset `Schema`).
 */
@Injectable()
export class GeminiAdapter extends RemoteProviderAdapter<() => Promise<GoogleGenAI>> {
  private readonly timeoutMs: number;

  constructor(config: AppConfig) {
    // No `retryOptions`: without them the SDK sends once (with them it would retry, and replace the
    // status-bearing ApiError of a retryable status with a plain Error). `vertexai` and `baseUrl` given
    // explicitly so the SDK reads no GOOGLE_* variable of its own.
    super('gemini', config.providers.gemini, (apiKey, baseUrl) =>
      once(async () => {
        const { GoogleGenAI } = await import('@google/genai');
        return new GoogleGenAI({
          apiKey,
          vertexai: false,
          httpOptions: {
            baseUrl: baseUrl ?? 'https://generativelanguage.googleapis.com',
            timeout: config.resilience.llmTimeoutMs,
          },
        });
      }),
    );
    this.timeoutMs = config.resilience.llmTimeoutMs;
  }

  protected async call(
    connect: () => Promise<GoogleGenAI>,
    request: ProviderRequest,
    signal: AbortSignal,
  ): Promise<ChatCompletion> {
    const client = await connect();
    // The SDK listens for a later 'abort' only: a signal already aborted would not stop the request.
    if (signal.aborted) throw new ProviderError('transient', 'gemini: request aborted before it was sent');
    let response: GenerateContentResponse;
    try {
      response = await client.models.generateContent(traced(toGeminiRequest(request, signal)));
    } catch (error) {
      throw geminiProviderError(error, this.apiKey);
    }
    return fromGeminiResponse(response, request);
  }

  /**
   * `models.generateContentStream` (`:streamGenerateContent?alt=sse`), its pieces mapped to chunks
   * (gemini.stream.ts). The SDK's own timeout would run from the request to the end of the whole stream,
   * so it is turned off for this call, and LLM_TIMEOUT_SECONDS bounds each wait for the provider instead:
   * for the answer's first piece, then between two pieces. Leaving early, the caller's signal, or that
   * bound aborts the SDK's fetch, which closes the connection.
   */
  async *stream(request: ProviderRequest, signal: AbortSignal): AsyncGenerator<ChatCompletionChunk> {
    const attempt = new AbortController();
    const cancel = () => attempt.abort();
    signal.addEventListener('abort', cancel, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const wait = () => {
      timer = setTimeout(cancel, this.timeoutMs);
    };
    try {
      const client = await this.connected()();
      if (signal.aborted) throw new ProviderError('transient', 'gemini: request aborted before it was sent');
      const params = toGeminiRequest(request, attempt.signal);
      wait();
      const pieces = await client.models.generateContentStream(traced(params, { timeout: 0 }));
      clearTimeout(timer);
      yield* geminiChunks(
        (async function* waited() {
          wait();
          for await (const piece of pieces) {
            clearTimeout(timer);
            yield piece;
            wait();
          }
        })(),
        request,
      );
    } catch (error) {
      throw geminiProviderError(error, this.apiKey);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', cancel);
      attempt.abort();
    }
  }

  /**
   * `models.embedContent`, which the SDK sends to the Gemini API as one `batchEmbedContents` call,
   * `dimensions` as `outputDimensionality`. Gemini reports no token count for embeddings, so usage is the
   * gateway's own estimate (about four characters a token), which budgets and metrics then count.
   */
  async embed(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingList> {
    const client = await this.connected()();
    if (signal.aborted) throw new ProviderError('transient', 'gemini: request aborted before it was sent');
    const inputs = embeddingInputs(request);
    let response: EmbedContentResponse;
    try {
      response = await client.models.embedContent({
        model: request.model,
        contents: inputs.map((text) => ({ role: 'user', parts: [{ text }] })),
        config: {
          abortSignal: signal,
          ...(request.dimensions !== undefined ? { outputDimensionality: request.dimensions } : {}),
        },
      });
    } catch (error) {
      throw geminiProviderError(error, this.apiKey);
    }
    const vectors = (response.embeddings ?? []).map((embedding) => embedding.values);
    const data = checkedEmbeddings('gemini', request, vectors);
    return embeddingList(request.model, data, estimatedInputTokens(request));
  }
}

interface GoogleErrorBody {
  error?: {
    message?: unknown;
    status?: unknown;
    details?: { '@type'?: unknown; reason?: unknown; retryDelay?: unknown }[];
  };
}

/**
 * Sorts what the SDK threw. Its ApiError carries the status and the error body as JSON text, but not
 * the response headers, so a 429's wait comes from the body's RetryInfo `retryDelay`, where Google puts
 * it. Google answers an invalid key with 400 API_KEY_INVALID: an auth failure, not a bad request.
 */
export function geminiProviderError(error: unknown, apiKey?: string): ProviderError {
  if (error instanceof ProviderError) return error;
  // No `cause` on HTTP failures: the ApiError holds the provider's unredacted body, which a logger would print.
  if (isApiError(error)) {
    const body = parsedErrorBody(error.message);
    const details = Array.isArray(body?.error?.details) ? body.error.details : [];
    const message = redact(
      `gemini: ${typeof body?.error?.message === 'string' ? body.error.message : error.message}`,
      apiKey,
    );
    if (details.some((detail) => detail.reason === 'API_KEY_INVALID')) {
      return new ProviderError('auth', `${error.status} ${message}`, { status: error.status });
    }
    const retryInfo = details.find((detail) => String(detail['@type']).endsWith('google.rpc.RetryInfo'));
    const delayMs = durationMs(retryInfo?.retryDelay);
    return providerErrorFromStatus(
      error.status,
      message,
      delayMs === undefined ? undefined : { 'retry-after-ms': String(delayMs) },
    );
  }
  const name = error instanceof Error ? error.name : typeof error;
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new ProviderError('transient', 'gemini: request aborted or timed out', { cause: error });
  }
  if (error instanceof TypeError) return connectionFailed('gemini', error);
  return callFailed('gemini', error);
}

/** The SDK's ApiError, known by its name and status (its class is not loaded before Gemini is called). */
function isApiError(error: unknown): error is ApiError {
  return (
    error instanceof Error && error.name === 'ApiError' && typeof (error as ApiError).status === 'number'
  );
}

/** `make` called once, its promise shared (and forgotten if it fails, so the next call tries again). */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    return made;
  };
}

function parsedErrorBody(text: string): GoogleErrorBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A protobuf Duration as JSON (`"17s"`, `"0.5s"`) in milliseconds. */
function durationMs(value: unknown): number | undefined {
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(value) : null;
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/**
 * `params` with per-call HTTP options (the SDK merges them over the client's) and, with tracing on, the
 * provider attempt's `traceparent` among the headers.
 */
function traced(params: GenerateContentParameters, httpOptions: HttpOptions = {}): GenerateContentParameters {
  const headers = withTraceContext({});
  const options: HttpOptions = headers.traceparent === undefined ? httpOptions : { ...httpOptions, headers };
  if (Object.keys(options).length === 0) return params;
  return { ...params, config: { ...params.config, httpOptions: options } };
}
