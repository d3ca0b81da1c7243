import { Injectable } from '@nestjs/common';
import { CompletionStep } from '@breakwater/completion';
import { AppConfig } from '@breakwater/config';
import {
  Caller,
  ChatCompletionRequest,
  EmbeddingList,
  EmbeddingRequest,
  GatewayError,
  embeddingInputs,
} from '@breakwater/contracts';
import { Limits, RateLimitHeaders } from '@breakwater/rate-limit';
import { RequestDirectives } from '../chat/request-directives';
import { ModelAccess } from '../models/model-access';

export interface EmbeddingOutcome {
  embeddings: EmbeddingList;
  provider: string;
  model: string;
  costUsd: number;
}

export interface EmbeddingContext {
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Told the `x-ratelimit-*` headers once the limits have decided, refusals included. */
  onRateLimit: (headers: RateLimitHeaders) => void;
}

/**
 * The embeddings path, the chat path's steps that apply to it: aliases and the caller's allow-list
 * (ModelAccess) → resolve (a provider without embeddings is 400 naming `model`) → estimate (an unpriced
 * model under a USD budget is 400) → limits (rate, concurrency, budget) → provider (breaker, retries,
 * deadline, fallbacks, outbound quota) → settle budget and usage. Embeddings are not cached and not
 * queued: an unavailable provider is 503 PROVIDER_UNAVAILABLE whatever `x-processing-mode` says, with
 * Retry-After capped at IMMEDIATE_RETRY_AFTER_SECONDS as for an immediate-mode chat caller.
 */
@Injectable()
export class EmbeddingsService {
  constructor(
    private readonly completion: CompletionStep,
    private readonly limits: Limits,
    private readonly models: ModelAccess,
    private readonly config: AppConfig,
  ) {}

  async embed(
    caller: Caller,
    request: EmbeddingRequest,
    directives: RequestDirectives,
    context: EmbeddingContext,
  ): Promise<EmbeddingOutcome> {
    // ModelAccess applies aliases and allow-lists to a chat request; an embedding request has no chat
    // fields for an alias's defaults to fill, so only the model and the fallback chain are taken.
    const prepared = this.models.prepare(
      caller,
      { model: request.model, messages: [] },
      directives.fallbackModels,
    );
    const routing = this.completion.resolveEmbedding(request, prepared.fallbackModels);
    const { route, fallbacks } = routing;
    const estimate = this.limits.estimate(caller, directives.endUser, asPrompt(request), route, fallbacks);
    const admission = await this.limits.admit(caller, directives.endUser, estimate, context.onRateLimit);
    try {
      const done = await this.completion.embed({
        callerId: caller.id,
        request,
        routing,
        budget: admission,
        signal: context.signal,
      });
      await done.settle();
      const { embeddings, provider, model } = done.answer;
      return { embeddings, provider, model, costUsd: done.costUsd };
    } catch (error) {
      if (!(error instanceof GatewayError) || error.code !== 'PROVIDER_UNAVAILABLE') throw error;
      // As for a chat caller in immediate mode: an SDK sleeps for Retry-After before it tries again, and
      // the breaker's own wait would hold it far longer than a caller that cannot be queued expects.
      const cap = this.config.resilience.immediateRetryAfterSeconds;
      throw new GatewayError(error.code, `${error.message} (embeddings are not queued)`, {
        retryAfterSeconds: Math.min(error.retryAfterSeconds ?? cap, cap),
        cause: error.cause,
      });
    } finally {
      admission.release();
      await admission.cancel();
    }
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
