import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import {
  Caller,
  ChatCompletionRequest,
  EmbeddingRequest,
  GatewayError,
  ProviderId,
} from '@breakwater/contracts';
import { EmbeddingAnswer, ProviderAnswer, StructuredOutput } from '@breakwater/llm-provider';
import { Metrics, SpanKind, Tracing } from '@breakwater/observability';
import { RedisConnections } from '@breakwater/redis';
import { CacheBus, CacheEvent } from './cache-bus';
import { CacheDirectives } from './cache-directives';
import {
  AnswerKind,
  AnsweredBy,
  CHAT_ANSWERS,
  CacheEntry,
  EMBEDDING_ANSWERS,
  encodeEntry,
} from './cache-entry';
import { CACHE_KEY_PREFIX, namespacePrefixOf } from './cache-key';
import { CachePlan, CacheStatus, planCache, planEmbeddingsCache, plannedStatusOf } from './cache-plan';
import { CacheSelection, CacheSelector, selectionOf } from './cache-selector';
import { FirstTier } from './first-tier';
import { SecondTier } from './second-tier';
import { SingleFlight } from './single-flight';

const LOCK_TTL_MS = 3000;
const POLL_MS = 50;

export interface CachedResult<A extends AnsweredBy = ProviderAnswer> {
  answer: A;
  status: CacheStatus;
}

type ReadablePlan = CachePlan & { key: string };

/**
 * The response cache around the provider step: an in-process LRU in front of Redis, single flight for
 * identical misses, stale answers while a provider is unavailable, and invalidation of every replica.
 * Every entry is written with Redis `PX` = TTL + stale window and kept in the first tier no longer than
 * that; it answers as a HIT until its TTL, and as STALE after it only when its provider is unavailable.
 * Redis trouble never fails a request: the first tier carries on alone.
 *
 * Chat completions and embeddings share all of it (tiers, size cap, single flight, invalidation); an
 * AnswerKind says how each goes into an entry and back, and an entry answers only a request of its kind.
 */
@Injectable()
export class ResponseCache implements OnModuleInit, OnApplicationShutdown {
  private readonly firstTier: FirstTier;
  private readonly secondTier: SecondTier;
  private readonly bus: CacheBus;
  private readonly flights: SingleFlight;
  private readonly staleMs: number;

  constructor(
    private readonly config: AppConfig,
    private readonly connections: RedisConnections,
    private readonly metrics: Metrics,
    private readonly structured: StructuredOutput,
    private readonly tracing: Tracing,
  ) {
    this.staleMs = config.cache.staleIfErrorSeconds * 1000;
    this.firstTier = new FirstTier(config.cache.l1MaxEntries, config.cache.l1MaxBytes);
    this.secondTier = new SecondTier(connections);
    this.bus = new CacheBus({
      event: (event, fromHere) => this.onEvent(event, fromHere),
      // Invalidations published while this replica was not listening are lost: its first tier cannot be trusted.
      resubscribed: () => this.firstTier.clear(),
    });
    this.flights = new SingleFlight(this.secondTier, this.bus, {
      lockTtlMs: LOCK_TTL_MS,
      // A live holder's call ends within REQUEST_TIMEOUT_SECONDS; waiting longer would only wait for a dead one.
      maxWaitMs: config.resilience.requestTimeoutMs,
      pollMs: POLL_MS,
    });
  }

  onModuleInit(): void {
    this.bus.start(this.connections.open({ lazyConnect: true, connectionName: 'breakwater-cache-events' }));
  }

  onApplicationShutdown(): void {
    this.bus.stop();
  }

  /** Decides from the caller's policy and the directives; `route` is the resolved provider/model. Pure and cheap. */
  plan(
    caller: Caller,
    request: ChatCompletionRequest,
    route: { provider: ProviderId; model: string },
    directives: CacheDirectives,
  ): CachePlan {
    return planCache(caller, request, route, directives, { ttlSeconds: this.config.cache.ttlSeconds });
  }

  /** `plan` for an embeddings request: the same policy, under an embeddings key. */
  planEmbeddings(
    caller: Caller,
    request: EmbeddingRequest,
    route: { provider: ProviderId; model: string },
    directives: CacheDirectives,
  ): CachePlan {
    return planEmbeddingsCache(caller, request, route, directives, {
      ttlSeconds: this.config.cache.ttlSeconds,
    });
  }

