import type {
  AcceptedBody,
  CacheMode,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ErrorBody,
  HeaderName,
  JobStatusBody,
  Priority,
  ProcessingMode,
} from '@breakwater/contracts';
import {
  BreakwaterError,
  BreakwaterErrorInit,
  JobExpiredError,
  JobFailedError,
  PollTimeoutError,
  RateLimitedError,
} from './client-errors';
import { PollPolicy, nextPollStep, pollPolicyOf, retryAfterSecondsOf } from './poll-policy';
import { serverSentEvents } from './server-sent-events';

/** The part of `fetch` the client uses; Node's global `fetch` fits, and so does a wrapper around it. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface BreakwaterClientOptions {
  /** The gateway's root, e.g. `http://127.0.0.1:3000` (a trailing `/v1`, as the OpenAI SDK wants it, is accepted). */
  baseUrl: string;
  /** The caller's key, sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /** Defaults for every wait; each call's `poll` overrides them field by field. */
  poll?: Partial<PollPolicy>;
  /** Sent on every request (tracing headers, say). */
  headers?: Record<string, string>;
  /**
   * Wait on a queued request by following `GET /v1/status/<id>/events` (default true); when the gateway
   * cannot serve it, or the stream ends early, polling takes over. false: poll only.
   */
  statusEvents?: boolean;
}

/** The contract's request headers, by name. */
export interface SubmitOptions {
  /** `x-processing-mode`: what the gateway does when the provider is unavailable (queue, 503, or always queue). */
  processingMode?: ProcessingMode;
  /** `x-cache-mode`. */
  cacheMode?: CacheMode;
  /** `x-cache-ttl`: seconds the written entry lives. */
  cacheTtlSeconds?: number;
  /** `x-cache-key`: the caller's own cache key instead of the request hash. */
  cacheKey?: string;
  /** `idempotency-key`: a repeat within 24 h gets the same answer or the same queue id. */
  idempotencyKey?: string;
  /** `x-end-user`. */
  endUser?: string;
  /** `x-fallback-models`, tried in order before queueing. */
  fallbackModels?: string[];
  /** `x-callback-url`: the gateway posts the queued request's end there. */
  callbackUrl?: string;
  /** `x-request-id`. */
  requestId?: string;
  /** `x-priority`: the order of a queued request (capped by the caller's `max_priority`). */
  priority?: Priority;
  signal?: AbortSignal;
}

export interface ChatOptions extends SubmitOptions {
  /** Overrides the client's poll policy for this call. */
  poll?: Partial<PollPolicy>;
}

export interface WaitOptions {
  poll?: Partial<PollPolicy>;
  signal?: AbortSignal;
}

/** What `POST /v1/chat/completions` answered, without waiting for a queued request. */
export type Submission =
  | { kind: 'completed'; completion: ChatCompletion; requestId?: string }
  | {
      kind: 'queued';
      queueId: string;
      /** ISO time after which the gateway gives up on the job (it then answers 410). */
      expiresAt: string;
      durable: boolean;
      /** Why the gateway queued it (async mode, or the provider's failure). */
      reason: string;
      retryAfterSeconds?: number;
      requestId?: string;
    };

/** One look at a queued request's result. */
export type ResultLook =
  | { kind: 'completed'; completion: ChatCompletion }
  | { kind: 'pending'; status: JobStatusBody; retryAfterSeconds?: number };

interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
}

/**
 * A client of the Breakwater gateway. `chat()` returns the completion whether the gateway answered at once
 * (200) or queued the request (202): it then follows the job's status events until it ends and fetches its
 * result, or, where the gateway cannot stream them, polls `GET /v1/results/<id>` with exponential backoff,
 * never sooner than the gateway's `Retry-After`, until the job completes, fails or expires.
 */
export class BreakwaterClient {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly fetch: FetchLike;
  private readonly poll: PollPolicy;
  private readonly headers: Record<string, string>;
  private readonly statusEvents: boolean;

  constructor(options: BreakwaterClientOptions) {
    if (!options.apiKey) throw new TypeError('BreakwaterClient needs an apiKey');
    // Parsed once so a typo fails here rather than on the first call; the trailing /v1 is dropped because
    // every path below carries it, and users coming from the OpenAI SDK habitually include it.
    this.baseUrl = new URL(options.baseUrl).href.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.apiKey = options.apiKey;
    // Wrapped, not stored bare: browsers reject `fetch` called with a `this` other than the window.
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.poll = pollPolicyOf(options.poll);
    this.headers = { ...options.headers };
    this.statusEvents = options.statusEvents ?? true;
  }

