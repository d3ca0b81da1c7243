import { Injectable } from '@nestjs/common';
import { CachePlan, CacheStatus, ResponseCache, plannedStatusOf } from '@breakwater/cache';
import { CompletionStep, Routing } from '@breakwater/completion';
import { AppConfig } from '@breakwater/config';
import {
  AcceptedBody,
  Caller,
  ChatCompletionRequest,
  EmbeddingList,
  EmbeddingRequest,
  GatewayError,
  embeddingInputs,
} from '@breakwater/contracts';
import { LlmQueueProducer, WebhookTargets } from '@breakwater/queue';
import { Admission, Limits, RateLimitHeaders } from '@breakwater/rate-limit';
import { RequestDirectives } from '../chat/request-directives';
import { ModelAccess } from '../models/model-access';

/** Float vectors from the cache or a provider, or the 202 of a queued request. */
export type EmbeddingOutcome =
  | { kind: 'answered'; embeddings: EmbeddingList; provider: string; model: string; costUsd: number }
  | { kind: 'queued'; accepted: AcceptedBody; retryAfterSeconds: number };

export interface EmbeddingContext {
  requestId: string;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Told the `x-ratelimit-*` headers once the limits have decided, refusals included. */
  onRateLimit: (headers: RateLimitHeaders) => void;
  /** Told the planned `x-cache` before the call (so errors carry it) and the final one after. */
  onCacheStatus: (status: CacheStatus) => void;
  /** Told the resolved route, so that every answer's log line (202 and errors too) names provider and model. */
  onRoute: (route: Routing['route']) => void;
}

/** One request on its way: what the answer and the queue need, resolved once. */
interface Step {
  caller: Caller;
  request: EmbeddingRequest;
  directives: RequestDirectives;
  context: EmbeddingContext;
  routing: Routing;
  admission: Admission;
  plan: CachePlan;
}

/** How soon a caller should first poll a job queued on request (async mode). */
const ASYNC_POLL_SECONDS = 1;

/**
 * The embeddings path, the chat path's steps: aliases and the caller's allow-list (ModelAccess) →
 * resolve (a provider without embeddings is 400 naming `model`) → estimate (an unpriced model under a
 * USD budget is 400) → limits (rate, concurrency, budget) → cache plan → [async: queue] → cache or
 * provider (breaker, retries, deadline, fallbacks, outbound quota) → settle budget and usage. The cache
 * keeps float vectors; the controller writes the asked encoding. Provider unavailable: the queue (202
 * with a queue_id; the job's result is written in the request's encoding), or 503 in immediate mode.
 */
@Injectable()
export class EmbeddingsService {
  constructor(
    private readonly completion: CompletionStep,
    private readonly limits: Limits,
    private readonly cache: ResponseCache,
    private readonly queue: LlmQueueProducer,
    private readonly webhooks: WebhookTargets,
    private readonly models: ModelAccess,
    private readonly config: AppConfig,
  ) {}

  async embed(
    caller: Caller,
    request: EmbeddingRequest,
    askedDirectives: RequestDirectives,
    context: EmbeddingContext,
  ): Promise<EmbeddingOutcome> {
    // ModelAccess applies aliases and allow-lists to a chat request; an embedding request has no chat
    // fields for an alias's defaults to fill, so only the model and the fallback chain are taken.
    const prepared = this.models.prepare(
      caller,
      { model: request.model, messages: [] },
      askedDirectives.fallbackModels,
    );
    const directives = { ...askedDirectives, fallbackModels: prepared.fallbackModels };
    const routing = this.completion.resolveEmbedding(request, directives.fallbackModels);
    context.onRoute(routing.route);
    if (directives.callbackUrl) await this.webhooks.assertAllowed(directives.callbackUrl, caller);
    const { route, fallbacks } = routing;
    const estimate = this.limits.estimate(caller, directives.endUser, asPrompt(request), route, fallbacks);
    const admission = await this.limits.admit(caller, directives.endUser, estimate, context.onRateLimit, {
      queueWhenSaturated: directives.processingMode !== 'immediate',
    });
    try {
      const plan = this.cache.planEmbeddings(caller, request, route, directives.cache);
      context.onCacheStatus(plannedStatusOf(plan));
      const step: Step = { caller, request, directives, context, routing, admission, plan };
      if (directives.processingMode === 'async') {
        return await this.enqueue(step, 'async mode: queued as requested', ASYNC_POLL_SECONDS);
      }
      // GLOBAL_CONCURRENCY is full (and nothing else refused): the queue smooths the burst, as for chat.
      if (admission.saturated) return await this.enqueue(step, admission.saturated, ASYNC_POLL_SECONDS);
      try {
        return await this.answer(step);
      } catch (error) {
        const unavailable = error instanceof GatewayError && error.code === 'PROVIDER_UNAVAILABLE';
        if (!unavailable || context.signal.aborted) throw error;
        // As for chat: Retry-After capped at IMMEDIATE_RETRY_AFTER_SECONDS.
        if (directives.processingMode === 'immediate') {
          throw error.retryingWithin(this.config.resilience.immediateRetryAfterSeconds);
        }
        return await this.enqueue(step, error.message, error.retryAfterSeconds ?? 1);
      }
    } finally {
      // Every exit frees the slot; a reservation not settled (nor handed to a job) is dropped.
      admission.release();
      await admission.cancel();
    }
  }

  private async answer(step: Step): Promise<EmbeddingOutcome> {
    const done = await this.completion.embed({
      callerId: step.caller.id,
      request: step.request,
      routing: step.routing,
      cachePlan: step.plan,
      budget: step.admission,
      signal: step.context.signal,
    });
    step.context.onCacheStatus(done.cache);
    // Settled before answering, so the caller's next request is judged on this one's real spend.
    await done.settle();
    const { embeddings, provider, model } = done.answer;
    return { kind: 'answered', embeddings, provider, model, costUsd: done.costUsd };
  }

  private async enqueue(step: Step, reason: string, retryAfterSeconds: number): Promise<EmbeddingOutcome> {
    const accepted = await this.queue.enqueue({
      kind: 'embeddings',
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

/**
 * What the limits estimate (Limits.estimate prices a chat request): each input as a prompt message and no
 * answer, since an embedding's cost is its input tokens. The real usage replaces it at settlement.
 */
function asPrompt(request: EmbeddingRequest): ChatCompletionRequest {
  return {
    model: request.model,
    messages: embeddingInputs(request).map((content) => ({ role: 'user', content })),
    max_tokens: 0,
  };
}
