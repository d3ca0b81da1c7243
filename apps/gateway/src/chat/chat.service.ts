import { Injectable } from '@nestjs/common';
import { CachePlan, CacheStatus, ResponseCache, plannedStatusOf } from '@breakwater/cache';
import { CompletionStep, Routing } from '@breakwater/completion';
import { AppConfig } from '@breakwater/config';
import {
  AcceptedBody,
  Caller,
  ChatCompletion,
  ChatCompletionRequest,
  GatewayError,
} from '@breakwater/contracts';
import { IdempotencyStore, IdempotentAnswer } from '@breakwater/idempotency';
import { LlmQueueProducer, WebhookTargets } from '@breakwater/queue';
import { Admission, Limits, RateLimitHeaders } from '@breakwater/rate-limit';
import { ModelAccess } from '../models/model-access';
import { RequestDirectives } from './request-directives';

export type ChatOutcome =
  | { kind: 'answered'; completion: ChatCompletion; provider: string; model: string; costUsd: number }
  | { kind: 'queued'; accepted: AcceptedBody; retryAfterSeconds: number };

export interface RequestContext {
  requestId: string;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Told the planned `x-cache` before the call (so errors carry it) and the final one after. */
  onCacheStatus?: (status: CacheStatus) => void;
  /** Told the `x-ratelimit-*` headers once the limits have decided, refusals included. */
  onRateLimit?: (headers: RateLimitHeaders) => void;
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
    if (replay) return replayed(replay);
    try {
      const outcome = await this.run(caller, request, directives, context);
      await this.idempotency.save(caller.id, key, toStored(outcome));
      return outcome;
    } catch (error) {
      await this.idempotency.release(caller.id, key);
      throw error;
    }
  }

  private async run(
    caller: Caller,
    request: ChatCompletionRequest,
    directives: RequestDirectives,
    context: RequestContext,
  ): Promise<ChatOutcome> {
    const routing = this.completion.resolve(request, directives.fallbackModels);
    if (directives.callbackUrl) await this.webhooks.assertAllowed(directives.callbackUrl, caller);
    const { route, fallbacks } = routing;
    const estimate = this.limits.estimate(caller, directives.endUser, request, route, fallbacks);
    const admission = await this.limits.admit(
      caller,
      directives.endUser,
      estimate,
      context.onRateLimit ?? noop,
      { queueWhenSaturated: directives.processingMode !== 'immediate' },
    );
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
        return await this.answer(step);
      } catch (error) {
        const unavailable = error instanceof GatewayError && error.code === 'PROVIDER_UNAVAILABLE';
        if (!unavailable || context.signal.aborted) throw error;
        if (directives.processingMode === 'immediate') throw this.soonRetried(error);
        return await this.enqueue(step, error.message, error.retryAfterSeconds ?? 1);
      }
    } finally {
      // Every exit (answer, queue, error, timeout, client gone) frees the slot; an unsettled reservation is dropped.
      admission.release();
      await admission.cancel();
    }
  }

  private async answer(step: Step): Promise<ChatOutcome> {
    const done = await this.completion.complete({
      callerId: step.caller.id,
      request: step.request,
      routing: step.routing,
      cachePlan: step.plan,
      budget: step.admission,
      signal: step.context.signal,
    });
    step.context.onCacheStatus?.(done.cache);
    // Settled before answering, so the caller's next request is judged on this one's real spend.
    await done.settle();
    const { completion, provider, model } = done.answer;
    return { kind: 'answered', completion, provider, model, costUsd: done.costUsd };
  }

  /**
   * An immediate-mode caller is typically an SDK that sleeps for `Retry-After` before it tries again; the
   * breaker's own wait (BREAKER_RESET_TIMEOUT_SECONDS) would hold it far longer than a caller that chose
   * not to be queued expects, so the hint is capped at IMMEDIATE_RETRY_AFTER_SECONDS.
   */
  private soonRetried(error: GatewayError): GatewayError {
    const cap = this.config.resilience.immediateRetryAfterSeconds;
    return new GatewayError(error.code, error.message, {
      param: error.param,
      retryAfterSeconds: Math.min(error.retryAfterSeconds ?? cap, cap),
      cause: error.cause,
    });
  }

  private async enqueue(step: Step, reason: string, retryAfterSeconds: number): Promise<ChatOutcome> {
    const accepted = await this.queue.enqueue({
      requestId: step.context.requestId,
      callerId: step.caller.id,
      request: step.request,
      fallbackModels: step.directives.fallbackModels,
      callbackUrl: step.directives.callbackUrl,
      reason,
      cachePlan: step.plan,
      reservation: step.admission.handOver(),
      priority: step.directives.priority,
    });
    return { kind: 'queued', accepted, retryAfterSeconds };
  }
}

function noop(): void {}

function toStored(outcome: ChatOutcome): IdempotentAnswer {
  return outcome.kind === 'queued'
    ? { status: 202, body: outcome.accepted }
    : { status: 200, body: outcome.completion, provider: outcome.provider, model: outcome.model };
}

function replayed(stored: IdempotentAnswer): ChatOutcome {
  return stored.status === 202
    ? { kind: 'queued', accepted: stored.body, retryAfterSeconds: 1 }
    : {
        kind: 'answered',
        completion: stored.body,
        provider: stored.provider,
        model: stored.model,
        costUsd: 0,
      };
}
