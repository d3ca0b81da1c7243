import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { CachePlan, CacheStatus, ResponseCache, plannedStatusOf } from '@breakwater/cache';
import { AnswerShape, CompletionStep, Routing, StreamedCompletion } from '@breakwater/completion';
import { AppConfig } from '@breakwater/config';
import {
  AcceptedBody,
  Caller,
  ChatCompletion,
  ChatCompletionRequest,
  GatewayError,
} from '@breakwater/contracts';
import { IdempotencyStore, IdempotentAnswer } from '@breakwater/idempotency';
import { StreamInterruptedError } from '@breakwater/llm-provider';
import { SpanKind, Tracing } from '@breakwater/observability';
import { LlmQueueProducer, WebhookTargets } from '@breakwater/queue';
import { Admission, Limits, RateLimitHeaders } from '@breakwater/rate-limit';
import { ModelAccess } from '../models/model-access';
import { RequestDirectives } from './request-directives';
import { SseBody, StreamBody } from './sse-body';

/** A whole answer, or the 202 of a queued request. */
export type WholeOutcome =
  | { kind: 'answered'; completion: ChatCompletion; provider: string; model: string; costUsd: number }
  | { kind: 'queued'; accepted: AcceptedBody; retryAfterSeconds: number; errorCode?: string };

export type ChatOutcome =
  | WholeOutcome
  | {
      kind: 'streamed';
      body: Readable;
      provider: string;
      model: string;
      /** The whole answer once the stream has ended, or undefined when it broke (or the client left). */
      ended: Promise<ChatCompletion | undefined>;
    };

/** How a streamed answer ended, for its request's log line. */
export interface StreamEnd {
  cache: CacheStatus;
  /** What the answer used and cost; absent when the stream broke (booked on what it had streamed). */
  tokensIn?: number;
  tokensOut?: number;
  costUsd?: number;
  /** Set when the stream broke after its first chunk. */
  error?: GatewayError;
}

export interface RequestContext {
  requestId: string;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Told the planned `x-cache` before the call (so errors carry it) and the final one after. */
  onCacheStatus?: (status: CacheStatus) => void;
  /** Told the `x-ratelimit-*` headers once the limits have decided, refusals included. */
  onRateLimit?: (headers: RateLimitHeaders) => void;
  /** Told how a streamed answer ended (after its last event was written). */
  onStreamEnd?: (end: StreamEnd) => void;
  /** Told the resolved route, so that every answer's log line (202 and errors too) names provider and model. */
  onRoute?: (route: Routing['route']) => void;
  /** The body a streamed answer is written into; absent: chat chunks (SseBody). */
  streamBody?: () => StreamBody;
  /** The shape the endpoint answers in, which a queued request's result and webhook take too; absent: chat. */
  answerShape?: AnswerShape;
}

/** One request on its way: what every step needs, resolved once. */
interface Step {
  caller: Caller;
  request: ChatCompletionRequest;
  directives: RequestDirectives;
  context: RequestContext;
  routing: Routing;
  admission: Admission;
  plan: CachePlan;
}

/** How soon a caller should first poll a job queued on request (async mode). */
const ASYNC_POLL_SECONDS = 1;

/**
 * The request path, one named call per step:
 *   aliases and the caller's allow-list (ModelAccess) → idempotency → resolve model, fallbacks and response format → estimate (an unpriced model under a
 *   USD budget is 400) → limits (rate, concurrency, budget) → cache plan → [async: queue] →
 *   cache or provider (registry: breaker, retries, structured output, fallbacks; the outbound quota
 *   before each attempt) → settle budget and usage. Resolve, cache, provider and settle are the
 *   CompletionStep, which a queued job runs too.
 *   Provider unavailable: the queue (202 with a queue_id), or 503 in immediate mode. A queued request
 *   hands its budget reservation and cache plan to the job, which settles them when it ends.
 */
@Injectable()
export class ChatService {
  constructor(
    private readonly completion: CompletionStep,
    private readonly limits: Limits,
    private readonly cache: ResponseCache,
    private readonly queue: LlmQueueProducer,
    private readonly idempotency: IdempotencyStore,
    private readonly webhooks: WebhookTargets,
    private readonly config: AppConfig,
    private readonly models: ModelAccess,
    private readonly tracing: Tracing,
  ) {}