  /**
   * The whole cache step around a provider call: read (first tier, then Redis), single-flight the miss
   * when the plan shares, store the answer, and answer a stale entry when `produce` finds the provider
   * unavailable. Throws only what `produce` throws.
   */
  through(plan: CachePlan, produce: () => Promise<ProviderAnswer>): Promise<CachedResult> {
    return this.throughAs(CHAT_ANSWERS, plan, produce);
  }

  /** `through` for embeddings: float vectors are stored; the request's encoding is applied to each answer. */
  embeddingsThrough(
    plan: CachePlan,
    produce: () => Promise<EmbeddingAnswer>,
  ): Promise<CachedResult<EmbeddingAnswer>> {
    return this.throughAs(EMBEDDING_ANSWERS, plan, produce);
  }

  private async throughAs<A extends AnsweredBy>(
    kind: AnswerKind<A>,
    plan: CachePlan,
    produce: () => Promise<A>,
  ): Promise<CachedResult<A>> {
    let status = plannedStatusOf(plan);
    try {
      if (!plan.read || plan.key === undefined) {
        const answer = await produce();
        await this.write(kind, plan, answer);
        return { answer, status };
      }
      return await this.read(kind, { ...plan, key: plan.key }, produce, (result) => (status = result));
    } finally {
      this.metrics.cacheRequests.inc({ result: status.toLowerCase() });
    }
  }

  /**
   * Deletes entries: one key, a namespace, or all (SCAN and UNLINK in batches), and clears the first tier
   * of every replica through pub/sub. Returns how many Redis entries were deleted, or how many first-tier
   * entries when Redis is down (other replicas then keep theirs until they expire).
   */
  async invalidate(selector: CacheSelector): Promise<number> {
    const selection = selectionOf(selector);
    const deleted =
      selection.kind === 'key'
        ? await this.secondTier.unlink(selection.key)
        : await this.secondTier.unlinkPrefix(selection.prefix);
    const event = eventOf(selection);
    if (deleted !== undefined) await this.secondTier.publish(this.bus.message(event));
    const local = this.clearFirstTier(event);
    return deleted ?? local;
  }

  private async read<A extends AnsweredBy>(
    kind: AnswerKind<A>,
    plan: ReadablePlan,
    produce: () => Promise<A>,
    report: (status: CacheStatus) => void,
  ): Promise<CachedResult<A>> {
    const usable = (entry: CacheEntry) => this.usable(kind, plan, entry);
    const { fresh, stale } = await this.tracing.span('cache lookup', SpanKind.INTERNAL, {}, () =>
      this.lookup(plan, usable),
    );
    const freshAnswer = fresh && kind.answerOf(fresh);
    if (fresh && freshAnswer) return this.hit(fresh, freshAnswer, report);
    try {
      if (!plan.shared) {
        const answer = await produce();
        await this.write(kind, plan, answer);
        return { answer, status: 'MISS' };
      }
      const outcome = await this.flights.run({
        key: plan.key,
        kind,
        usable,
        produce,
        commit: (answer, lockToken) => this.write(kind, plan, answer, lockToken),
      });
      if (outcome.produced) return { answer: outcome.answer, status: 'MISS' };
      return this.hit(outcome.entry, outcome.answer, report);
    } catch (error) {
      const unavailable = error instanceof GatewayError && error.code === 'PROVIDER_UNAVAILABLE';
      const staleAnswer = stale && this.staleCapable(stale) ? kind.answerOf(stale) : undefined;
      if (!unavailable || !staleAnswer) throw error;
      report('STALE');
      return { answer: staleAnswer, status: 'STALE' };
    }
  }

  private hit<A extends AnsweredBy>(
    entry: CacheEntry,
    answer: A,
    report: (status: CacheStatus) => void,
  ): CachedResult<A> {
    report('HIT');
    const model = this.metrics.modelLabel(entry.provider, entry.model);
    this.metrics.cacheSavedCost.inc({ provider: entry.provider, model }, entry.costUsd);
    return { answer, status: 'HIT' };
  }

