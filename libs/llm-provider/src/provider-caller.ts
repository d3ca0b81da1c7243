import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionUsage,
  ChatMessage,
  EmbeddingList,
  EmbeddingRequest,
  GatewayError,
  ProviderId,
} from '@breakwater/contracts';
import { ATTR, SpanKind, Tracing } from '@breakwater/observability';
import { ModelRoute } from './model-router';
import { ProviderError } from './provider-error';
import { Priced, ProviderMetrics } from './provider-metrics';
import { isBreakerRejection } from './resilience/breaker-rejection';
import { CircuitBreakers } from './resilience/circuit-breakers';
import { CircuitOpenError } from './resilience/circuit-open.error';
import { backoffDelayMs } from './resilience/retry-policy';
import { completionChunks } from './streaming/chunks';
import { OpenedStream, ProviderStream } from './streaming/provider-stream';
import { StructuredOutput } from './structured-output';

/** A provider's answer as the gateway returns it (model `provider/model`), with what all its attempts cost. */
export interface ProviderAnswer {
  completion: ChatCompletion;
  provider: ProviderId;
  model: string;
  costUsd: number;
  attempts: number;
}

/** A provider's embeddings as the gateway returns them (model `provider/model`), with what all attempts cost. */
export interface EmbeddingAnswer {
  embeddings: EmbeddingList;
  provider: ProviderId;
  model: string;
  costUsd: number;
  attempts: number;
}

export interface CompletionOptions {
  /** Aborts everything (the client went away). */
  signal?: AbortSignal;
  /** Tried in order, synchronously, when the route before is unavailable. */
  fallbacks?: ModelRoute[];
  /**
   * Called before every attempt on a provider (retries and fallbacks included); may throw a
   * ProviderHeldError to hold the call back (the gateway's outbound quota lives in rate-limit).
   */
  beforeAttempt?: (provider: ProviderId) => Promise<void>;
}

/**
 * The call loop: per route up to RETRY_MAX_ATTEMPTS attempts through the provider's circuit breaker,
 * each with its own LLM_TIMEOUT_SECONDS signal, all inside REQUEST_TIMEOUT_SECONDS. Transient failures
 * back off (full jitter, Retry-After as a floor); permanent ones end at once as PROVIDER_ERROR (502); a
 * structured answer that fails its schema is retried with the validation errors in the conversation. A
 * route that stays unavailable hands over to the next fallback; the last one's PROVIDER_UNAVAILABLE (503)
 * is what the caller (or the queue) sees. Only unavailability hands over: a PROVIDER_ERROR (a 4xx, or
 * answers that never matched their schema) is the caller's to see, not a reason to pay another provider.
 */
@Injectable()
export class ProviderCaller {
  private readonly logger = new Logger('ProviderCaller');

  constructor(
    private readonly config: AppConfig,
    private readonly breakers: CircuitBreakers,
    private readonly structured: StructuredOutput,
    private readonly metrics: ProviderMetrics,
    private readonly tracing: Tracing,
  ) {}

  complete(
    route: ModelRoute,
    request: ChatCompletionRequest,
    options: CompletionOptions = {},
  ): Promise<ProviderAnswer> {
    return this.overRoutes(route, options, (next, deadline) =>
      this.completeOn(next, request, deadline, options),
    );
  }

  /**
   * Embeddings through the same loop as a completion (breaker, retries, deadline, fallbacks, metrics).
   * A route whose provider has no embeddings API is a 400 naming `model`.
   */
  embed(
    route: ModelRoute,
    request: EmbeddingRequest,
    options: CompletionOptions = {},
  ): Promise<EmbeddingAnswer> {
    return this.overRoutes(route, options, (next, deadline) =>
      this.embedOn(next, request, deadline, options),
    );
  }