  async complete(
    caller: Caller,
    asked: ChatCompletionRequest,
    askedDirectives: RequestDirectives,
    context: RequestContext,
  ): Promise<ChatOutcome> {
    // The alias is applied first, so the cache key, the queued job and the estimate all see the request
    // as it will be sent; a refused name is refused before an idempotency key is claimed.
    const { request, fallbackModels } = this.models.prepare(caller, asked, askedDirectives.fallbackModels);
    const directives = { ...askedDirectives, fallbackModels };
    const key = directives.idempotencyKey;
    if (!key) return this.run(caller, request, directives, context);
    const replay = await this.idempotency.claim(caller.id, key);
    if (replay) return replayed(replay, request, context);
    try {
      const outcome = await this.run(caller, request, directives, context);
      if (outcome.kind === 'streamed') {
        // Kept once the stream has ended whole; a broken one frees the key for a retry.
        void outcome.ended.then((completion) =>
          completion
            ? this.idempotency.save(caller.id, key, {
                status: 200,
                body: completion,
                provider: outcome.provider,
                model: outcome.model,
              })
            : this.idempotency.release(caller.id, key),
        );
        return outcome;
      }
      await this.idempotency.save(caller.id, key, toStored(outcome));
      return outcome;
    } catch (error) {
      await this.idempotency.release(caller.id, key);
      throw error;
    }
  }

  /** The answer whole, whatever the request's `stream` says: a batch item is one JSON answer among others. */
  async completeWhole(
    caller: Caller,
    asked: ChatCompletionRequest,
    directives: RequestDirectives,
    context: RequestContext,
  ): Promise<WholeOutcome> {
    const outcome = await this.complete(caller, whole(asked), directives, context);
    if (outcome.kind === 'streamed') throw new Error('a request without stream was streamed');
    return outcome;
  }

  private async run(
    caller: Caller,
    request: ChatCompletionRequest,
    directives: RequestDirectives,
    context: RequestContext,
  ): Promise<ChatOutcome> {
    const routing = this.completion.resolve(request, directives.fallbackModels);
    context.onRoute?.(routing.route);
    if (directives.callbackUrl) await this.webhooks.assertAllowed(directives.callbackUrl, caller);
    const { route, fallbacks } = routing;
    const estimate = this.limits.estimate(caller, directives.endUser, request, route, fallbacks);
    const admission = await this.tracing.span('limits', SpanKind.INTERNAL, {}, () =>
      this.limits.admit(caller, directives.endUser, estimate, context.onRateLimit ?? noop, {
        queueWhenSaturated: directives.processingMode !== 'immediate',
      }),
    );
    let streaming = false;
    try {
      const plan = this.cache.plan(caller, request, route, directives.cache);
      context.onCacheStatus?.(plannedStatusOf(plan));
      const step: Step = { caller, request, directives, context, routing, admission, plan };
      if (directives.processingMode === 'async') {
        return await this.enqueue(step, 'async mode: queued as requested', ASYNC_POLL_SECONDS);
      }
      // GLOBAL_CONCURRENCY is full (and nothing else refused): the queue smooths the burst.
      if (admission.saturated) return await this.enqueue(step, admission.saturated, ASYNC_POLL_SECONDS);
      try {
        if (!request.stream) return await this.answer(step);
        const outcome = await this.answerStreamed(step);
        streaming = outcome.kind === 'streamed';
        return outcome;
      } catch (error) {
        const unavailable = error instanceof GatewayError && error.code === 'PROVIDER_UNAVAILABLE';
        if (!unavailable || context.signal.aborted) throw error;
        // An immediate-mode caller is typically an SDK that sleeps for `Retry-After`: the breaker's own wait
        // would hold it far longer than a caller that chose not to be queued expects.
        if (directives.processingMode === 'immediate') {
          throw error.retryingWithin(this.config.resilience.immediateRetryAfterSeconds);
        }
        return await this.enqueue(step, error.message, error.retryAfterSeconds ?? 1, error.code);
      }
    } finally {
      // Every exit (answer, queue, error, timeout, client gone) frees the slot; an unsettled reservation is
      // dropped. A live stream holds both until it ends (answerStreamed).
      if (!streaming) await released(admission);
    }
  }

  /**
   * A streamed answer. Until its first chunk it is any request: what fails before is thrown to `run`
   * (queued, or 503 in immediate mode). The outcome is returned as soon as the first chunk is in, or when
   * the cache (or a twin request's stream) answered whole, which is then replayed as chunks; a live
   * stream then runs on in the background, writing each chunk as it comes, and at its end settles the
   * budget, frees the concurrency slot and reports to `onStreamEnd`.
   */
  private async answerStreamed(step: Step): Promise<ChatOutcome> {
    const { context, request } = step;
    const body = streamBodyOf(request, context);
    let started!: (answering: { provider: string; model: string }) => void;
    const start = new Promise<{ provider: string; model: string }>((resolve) => (started = resolve));
    const streamed = this.completion.stream(this.work(step), {
      start: (answering) => started(answering),
      chunk: (chunk) => body.chunk(chunk),
    });
    const first = await Promise.race([start, streamed]);
    if ('live' in first) {
      context.onCacheStatus?.(first.cache);
      await first.settle();
      body.replay(first.answer.completion);
      this.reportEnd(step, first);
      const { provider, model, completion } = first.answer;
      return { kind: 'streamed', body: body.stream, provider, model, ended: Promise.resolve(completion) };
    }
    const ended = this.endLive(step, streamed, body);
    return { kind: 'streamed', body: body.stream, provider: first.provider, model: first.model, ended };
  }