  /** The completion, waiting for it if the gateway queued the request. */
  async chat(request: ChatCompletionRequest, options: ChatOptions = {}): Promise<ChatCompletion> {
    const startedAt = performance.now();
    // Checked before the POST: a bad policy must not leave a queued job nobody waits for.
    const policy = pollPolicyOf(this.poll, options.poll);
    const submission = await this.submit(request, options);
    if (submission.kind === 'completed') return submission.completion;
    return this.waitUntilDone(submission.queueId, policy, {
      startedAt,
      signal: options.signal,
      retryAfterSeconds: submission.retryAfterSeconds,
      requestId: submission.requestId,
    });
  }

  /**
   * The answer as the gateway streams it (`stream: true`): `for await (const chunk of client.chatStream(...))`.
   * A request the gateway queued instead (202: the provider was unavailable before the first chunk) is
   * waited for as `chat()` waits, and its completion comes as chunks once it is done. A failure after the
   * first chunk (the gateway's error event) is thrown as a BreakwaterError.
   */
  async *chatStream(
    request: ChatCompletionRequest,
    options: ChatOptions = {},
  ): AsyncGenerator<ChatCompletionChunk> {
    const startedAt = performance.now();
    const policy = pollPolicyOf(this.poll, options.poll);
    const response = await this.fetch(`${this.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: this.requestHeaders({
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...directiveHeaders(options),
      }),
      body: JSON.stringify({ ...request, stream: true }),
      signal: options.signal,
    });
    const streamed = response.headers.get('content-type')?.startsWith('text/event-stream') === true;
    if (response.status === 200 && streamed && response.body) {
      yield* streamedChunks(response.body, response.headers);
      return;
    }
    const answer: Answer = {
      status: response.status,
      headers: response.headers,
      body: parsed(await response.text()),
    };
    if (answer.status !== 202 || !isAccepted(answer.body)) throw errorOf(answer);
    const completion = await this.pollUntilDone(answer.body.queue_id, policy, {
      startedAt,
      signal: options.signal,
      retryAfterSeconds: retryAfterSecondsOf(answer.headers.get('retry-after')),
      requestId: answer.headers.get('x-request-id') ?? undefined,
    });
    yield* wholeChunks(completion, request.stream_options?.include_usage === true);
  }

  /** Sends the request and returns the completion or the queue id, without waiting. */
  async submit(request: ChatCompletionRequest, options: SubmitOptions = {}): Promise<Submission> {
    const answer = await this.send('POST', '/v1/chat/completions', {
      body: JSON.stringify(request),
      headers: { 'content-type': 'application/json', ...directiveHeaders(options) },
      signal: options.signal,
    });
    const requestId = answer.headers.get('x-request-id') ?? undefined;
    if (answer.status === 200 && isCompletion(answer.body)) {
      return { kind: 'completed', completion: answer.body, requestId };
    }
    if (answer.status === 202 && isAccepted(answer.body)) {
      return {
        kind: 'queued',
        queueId: answer.body.queue_id,
        expiresAt: answer.body.expires_at,
        durable: answer.body.durable,
        reason: answer.body.reason,
        retryAfterSeconds: retryAfterSecondsOf(answer.headers.get('retry-after')),
        requestId,
      };
    }
    throw errorOf(answer);
  }

  /** `GET /v1/status/<id>`: where the job stands. */
  async status(queueId: string, options: { signal?: AbortSignal } = {}): Promise<JobStatusBody> {
    const answer = await this.send('GET', `/v1/status/${encodeURIComponent(queueId)}`, options);
    if (answer.status === 200 && isJobStatus(answer.body)) return answer.body;
    throw errorOf(answer);
  }

  /**
   * One look at `GET /v1/results/<id>`: the completion, or `pending` with the gateway's Retry-After.
   * A failed job throws JobFailedError, an expired one JobExpiredError.
   */
  async result(queueId: string, options: { signal?: AbortSignal } = {}): Promise<ResultLook> {
    const answer = await this.send('GET', `/v1/results/${encodeURIComponent(queueId)}`, options);
    if (answer.status === 200 && isCompletion(answer.body)) {
      return { kind: 'completed', completion: answer.body };
    }
    if (answer.status === 202 && isJobStatus(answer.body)) {
      return {
        kind: 'pending',
        status: answer.body,
        retryAfterSeconds: retryAfterSecondsOf(answer.headers.get('retry-after')),
      };
    }
    // Only the contract's error JSON says it was the job: a proxy's bare 502 says nothing about it.
    if (isErrorBody(answer.body)) {
      const { message } = answer.body.error;
      if (answer.status === 502) throw new JobFailedError(queueId, message, initOf(answer));
      if (answer.status === 410) throw new JobExpiredError(queueId, message, initOf(answer));
    }
    throw errorOf(answer);
  }

  /** Polls a queued request (from `submit()`, or an earlier PollTimeoutError) until it completes. */
  async wait(queueId: string, options: WaitOptions = {}): Promise<ChatCompletion> {
    const policy = pollPolicyOf(this.poll, options.poll);
    return this.waitUntilDone(queueId, policy, { startedAt: performance.now(), signal: options.signal });
  }

  /** Status events first (when enabled), then polling for whatever they did not settle. */
  private async waitUntilDone(
    queueId: string,
    policy: PollPolicy,
    context: { startedAt: number; signal?: AbortSignal; retryAfterSeconds?: number; requestId?: string },
  ): Promise<ChatCompletion> {
    if (this.statusEvents) {
      const remainingMs = policy.timeoutMs - (performance.now() - context.startedAt);
      if ((await this.followStatusEvents(queueId, remainingMs, context.signal)) === 'ended') {
        const look = await this.result(queueId, { signal: context.signal });
        if (look.kind === 'completed') return look.completion;
      }
    }
    return this.pollUntilDone(queueId, policy, context);
  }

  /**
   * Follows `GET /v1/status/<id>/events` until the job ends (`ended`: its result is ready to fetch) or the
   * stream cannot go on (`fallback`: not served here, refused, cut, or at its end of life; polling takes
   * over). Gives up after `timeoutMs`, leaving the poll policy to report the timeout. A caller's abort
   * throws as fetch does.
   */
  private async followStatusEvents(
    queueId: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<'ended' | 'fallback'> {
    if (timeoutMs <= 0) return 'fallback';
    const timeout = AbortSignal.timeout(Math.ceil(timeoutMs));
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await this.fetch(`${this.baseUrl}/v1/status/${encodeURIComponent(queueId)}/events`, {
        method: 'GET',
        headers: { ...this.headers, accept: 'text/event-stream', authorization: `Bearer ${this.apiKey}` },
        signal: both,
      });
      const type = response.headers.get('content-type') ?? '';
      if (response.status !== 200 || !type.startsWith('text/event-stream') || !response.body) {
        await response.body?.cancel().catch(() => undefined);
        return 'fallback';
      }
      for await (const { event, data } of serverSentEvents(response.body)) {
        if (event !== 'status') continue;
        const status = parsed(data);
        if (isJobStatus(status) && ENDED.has(status.status)) return 'ended';
      }
      return 'fallback';
    } catch {
      // The network, the timeout or a malformed stream: polling decides. The caller's own abort stands.
      signal?.throwIfAborted();
      return 'fallback';
    }
  }

  private async pollUntilDone(
    queueId: string,
    policy: PollPolicy,
    context: { startedAt: number; signal?: AbortSignal; retryAfterSeconds?: number; requestId?: string },
  ): Promise<ChatCompletion> {
    let attempts = 0;
    let retryAfterSeconds = context.retryAfterSeconds;
    let lastStatus: JobStatusBody | undefined;
    for (;;) {
      const elapsedMs = () => Math.round(performance.now() - context.startedAt);
      const step = nextPollStep(policy, { attempts, elapsedMs: elapsedMs(), retryAfterSeconds });
      if (step.kind === 'stop') {
        throw new PollTimeoutError({
          queueId,
          reason: step.reason,
          attempts,
          elapsedMs: elapsedMs(),
          lastStatus,
          requestId: context.requestId,
          retryAfterSeconds,
        });
      }
      await sleep(step.delayMs, context.signal);
      const look = await this.result(queueId, { signal: context.signal });
      attempts += 1;
      if (look.kind === 'completed') return look.completion;
      lastStatus = look.status;
      retryAfterSeconds = look.retryAfterSeconds;
    }
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<Answer> {
    const response = await this.fetch(`${this.baseUrl}${path}`, {
      method,
      headers: this.requestHeaders({ accept: 'application/json', ...init.headers }),
      body: init.body,
      signal: init.signal,
    });
    // Read whole so the connection returns to the pool whatever the status.
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: parsed(text) };
  }

  private requestHeaders(headers: Record<string, string>): Record<string, string> {
    return { ...this.headers, ...headers, authorization: `Bearer ${this.apiKey}` };
  }
}

/** The most a streamed answer may hold between two events before the client gives up on it. */
const MAX_EVENT_CHARS = 8 * 1024 * 1024;

/**
 * The chunks of the gateway's event stream, until `data: [DONE]`. Its format is fixed (one `data:` line
 * per event, the contract's error body for a failure midway), so a few lines read it: the client has no
 * dependencies, and an SSE library would be its first.
 */
async function* streamedChunks(
  body: ReadableStream<Uint8Array>,
  headers: Headers,
): AsyncGenerator<ChatCompletionChunk> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      pending += decoder.decode(value, { stream: !done });
      let end: number;
      while ((end = pending.indexOf('\n\n')) !== -1) {
        const data = pending
          .slice(0, end)
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        pending = pending.slice(end + 2);
        if (data === '[DONE]') return;
        if (data === '') continue;
        const event = parsed(data);
        if (isErrorBody(event)) throw errorOf({ status: 200, headers, body: event });
        yield event as ChatCompletionChunk;
      }
      if (pending.length > MAX_EVENT_CHARS) {
        throw new BreakwaterError('the gateway sent an event larger than the client reads', {
          status: 200,
          code: 'UNEXPECTED_RESPONSE',
        });
      }
      if (done) {
        throw new BreakwaterError('the stream ended before data: [DONE]', {
          status: 200,
          code: 'UNEXPECTED_RESPONSE',
        });
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** A whole completion (a queued request's) as one chunk per choice, and the usage chunk when asked for. */
function* wholeChunks(completion: ChatCompletion, includeUsage: boolean): Generator<ChatCompletionChunk> {
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk' as const,
    created: completion.created,
    model: completion.model,
  };
  for (const choice of completion.choices) {
    const { content, tool_calls: calls, refusal } = choice.message;
    yield {
      ...base,
      choices: [
        {
          index: choice.index,
          delta: {
            role: 'assistant',
            content,
            ...(calls ? { tool_calls: calls.map((call, index) => ({ index, ...call })) } : {}),
            ...(refusal ? { refusal } : {}),
          },
          finish_reason: choice.finish_reason,
        },
      ],
    };
  }
  if (includeUsage) yield { ...base, choices: [], usage: completion.usage };
}

/** The statuses after which a job's result is final. */
const ENDED = new Set<JobStatusBody['status']>(['completed', 'failed', 'expired']);

function directiveHeaders(options: SubmitOptions): Record<string, string> {
  // Typed by the contract's names so a misspelt header fails to compile instead of being ignored.
  const headers: Partial<Record<HeaderName, string>> = {
    'x-processing-mode': options.processingMode,
    'x-cache-mode': options.cacheMode,
    'x-cache-ttl': options.cacheTtlSeconds === undefined ? undefined : String(options.cacheTtlSeconds),
    'x-cache-key': options.cacheKey,
    'idempotency-key': options.idempotencyKey,
    'x-end-user': options.endUser,
    'x-fallback-models': options.fallbackModels?.length ? options.fallbackModels.join(',') : undefined,
    'x-callback-url': options.callbackUrl,
    'x-request-id': options.requestId,
    'x-priority': options.priority,
  };
  return Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

function parsed(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCompletion(body: unknown): body is ChatCompletion {
  return isRecord(body) && Array.isArray(body.choices);
}

function isAccepted(body: unknown): body is AcceptedBody {
  return isRecord(body) && typeof body.queue_id === 'string';
}

function isJobStatus(body: unknown): body is JobStatusBody {
  return isRecord(body) && typeof body.queue_id === 'string' && typeof body.status === 'string';
}

function isErrorBody(body: unknown): body is ErrorBody {
  return isRecord(body) && isRecord(body.error) && typeof body.error.code === 'string';
}

function initOf(answer: Answer): BreakwaterErrorInit {
  const body = isErrorBody(answer.body) ? answer.body : undefined;
  return {
    status: answer.status,
    code: body?.error.code ?? 'UNEXPECTED_RESPONSE',
    requestId: body?.request_id ?? answer.headers.get('x-request-id') ?? undefined,
    retryAfterSeconds: retryAfterSecondsOf(answer.headers.get('retry-after')) ?? body?.retry_after,
    type: body?.error.type,
    param: body?.error.param,
  };
}

/** The contract's error JSON as a BreakwaterError; anything else (a proxy's page, a 2xx of the wrong shape) too. */
function errorOf(answer: Answer): BreakwaterError {
  const init = initOf(answer);
  if (!isErrorBody(answer.body)) {
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? '');
    return new BreakwaterError(
      `unexpected ${answer.status} answer from the gateway: ${text.slice(0, 200)}`,
      init,
    );
  }
  const message = answer.body.error.message;
  return answer.status === 429 ? new RateLimitedError(message, init) : new BreakwaterError(message, init);
}

/** setTimeout as a promise that an AbortSignal cuts short, rejecting with the signal's reason as fetch does. */
async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  await new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  signal?.throwIfAborted();
}
