import { ChatCompletion, EmbeddingList, ProviderId, isProviderId } from '@breakwater/contracts';
import { EmbeddingAnswer, ProviderAnswer } from '@breakwater/llm-provider';

/** Who answered and what it cost: what every answer the cache holds carries besides its body. */
export interface AnsweredBy {
  provider: ProviderId;
  model: string;
  costUsd: number;
  attempts: number;
}

/** Times are epoch milliseconds: fresh until `expiresAt`, then stale-capable for the stale window. */
interface EntryFacts {
  provider: ProviderId;
  model: string;
  /** What the original call cost: what each hit saves. */
  costUsd: number;
  storedAt: number;
  expiresAt: number;
}

export interface ChatEntry extends EntryFacts {
  completion: ChatCompletion;
}

/** Float vectors, whatever encoding the request that stored them asked for (it is applied per answer). */
export interface EmbeddingsEntry extends EntryFacts {
  embeddings: EmbeddingList;
}

/** A stored answer: a chat completion or an embedding list, told apart by which of the two it holds. */
export type CacheEntry = ChatEntry | EmbeddingsEntry;

/**
 * How one kind of answer goes into an entry and comes back out as a hit. `answerOf` is undefined for an
 * entry of another kind: keys are distinct per kind, but a caller's own `x-cache-key` is not, and a chat
 * entry must never answer an embeddings request (or the other way round).
 */
export interface AnswerKind<A extends AnsweredBy> {
  entryOf(answer: A, ttlSeconds: number, now?: number): CacheEntry;
  /** A hit: the stored body, no cost, and `attempts: 0`, which marks an answer no provider was called for. */
  answerOf(entry: CacheEntry): A | undefined;
}

export const CHAT_ANSWERS: AnswerKind<ProviderAnswer> = {
  entryOf: (answer, ttlSeconds, now = Date.now()) => ({
    completion: answer.completion,
    ...factsOf(answer, ttlSeconds, now),
  }),
  answerOf: (entry) =>
    'completion' in entry ? { completion: { ...entry.completion }, ...hitOf(entry) } : undefined,
};

export const EMBEDDING_ANSWERS: AnswerKind<EmbeddingAnswer> = {
  entryOf: (answer, ttlSeconds, now = Date.now()) => ({
    embeddings: answer.embeddings,
    ...factsOf(answer, ttlSeconds, now),
  }),
  answerOf: (entry) =>
    'embeddings' in entry ? { embeddings: { ...entry.embeddings }, ...hitOf(entry) } : undefined,
};

function factsOf(answer: AnsweredBy, ttlSeconds: number, now: number): EntryFacts {
  return {
    provider: answer.provider,
    model: answer.model,
    costUsd: answer.costUsd,
    storedAt: now,
    expiresAt: now + ttlSeconds * 1000,
  };
}

function hitOf(entry: CacheEntry): AnsweredBy {
  return { provider: entry.provider, model: entry.model, costUsd: 0, attempts: 0 };
}

/** Compact JSON, the Redis value. */
export function encodeEntry(entry: CacheEntry): string {
  return JSON.stringify(entry);
}

/** The entry in a Redis value, or undefined for anything that is not one (a corrupt value is a miss). */
export function decodeEntry(text: string | null): CacheEntry | undefined {
  if (text === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = value as Partial<ChatEntry & EmbeddingsEntry>;
  // Exactly one body: a value holding both (or neither) is no entry either kind could trust.
  const body =
    entry.embeddings === undefined
      ? isRecord(entry.completion) && Array.isArray(entry.completion.choices)
      : entry.completion === undefined && isRecord(entry.embeddings) && Array.isArray(entry.embeddings.data);
  const wellFormed =
    body &&
    typeof entry.provider === 'string' &&
    isProviderId(entry.provider) &&
    typeof entry.model === 'string' &&
    typeof entry.costUsd === 'number' &&
    typeof entry.storedAt === 'number' &&
    typeof entry.expiresAt === 'number';
  return wellFormed ? (entry as CacheEntry) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