  /**
   * A streamed answer through the same loop up to its first chunk: breaker, retries with backoff,
   * fallbacks and the deadline apply to opening the stream, and an attempt that has not sent its first
   * chunk within LLM_TIMEOUT_SECONDS (or the request's deadline) is abandoned and retried. From the first
   * chunk on the stream is the caller's: nothing is retried midway, and a failure then is thrown from the
   * chunks as a StreamInterruptedError. The response_format is checked once the stream has ended (no
   * re-prompt: its pieces are already out).
   */
  stream(
    route: ModelRoute,
    request: ChatCompletionRequest,
    options: CompletionOptions = {},
  ): Promise<ProviderStream> {
    return this.overRoutes(route, options, async (next, deadline) => {
      for (let attempt = 1; ; attempt++) {
        const opened = await this.retried(next, attempt, deadline, options, () =>
          this.openStream(next, request, deadline, options.signal),
        );
        if (opened) {
          return new ProviderStream(next, request, opened, attempt, this.structured, (usage) =>
            this.metrics.costUsd(next, usage),
          );
        }
      }
    });
  }

  /**
   * One stream attempt, through the breaker until its first chunk. Its upstream signal is aborted by the
   * caller's signal for the stream's whole life, and by the first-chunk timeout only until that chunk.
   */
  private async openStream(
    route: ModelRoute,
    request: ChatCompletionRequest,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<OpenedStream> {
    const upstream = new AbortController();
    const abort = (): void => upstream.abort();
    signal?.addEventListener('abort', abort, { once: true });
    const release = (): void => signal?.removeEventListener('abort', abort);
    const budget = Math.max(1, Math.min(this.config.resilience.llmTimeoutMs, deadline - Date.now()));
    const timer = setTimeout(abort, budget);
    const measure = this.metrics.streamAttempt(route);
    const iterator = chunksOf(route, { ...request, model: route.model }, upstream.signal)[
      Symbol.asyncIterator
    ]();
    try {
      // The attempt's span covers the call up to its first chunk: what can fail, retry or fall back.
      const attributes = {
        [ATTR.genAiOperation]: 'chat',
        [ATTR.genAiSystem]: route.provider,
        [ATTR.genAiRequestModel]: route.model,
      };
      const first = await this.tracing.span(`chat ${route.model}`, SpanKind.CLIENT, attributes, () =>
        this.breakers.fire(route.provider, async () => {
          const next = await iterator.next();
          if (next.done) {
            throw new ProviderError(
              'transient',
              `${route.provider}: the stream ended before its first chunk`,
            );
          }
          return next.value;
        }),
      );
      measure.opened();
      return { iterator, first, measure, release };
    } catch (error) {
      measure.failed(error);
      release();
      await iterator.return?.().catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One attempt and nothing more (no retry, fallback or schema check), as a provider test makes it. It
   * goes through the breaker and the metrics like any attempt, so a test counts toward the provider's
   * health as a real call would.
   */
  async once(route: ModelRoute, request: ChatCompletionRequest): Promise<ChatCompletion> {
    try {
      const priced = await this.attemptCompletion(
        route,
        request,
        Date.now() + this.config.resilience.llmTimeoutMs,
      );
      return priced.answer;
    } catch (error) {
      if (isBreakerRejection(error)) throw this.circuitOpen(route);
      if (!(error instanceof ProviderError)) throw error;
      const [code, verb] = error.retryable
        ? (['PROVIDER_UNAVAILABLE', 'is unavailable'] as const)
        : (['PROVIDER_ERROR', 'rejected the request'] as const);
      throw new GatewayError(code, `provider "${route.provider}" ${verb}: ${error.message}`, {
        cause: error,
      });
    }
  }

  /** Runs `call` on the route and then on each fallback while the one before is unavailable. */
  private async overRoutes<T>(
    route: ModelRoute,
    options: CompletionOptions,
    call: (route: ModelRoute, deadline: number) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + this.config.resilience.requestTimeoutMs;
    const routes = [route, ...(options.fallbacks ?? [])];
    for (let index = 0; ; index++) {
      try {
        return await call(routes[index], deadline);
      } catch (error) {
        const unavailable = error instanceof GatewayError && error.code === 'PROVIDER_UNAVAILABLE';
        if (!unavailable || index === routes.length - 1 || options.signal?.aborted) throw error;
      }
    }
  }

  private async completeOn(
    route: ModelRoute,
    request: ChatCompletionRequest,
    deadline: number,
    options: CompletionOptions,
  ): Promise<ProviderAnswer> {
    const { retryMaxAttempts } = this.config.resilience;
    let messages: ChatMessage[] = request.messages;
    let costUsd = 0;
    for (let attempt = 1; ; attempt++) {
      const priced = await this.retried(route, attempt, deadline, options, () =>
        this.attemptCompletion(route, { ...request, messages }, deadline, options.signal),
      );
      if (!priced) continue;
      const completion = priced.answer;
      costUsd += priced.costUsd;
      const content = completion.choices[0]?.message.content ?? null;
      const check = this.structured.check(request.response_format, content);
      if (check.ok) {
        const model = `${route.provider}/${route.model}`;
        return {
          completion: { ...completion, model },
          provider: route.provider,
          model: route.model,
          costUsd,
          attempts: attempt,
        };
      }
      this.metrics.invalidOutput(route);
      if (attempt >= retryMaxAttempts || Date.now() >= deadline) {
        throw new GatewayError(
          'PROVIDER_ERROR',
          `provider "${route.provider}" answered ${attempt} time(s) without matching response_format: ${check.problem}`,
        );
      }
      messages = [
        ...messages,
        { role: 'assistant', content },
        {
          role: 'user',
          content: `Your answer was invalid: ${check.problem}. Reply again with only JSON that satisfies the required format.`,
        },
      ];
    }
  }

  private async embedOn(
    route: ModelRoute,
    request: EmbeddingRequest,
    deadline: number,
    options: CompletionOptions,
  ): Promise<EmbeddingAnswer> {
    const { adapter } = route;
    if (!adapter.embed) {
      throw GatewayError.invalid('model', `model: provider "${route.provider}" does not support embeddings`);
    }
    const embed = adapter.embed.bind(adapter);
    for (let attempt = 1; ; attempt++) {
      const priced = await this.retried(route, attempt, deadline, options, () =>
        this.attempt(
          route,
          deadline,
          options.signal,
          (signal) => embed({ ...request, model: route.model }, signal),
          (embeddings) => ({ ...embeddings.usage, completion_tokens: 0 }),
          'embeddings',
        ),
      );
      if (!priced) continue;
      return {
        embeddings: { ...priced.answer, model: `${route.provider}/${route.model}` },
        provider: route.provider,
        model: route.model,
        costUsd: priced.costUsd,
        attempts: attempt,
      };
    }
  }

  /**
   * One attempt of the loop, refused while the provider's circuit is open and held by `beforeAttempt`.
   * A transient failure backs off and gives undefined (try again); a permanent one, or one with no
   * attempt or time left, is thrown as PROVIDER_ERROR or PROVIDER_UNAVAILABLE. Each retry is a log line
   * (provider, model, attempt, reason, delay_ms), and so is the last transient failure.
   */
  private async retried<T>(
    route: ModelRoute,
    attempt: number,
    deadline: number,
    { signal, beforeAttempt }: CompletionOptions,
    call: () => Promise<T>,
  ): Promise<T | undefined> {
    const { retryMaxAttempts, retryBaseDelayMs } = this.config.resilience;
    if (this.breakers.state(route.provider) === 'open') throw this.circuitOpen(route);
    await beforeAttempt?.(route.provider);
    try {
      return await call();
    } catch (error) {
      if (isBreakerRejection(error)) throw this.circuitOpen(route);
      if (!(error instanceof ProviderError) || signal?.aborted) throw error;
      if (!error.retryable) {
        throw new GatewayError(
          'PROVIDER_ERROR',
          `provider "${route.provider}" rejected the request: ${error.message}`,
          { cause: error },
        );
      }
      const delay = backoffDelayMs(attempt, retryBaseDelayMs, error.options.retryAfterMs);
      const line = { provider: route.provider, model: route.model, attempt, reason: error.message };
      if (attempt >= retryMaxAttempts || Date.now() + delay >= deadline) {
        this.logger.warn(line, 'provider attempt failed: no attempt or time left');
        throw new GatewayError(
          'PROVIDER_UNAVAILABLE',
          `provider "${route.provider}" is unavailable after ${attempt} attempt(s): ${error.message}`,
          { retryAfterSeconds: seconds(error.options.retryAfterMs ?? retryBaseDelayMs), cause: error },
        );
      }
      this.logger.warn({ ...line, delay_ms: delay }, 'provider attempt failed: retrying');
      await sleep(delay, undefined, { signal });
      return undefined;
    }
  }

  private attemptCompletion(
    route: ModelRoute,
    request: ChatCompletionRequest,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<Priced<ChatCompletion>> {
    return this.attempt(
      route,
      deadline,
      signal,
      (attemptSignal) => route.adapter.complete({ ...request, model: route.model }, attemptSignal),
      (completion) => completion.usage,
    );
  }

  /**
   * One call through the breaker, timed out by LLM_TIMEOUT_SECONDS or the request's deadline, whichever is
   * first; a client span with the GenAI conventions' attributes (an error status when it fails).
   */
  private attempt<T>(
    route: ModelRoute,
    deadline: number,
    signal: AbortSignal | undefined,
    call: (signal: AbortSignal) => Promise<T>,
    usageOf: (answer: T) => ChatCompletionUsage,
    operation: 'chat' | 'embeddings' = 'chat',
  ): Promise<Priced<T>> {
    const budget = Math.max(1, Math.min(this.config.resilience.llmTimeoutMs, deadline - Date.now()));
    const timeout = AbortSignal.timeout(budget);
    const attributes = {
      [ATTR.genAiOperation]: operation,
      [ATTR.genAiSystem]: route.provider,
      [ATTR.genAiRequestModel]: route.model,
    };
    return this.tracing.span(`${operation} ${route.model}`, SpanKind.CLIENT, attributes, async (span) => {
      const priced = await this.metrics.measure(
        route,
        () =>
          this.breakers.fire(route.provider, () =>
            call(signal ? AbortSignal.any([timeout, signal]) : timeout),
          ),
        usageOf,
      );
      if (span) {
        const usage = usageOf(priced.answer);
        span.setAttributes({
          [ATTR.genAiResponseModel]: responseModelOf(priced.answer) ?? route.model,
          [ATTR.genAiInputTokens]: usage.prompt_tokens,
          [ATTR.genAiOutputTokens]: usage.completion_tokens,
        });
      }
      return priced;
    });
  }

  private circuitOpen(route: ModelRoute): CircuitOpenError {
    return this.breakers.openError(route.provider);
  }
}

/** The adapter's stream, or its whole answer as chunks for an adapter that answers only whole. */
function chunksOf(
  route: ModelRoute,
  request: ChatCompletionRequest,
  signal: AbortSignal,
): AsyncIterable<ChatCompletionChunk> {
  const { adapter } = route;
  if (adapter.stream) return adapter.stream(request, signal);
  return (async function* whole() {
    yield* completionChunks(await adapter.complete(request, signal), { usage: true });
  })();
}

/** The model a provider says answered (`model` of a completion or an embeddings list), if it says one. */
function responseModelOf(answer: unknown): string | undefined {
  const model = (answer as { model?: unknown } | null)?.model;
  return typeof model === 'string' ? model : undefined;
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
