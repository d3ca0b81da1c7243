import { IncomingHttpHeaders } from 'node:http';
import { createParser } from 'eventsource-parser';
import { Pool } from 'undici';
import { RemoteProviderId } from '@breakwater/contracts';
import { withTraceContext } from '@breakwater/observability';
import { ProviderError } from '../../provider-error';
import { StainlessErrorClasses } from './sdk-error';

/**
 * The most of an answer that is read: a chat completion is a few KiB, a long one with many choices some
 * hundreds; anything near this is an upstream gone wrong, and reading on would only hold memory.
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * The most one server-sent event may hold before it ends: a chunk of a streamed answer is well under a KiB;
 * an event that never ends would otherwise be buffered for as long as the provider kept sending.
 */
export const MAX_EVENT_BYTES = 1024 * 1024;

/** One server-sent event of a streamed answer: its `event:` name (Anthropic's), and its `data:`. */
export interface ServerSentEvent {
  event?: string;
  data: string;
}

/** undici's codes for its own connect, headers and body timeouts. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface ProviderTransportOptions {
  id: RemoteProviderId;
  /** The API's base as the provider's SDK takes it: an origin, and a path prefix such as `/v1`. */
  baseUrl: string;
  /** Sent with every request: the provider's auth header and its own headers (version, attribution). */
  headers: Record<string, string>;
  /** One attempt's budget (LLM_TIMEOUT_SECONDS), from sending to the last byte of the answer. */
  timeoutMs: number;
  /** The provider SDK's error classes, in which failures are reported, so the SDK's sorting applies. */
  errors: StainlessErrorClasses;
}

interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * A provider's JSON API over one keep-alive undici Pool for its origin, in place of the SDK's client: the
 * SDK's request and response types and its error classes stay, its WHATWG fetch path (web streams, Headers
 * objects, request building) goes, 0.5 to 0.7 ms of CPU a call against 0.12 to 0.19 ms here. Fails as
 * the SDK's `APIError` (with the provider's status, body and headers), `APIUserAbortError` (the caller's
 * signal), `APIConnectionTimeoutError` (the timeout) or `APIConnectionError`; an answer over
 * MAX_ANSWER_BYTES is a ProviderError of its own. Redirects are not followed, so the key goes nowhere else.
 * With tracing on, each request carries the provider attempt's `traceparent`.
 */
export class ProviderTransport {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: ProviderTransportOptions) {
    const base = new URL(options.baseUrl);
    this.pool = new Pool(base.origin, { maxResponseSize: MAX_ANSWER_BYTES });
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.headers = {
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': 'breakwater',
      ...options.headers,
    };
  }

  /** POSTs `body`, serialised once, to the base path plus `path`, and returns the answer parsed once. */
  async post<Answer>(path: string, body: unknown, signal: AbortSignal): Promise<Answer> {
    const { errors } = this.options;
    if (signal.aborted) throw new errors.APIUserAbortError();
    const { status, headers, text } = await this.exchange(path, JSON.stringify(body), signal);
    if (status >= 200 && status < 300) return JSON.parse(text) as Answer;
    // As the SDK does: an error body that parses is handed over parsed, any other as its text.
    const parsed = parsedOrUndefined(text);
    throw errors.APIError.generate(status, parsed, parsed ? undefined : text, webHeaders(headers));
  }

  /**
   * POSTs `body` and yields the answer's server-sent events as they arrive. The request leaves on the first
   * `next()`; a refusal (non-2xx) is thrown there as the SDK's APIError, read whole like any error answer.
   * `timeoutMs` bounds the wait for the answer's headers and then each wait between two pieces of its body
   * (undici's `bodyTimeout`), not the whole stream, which lasts as long as the provider writes. The whole
   * answer stays under MAX_ANSWER_BYTES and one event under MAX_EVENT_BYTES. Ending the iteration early,
   * or the caller's signal, closes the connection.
   */
  async *events(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<ServerSentEvent> {
    const { errors, id, timeoutMs } = this.options;
    if (signal.aborted) throw new errors.APIUserAbortError();
    const attempt = new AbortController();
    const cancel = () => attempt.abort();
    signal.addEventListener('abort', cancel, { once: true });
    const timer = setTimeout(cancel, timeoutMs);
    try {
      let response: Awaited<ReturnType<Pool['request']>>;
      try {
        response = await this.pool.request({
          method: 'POST',
          path: `${this.basePath}${path}`,
          headers: withTraceContext({ ...this.headers, accept: 'text/event-stream' }),
          body: JSON.stringify(body),
          signal: attempt.signal,
          bodyTimeout: timeoutMs,
        });
      } finally {
        clearTimeout(timer);
      }
      if (response.statusCode < 200 || response.statusCode >= 300) {
        const text = await response.body.text().catch(() => '');
        const parsed = parsedOrUndefined(text);
        throw errors.APIError.generate(
          response.statusCode,
          parsed,
          parsed ? undefined : text,
          webHeaders(response.headers),
        );
      }
      const ready: ServerSentEvent[] = [];
      const parser = createParser({ onEvent: ({ event, data }) => ready.push({ event, data }) });
      const decoder = new TextDecoder();
      let unfinished = 0;
      try {
        for await (const piece of response.body as AsyncIterable<Buffer>) {
          unfinished += piece.length;
          parser.feed(decoder.decode(piece, { stream: true }));
          if (ready.length > 0) unfinished = 0;
          if (unfinished > MAX_EVENT_BYTES) {
            throw new ProviderError(
              'bad_request',
              `${id}: a streamed event is larger than ${MAX_EVENT_BYTES} bytes`,
            );
          }
          for (const event of ready.splice(0)) yield event;
        }
      } finally {
        // Left early (the consumer stopped, or a failure above): the connection must not stay open.
        if (!response.body.destroyed) response.body.destroy();
      }
    } catch (error) {
      if (error instanceof ProviderError || error instanceof errors.APIError) throw error;
      throw this.failure(error, signal, attempt.signal);
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }

  /** Lets go of the pool's connections once in-flight requests have ended (on application shutdown). */
  close(): Promise<void> {
    return this.pool.close();
  }

  private async exchange(path: string, body: string, signal: AbortSignal): Promise<Exchange> {
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(), this.options.timeoutMs);
    const cancel = () => attempt.abort();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: `${this.basePath}${path}`,
        headers: withTraceContext(this.headers),
        body,
        signal: attempt.signal,
      });
      // The whole body is read, error answers too, so the connection goes back to the pool.
      const text = await response.body.text();
      return { status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      throw this.failure(error, signal, attempt.signal);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', cancel);
    }
  }

  private failure(error: unknown, signal: AbortSignal, attempt: AbortSignal): Error {
    const { id, errors } = this.options;
    if (signal.aborted) return new errors.APIUserAbortError();
    const code = (error as { code?: unknown } | undefined)?.code;
    if (attempt.aborted || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
      return new errors.APIConnectionTimeoutError();
    }
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
      return new ProviderError('bad_request', `${id}: the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    return new errors.APIConnectionError({
      cause: error instanceof Error ? error : new Error(String(error)),
    });
  }
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** undici's header record as the WHATWG Headers the SDK's APIError carries (only on failures). */
function webHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const one of Array.isArray(value) ? value : [value])
      if (one !== undefined) headers.append(name, one);
  }
  return headers;
}