  /** The rest of a live stream, in the background: its end written, booked and reported; never throws. */
  private async endLive(
    step: Step,
    streamed: Promise<StreamedCompletion>,
    body: StreamBody,
  ): Promise<ChatCompletion | undefined> {
    try {
      const done = await streamed;
      await done.settle();
      body.finish(done.answer.completion);
      this.reportEnd(step, done);
      return done.answer.completion;
    } catch (error) {
      // The spend of what was streamed is already booked (CompletionStep.stream).
      const failure = brokenStream(error);
      body.fail(failure);
      step.context.onStreamEnd?.({ cache: plannedStatusOf(step.plan), error: failure });
      return undefined;
    } finally {
      await released(step.admission);
    }
  }

  private reportEnd(step: Step, done: StreamedCompletion): void {
    const { usage } = done.answer.completion;
    step.context.onStreamEnd?.({
      tokensIn: usage.prompt_tokens,
      tokensOut: usage.completion_tokens,
      costUsd: done.costUsd,
      cache: done.cache,
    });
  }

  private work(step: Step) {
    return {
      callerId: step.caller.id,
      request: step.request,
      routing: step.routing,
      cachePlan: step.plan,
      budget: step.admission,
      signal: step.context.signal,
    };
  }

  private async answer(step: Step): Promise<ChatOutcome> {
    const done = await this.completion.complete(this.work(step));
    step.context.onCacheStatus?.(done.cache);
    // Settled before answering, so the caller's next request is judged on this one's real spend.
    await done.settle();
    const { completion, provider, model } = done.answer;
    return { kind: 'answered', completion, provider, model, costUsd: done.costUsd };
  }

  private async enqueue(
    step: Step,
    reason: string,
    retryAfterSeconds: number,
    errorCode?: string,
  ): Promise<ChatOutcome> {
    const accepted = await this.queue.enqueue({
      requestId: step.context.requestId,
      callerId: step.caller.id,
      // A queued job's result is a whole completion, whether or not the request asked for a stream.
      request: whole(step.request),
      fallbackModels: step.directives.fallbackModels,
      callbackUrl: step.directives.callbackUrl,
      reason,
      cachePlan: step.plan,
      reservation: step.admission.handOver(),
      priority: step.directives.priority,
      answerShape: step.context.answerShape,
    });
    return { kind: 'queued', accepted, retryAfterSeconds, errorCode };
  }
}

function noop(): void {}

async function released(admission: Admission): Promise<void> {
  admission.release();
  await admission.cancel();
}

function streamBodyOf(request: ChatCompletionRequest, context: RequestContext): StreamBody {
  return (
    context.streamBody?.() ?? new SseBody(request.stream_options?.include_usage === true, context.requestId)
  );
}

function whole(request: ChatCompletionRequest): ChatCompletionRequest {
  if (request.stream === undefined && request.stream_options === undefined) return request;
  const rest = { ...request };
  delete rest.stream;
  delete rest.stream_options;
  return rest;
}

/** What a stream that broke after its first chunk tells its client in the error event. */
function brokenStream(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof StreamInterruptedError) return new GatewayError(error.code, error.message);
  return new GatewayError('INTERNAL', 'internal error');
}

function toStored(outcome: WholeOutcome): IdempotentAnswer {
  return outcome.kind === 'queued'
    ? { status: 202, body: outcome.accepted }
    : { status: 200, body: outcome.completion, provider: outcome.provider, model: outcome.model };
}

function replayed(
  stored: IdempotentAnswer,
  request: ChatCompletionRequest,
  context: RequestContext,
): ChatOutcome {
  if (stored.status === 202) return { kind: 'queued', accepted: stored.body, retryAfterSeconds: 1 };
  if (request.stream) {
    const body = streamBodyOf(request, context);
    body.replay(stored.body);
    return {
      kind: 'streamed',
      body: body.stream,
      provider: stored.provider,
      model: stored.model,
      ended: Promise.resolve(stored.body),
    };
  }
  return {
    kind: 'answered',
    completion: stored.body,
    provider: stored.provider,
    model: stored.model,
    costUsd: 0,
  };
}
