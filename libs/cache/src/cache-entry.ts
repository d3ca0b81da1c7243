import { ChatCompletion, ProviderId, isProviderId } from '@breakwater/contracts';
import { ProviderAnswer } from '@breakwater/llm-provider';

/** A stored answer. Times are epoch milliseconds: fresh until `expiresAt`, then stale-capable for the stale window. */
export interface CacheEntry {
  completion: ChatCompletion;
  provider: ProviderId;
  model: string;
  /** What the original call cost: what each hit saves. */
  costUsd: number;
  storedAt: number;
  expiresAt: number;
}

export function entryOf(answer: ProviderAnswer, ttlSeconds: number, now = Date.now()): CacheEntry {
  return {
    completion: answer.completion,
    provider: answer.provider,
    model: answer.model,
    costUsd: answer.costUsd,
    storedAt: now,
    expiresAt: now + ttlSeconds * 1000,
  };
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
  const entry = value as Partial<CacheEntry>;
  const completion = entry.completion as Partial<ChatCompletion> | undefined;
  const wellFormed =
    typeof completion === 'object' &&
    completion !== null &&
    Array.isArray(completion.choices) &&
    typeof entry.provider === 'string' &&
    isProviderId(entry.provider) &&
    typeof entry.model === 'string' &&
    typeof entry.costUsd === 'number' &&
    typeof entry.storedAt === 'number' &&
    typeof entry.expiresAt === 'number';
  return wellFormed ? (entry as CacheEntry) : undefined;
}

/**
 * A hit as the request path sees it: the stored completion (its original `id` kept), no cost, and
 * `attempts: 0`, which marks an answer no provider was called for.
 */
export function answerOf(entry: CacheEntry): ProviderAnswer {
  return {
    completion: { ...entry.completion },
    provider: entry.provider,
    model: entry.model,
    costUsd: 0,
    attempts: 0,
  };
}
