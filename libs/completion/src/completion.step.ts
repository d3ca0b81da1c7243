import { Injectable } from '@nestjs/common';
import { Usage } from '@breakwater/accounting';
import { CachePlan, CacheStatus, CachedResult, ResponseCache } from '@breakwater/cache';
import {
  ChatCompletionChunk,
  ChatCompletionRequest,
  EmbeddingRequest,
  GatewayError,
  HEADER,
  ProviderId,
} from '@breakwater/contracts';
import {
  EmbeddingAnswer,
  ModelRoute,
  ProviderAnswer,
  ProviderRegistry,
  ProviderStream,
} from '@breakwater/llm-provider';
import { BudgetReservation, Limits, OutboundLimits, SpendEstimate } from '@breakwater/rate-limit';

/** Where a request goes: the model it asked for and its fallbacks, resolved. */
export interface Routing {
  route: ModelRoute;
  fallbacks: ModelRoute[];
}

/**
 * Who holds a request's budget reservation until the answer's real spend is known: the request's
 * Admission on the request path, a handed-over reservation in a queued job (CompletionStep.heldBudget).
 */
export interface BudgetHold {
  settle(actual: SpendEstimate): Promise<void>;
  cancel(): Promise<void>;
}

/** One completion to produce: what was asked, where it goes, how it is cached and whose budget pays. */
export interface CompletionWork {
  callerId: string;
  request: ChatCompletionRequest;
  routing: Routing;
  /** As the request planned it; without one the cache takes no part (BYPASS). */
  cachePlan?: CachePlan;
  budget: BudgetHold;
  /** Aborts the provider step: the client went away. */
  signal?: AbortSignal;
}

/** An answer not yet accounted for: `settle()` books it once it has been delivered. */
export interface Completion {
  answer: ProviderAnswer;
  cache: CacheStatus;
  /** What the caller is charged: nothing when the cache answered. */
  costUsd: number;
  /** Settles the budget with the real spend and records usage; call it once. */
  settle(): Promise<void>;
}

/** Where a streamed answer's chunks go as the provider sends them. */
export interface ChunkSink {
  /** Called once, just before the first chunk: who answers (the headers go out now). */
  start(answering: { provider: ProviderId; model: string }): void;
  chunk(chunk: ChatCompletionChunk): void;
}

/** A streamed completion that has ended; `live` false means it came whole and is the caller's to replay. */
export interface StreamedCompletion extends Completion {
  live: boolean;
}

/** Embeddings to produce: the same work as a completion's, cache plan included. */
export interface EmbeddingWork {
  callerId: string;
  request: EmbeddingRequest;
  routing: Routing;
  /** As the request planned it (ResponseCache.planEmbeddings); without one the cache takes no part. */
  cachePlan?: CachePlan;
  budget: BudgetHold;
  signal?: AbortSignal;
}

/** Embeddings (float vectors) not yet accounted for: `settle()` books them once. */
export interface Embedded {
  answer: EmbeddingAnswer;
  cache: CacheStatus;
  /** What the caller is charged: nothing when the cache answered. */
  costUsd: number;
  settle(): Promise<void>;
}

/**
 * The completion step that a synchronous request and a queued job share: resolve → cache through →
 * provider (ProviderRegistry: breakers, retries, structured output, fallbacks; the outbound quota before
 * every attempt) → settle budget and usage. What differs between the two callers is a parameter (the
 * signal, the cache plan, the budget hold), never a branch on who called.
 *
 * Booking is a separate `settle()` so that an answer delivered piece by piece (a stream) is booked only
 * once it has been sent; a whole answer settles before it is returned, so the caller's next request is
 * judged on this one's real spend.
 */
@Injectable()
export class CompletionStep {
  constructor(
    private readonly providers: ProviderRegistry,
    private readonly cache: ResponseCache,
    private readonly limits: Limits,
    private readonly outbound: OutboundLimits,
    private readonly usage: Usage,
  ) {}

  /** Throws 400 naming `model`, `x-fallback-models` or the response format's schema. */
  resolve(request: ChatCompletionRequest, fallbackModels: string[]): Routing {
    const route = this.providers.resolve(request.model);
    const fallbacks = fallbackModels.map((model) => this.providers.resolve(model, 'x-fallback-models'));
    this.providers.assertResponseFormat(request);
    return { route, fallbacks };
  }

  /** The answer, from the cache or the provider; throws what the provider step throws, having booked nothing. */
  async complete(work: CompletionWork): Promise<Completion> {
    const call = () =>
      this.providers.complete(work.routing.route, work.request, {
        fallbacks: work.routing.fallbacks,
        signal: work.signal,
        beforeAttempt: (provider) => this.outbound.take(provider),
      });
    const result: CachedResult = work.cachePlan
      ? await this.cache.through(work.cachePlan, call)
      : { answer: await call(), status: 'BYPASS' };
    return this.booked(work, result);
  }

