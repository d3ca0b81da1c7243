import { createHash } from 'node:crypto';
import { ChatCompletion, ChatCompletionRequest } from '@breakwater/contracts';

/** One provider exchange as RECORD_DIR holds it, in `<hash>.json`. */
export interface ExchangeRecord {
  hash: string;
  provider: string;
  model: string;
  /** The canonical request that was hashed: `model` is `provider/model`, and no key or header is in it. */
  request: Record<string, unknown>;
  answer: ChatCompletion;
  latency_ms: number;
  recorded_at: string;
}

/** Request fields that never shape an answer: `user` tracks abuse, `stream` is how it is delivered. */
const NOT_SHAPING = new Set(['stream', 'user']);

export const HASH_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The request as a provider receives it, under its full `provider/model` name and without the fields
 * that cannot change the answer. A `replay/openai/gpt-4o-mini` request and an `openai/gpt-4o-mini` one
 * become the same canonical request, which is what lets a replay find its recording.
 */
export function canonicalExchangeRequest(
  provider: string,
  model: string,
  request: ChatCompletionRequest,
): Record<string, unknown> {
  const shaping = Object.entries(request).filter(([name]) => !NOT_SHAPING.has(name));
  return { ...Object.fromEntries(shaping), model: `${provider}/${model}` };
}

/** sha256 of the canonical request's JSON with object keys sorted at every depth, in hex. */
export function exchangeHash(canonical: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(canonical, sortedKeys)).digest('hex');
}

/** Key order is not meaning in JSON, so two spellings of one request share a recording. */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A recorded file's answer, or why it cannot be one. Files in RECORD_DIR may have been edited by hand or
 * copied from elsewhere, so the shape is checked before the gateway serves it as a completion.
 */
export function recordedAnswer(text: string, hash: string): ChatCompletion | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'it is not JSON';
  }
  const record = parsed as Partial<ExchangeRecord> | null;
  if (record === null || typeof record !== 'object') return 'it is not a JSON object';
  if (record.hash !== hash) return `its hash is not ${hash}`;
  const answer = record.answer as Partial<ChatCompletion> | undefined;
  const usage = answer?.usage;
  const choices = answer?.choices;
  if (!Array.isArray(choices) || choices.length === 0 || typeof choices[0]?.message !== 'object') {
    return 'its answer has no choices';
  }
  if (!usage || typeof usage.prompt_tokens !== 'number' || typeof usage.completion_tokens !== 'number') {
    return 'its answer has no usage';
  }
  return answer as ChatCompletion;
}