  /** A fresh entry for the plan if there is one, else a stale-capable one if there is one. */
  private async lookup(
    plan: ReadablePlan,
    usable: (entry: CacheEntry) => boolean,
  ): Promise<{ fresh?: CacheEntry; stale?: CacheEntry }> {
    const now = Date.now();
    const local = this.firstTier.get(plan.key);
    if (local && local.expiresAt > now && usable(local)) return { fresh: local };
    let stale = local && this.staleCapable(local, now) && usable(local) ? local : undefined;
    const epoch = this.firstTier.epoch;
    const stored = await this.secondTier.get(plan.key);
    if (!stored || !usable(stored.entry)) return { stale };
    const remote = stored.entry;
    if (remote.expiresAt > now) {
      this.firstTier.fill(epoch, plan.key, remote, this.retainedUntil(remote) - Date.now(), stored.bytes);
      return { fresh: remote };
    }
    if (this.staleCapable(remote, now) && (!stale || remote.storedAt > stale.storedAt)) stale = remote;
    return { stale };
  }

  /**
   * Only successful answers reach here (errors are thrown past it), and only answers of the planned
   * provider and model are kept: a fallback model's answer is not the answer to this request's key.
   * An answer larger than CACHE_MAX_ENTRY_BYTES serialised is not kept either.
   */
  private async write<A extends AnsweredBy>(
    kind: AnswerKind<A>,
    plan: CachePlan,
    answer: A | undefined,
    lockToken?: string,
  ): Promise<void> {
    if (plan.key === undefined) return;
    const storable =
      answer !== undefined && plan.write && answer.provider === plan.provider && answer.model === plan.model;
    const entry = storable ? kind.entryOf(answer, plan.ttlSeconds) : undefined;
    const value = entry ? encodeEntry(entry) : '';
    if (!entry || value.length > this.config.cache.maxEntryBytes) {
      if (lockToken) await this.secondTier.commit(plan.key, '', 0, lockToken, this.filled(plan.key, 0));
      return;
    }
    const retainMs = this.retainedUntil(entry) - entry.storedAt;
    this.firstTier.set(plan.key, entry, retainMs, value.length);
    const event = this.filled(plan.key, entry.storedAt);
    if (lockToken) await this.secondTier.commit(plan.key, value, retainMs, lockToken, event);
    else await this.secondTier.set(plan.key, value, retainMs, event);
  }

  /**
   * An entry under a caller's own `x-cache-key` may have been written for another kind or format: it
   * answers only a request of its kind, and only if it passes the check a fresh answer passes (the same
   * bounded validators, RE2 patterns included).
   */
  private usable<A extends AnsweredBy>(kind: AnswerKind<A>, plan: CachePlan, entry: CacheEntry): boolean {
    if (kind.answerOf(entry) === undefined) return false;
    if (!plan.responseFormat || !('completion' in entry)) return true;
    const content = entry.completion.choices[0]?.message.content ?? null;
    try {
      return this.structured.check(plan.responseFormat, content).ok;
    } catch {
      // The provider step refuses such a schema with a 400 before the cache is asked; never a hit.
      return false;
    }
  }

  private staleCapable(entry: CacheEntry, now = Date.now()): boolean {
    return this.staleMs > 0 && now < this.retainedUntil(entry);
  }

  private retainedUntil(entry: CacheEntry): number {
    return entry.expiresAt + this.staleMs;
  }

  private filled(key: string, storedAt: number): string {
    return this.bus.message({ kind: 'filled', key, storedAt });
  }

  private onEvent(event: CacheEvent, fromHere: boolean): void {
    if (fromHere) return;
    if (event.kind === 'filled') this.firstTier.dropOlderThan(event.key, event.storedAt);
    else this.clearFirstTier(event);
  }

  private clearFirstTier(event: CacheEvent): number {
    switch (event.kind) {
      case 'filled':
      case 'evict':
        return this.firstTier.delete(event.key);
      case 'namespace':
        return this.firstTier.deletePrefix(namespacePrefixOf(event.namespace));
      case 'all':
        return this.firstTier.deletePrefix(CACHE_KEY_PREFIX);
    }
  }
}

function eventOf(selection: CacheSelection): CacheEvent {
  switch (selection.kind) {
    case 'key':
      return { kind: 'evict', key: selection.key };
    case 'namespace':
      return { kind: 'namespace', namespace: selection.namespace };
    case 'all':
      return { kind: 'all' };
  }
}