  /** An answer with its booking to do: nothing is charged for a cache hit. */
  private booked(work: CompletionWork, { answer, status }: CachedResult): Completion {
    const cacheHit = status === 'HIT' || status === 'STALE';
    const spent = cacheHit
      ? { tokens: 0, costUsd: 0 }
      : { tokens: answer.completion.usage.total_tokens, costUsd: answer.costUsd };
    return {
      answer,
      cache: status,
      costUsd: spent.costUsd,
      settle: async () => {
        await Promise.all([
          work.budget.settle(spent),
          this.usage.recordAnswer(work.callerId, answer, cacheHit),
        ]);
      },
    };
  }

  /**
   * A streamed completion: the same cache step, with a provider step that passes each chunk to `sink` as
   * it arrives and gives the cache the assembled answer once the stream has ended (so only a whole,
   * valid answer is stored, and identical requests in flight share it). When the cache or a twin's flight
   * answers instead, nothing reaches the sink and `live` is false. A stream that breaks after its first
   * chunk (StreamInterruptedError, the client gone included) is booked here on what it had streamed
   * before the error is thrown on.
   */
  async stream(work: CompletionWork, sink: ChunkSink): Promise<StreamedCompletion> {
    let live: ProviderStream | undefined;
    const produce = async (): Promise<ProviderAnswer> => {
      const stream = await this.providers.stream(work.routing.route, work.request, {
        fallbacks: work.routing.fallbacks,
        signal: work.signal,
        beforeAttempt: (provider) => this.outbound.take(provider),
      });
      live = stream;
      sink.start({ provider: stream.provider, model: stream.model });
      for await (const chunk of stream.chunks()) sink.chunk(chunk);
      return stream.answer;
    };
    let result: CachedResult;
    try {
      result = work.cachePlan
        ? await this.cache.through(work.cachePlan, produce)
        : { answer: await produce(), status: 'BYPASS' };
    } catch (error) {
      if (live) await this.bookBroken(work, live);
      throw error;
    }
    return { ...this.booked(work, result), live: live !== undefined };
  }

  /** What a stream broken midway had cost: the budget settled and usage recorded on what arrived. */
  private async bookBroken(work: CompletionWork, stream: ProviderStream): Promise<void> {
    const { tokens, costUsd, usage } = stream.spent();
    await Promise.all([
      work.budget.settle({ tokens, costUsd }),
      this.usage.recordFor(work.callerId, stream, {
        tokensIn: usage.prompt_tokens,
        tokensOut: usage.completion_tokens,
        costUsd,
        cacheHit: false,
      }),
    ]);
  }

  /**
   * Routing for embeddings: 400 naming `model` when its provider has no embeddings API. A fallback without
   * one (an alias's chat model, say) is left out rather than refused, since it could only fail.
   */
  resolveEmbedding(request: EmbeddingRequest, fallbackModels: string[]): Routing {
    const route = this.providers.resolve(request.model);
    if (!route.adapter.embed) {
      throw GatewayError.invalid(
        'model',
        `model: provider "${route.provider}" does not support embeddings (openai, gemini and mock do)`,
      );
    }
    const fallbacks = fallbackModels
      .map((model) => this.providers.resolve(model, HEADER.fallbackModels))
      .filter((fallback) => fallback.adapter.embed !== undefined);
    return { route, fallbacks };
  }

  /**
   * Embeddings from the cache or the provider step (breakers, retries, fallbacks, the outbound quota
   * before each attempt), as float vectors; throws what the provider step throws, having booked nothing.
   * A hit is booked as a request and a cache hit with the tokens it served, and costs nothing.
   */
  async embed(work: EmbeddingWork): Promise<Embedded> {
    const call = () =>
      this.providers.embed(work.routing.route, work.request, {
        fallbacks: work.routing.fallbacks,
        signal: work.signal,
        beforeAttempt: (provider) => this.outbound.take(provider),
      });
    const { answer, status }: CachedResult<EmbeddingAnswer> = work.cachePlan
      ? await this.cache.embeddingsThrough(work.cachePlan, call)
      : { answer: await call(), status: 'BYPASS' };
    const cacheHit = status === 'HIT' || status === 'STALE';
    const { usage } = answer.embeddings;
    const spent = cacheHit
      ? { tokens: 0, costUsd: 0 }
      : { tokens: usage.total_tokens, costUsd: answer.costUsd };
    return {
      answer,
      cache: status,
      costUsd: spent.costUsd,
      settle: async () => {
        await Promise.all([
          work.budget.settle(spent),
          this.usage.recordFor(work.callerId, answer, {
            tokensIn: usage.prompt_tokens,
            tokensOut: 0,
            costUsd: spent.costUsd,
            cacheHit,
          }),
        ]);
      },
    };
  }

  /** The hold of a reservation handed over to a queued job (none: a hold that does nothing). */
  heldBudget(reservation: BudgetReservation | undefined): BudgetHold {
    if (!reservation) return { settle: () => Promise.resolve(), cancel: () => Promise.resolve() };
    return {
      settle: (actual) => this.limits.settle(reservation, actual),
      cancel: () => this.limits.cancel(reservation),
    };
  }
}
