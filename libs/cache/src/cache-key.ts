import { createHash } from 'node:crypto';
import {
  ChatCompletionRequest,
  ChatMessage,
  EmbeddingRequest,
  JsonSchemaFormat,
  ResponseFormat,
  embeddingInputs,
} from '@breakwater/contracts';

/** The format version of keys and entries: bump it when either changes shape, and old entries simply miss. */
export const CACHE_KEY_PREFIX = 'bw:cache:v1:';

/** A caller namespace, as the callers file allows it (no `:` and no glob characters, so prefixes never overlap). */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** A full entry key: `bw:cache:v1:<namespace>:<sha256 hex>`. */
export const FULL_KEY_PATTERN = /^bw:cache:v1:([A-Za-z0-9_.-]{1,64}):([0-9a-f]{64})$/;

/** Top-level request fields that never reach a provider's generation (`user` is abuse tracking; streamed or not, the answer is the same). */
const NOT_SHAPING = new Set(['model', 'stream', 'stream_options', 'user']);

/** Fields given their provider default below; every other top-level field is hashed as sent. */
const DEFAULTED = new Set([
  'messages',
  'temperature',
  'top_p',
  'n',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'response_format',
  'tools',
  'tool_choice',
]);

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The key of an answer to `request` on `provider/model`, inside `namespace`. */
export function cacheKeyOf(
  namespace: string,
  provider: string,
  model: string,
  request: ChatCompletionRequest,
): string {
  return `${CACHE_KEY_PREFIX}${namespace}:${sha256Hex(canonicalRequest(provider, model, request))}`;
}

/** The key of embeddings of `request`'s inputs on `provider/model`, inside `namespace`. */
export function embeddingsCacheKeyOf(
  namespace: string,
  provider: string,
  model: string,
  request: EmbeddingRequest,
): string {
  return `${CACHE_KEY_PREFIX}${namespace}:${sha256Hex(canonicalEmbeddingRequest(provider, model, request))}`;
}

/** The key of a caller's own `x-cache-key`: hashed, so any text is a safe key, and still inside the namespace. */
export function customCacheKeyOf(namespace: string, customKey: string): string {
  return `${CACHE_KEY_PREFIX}${namespace}:${sha256Hex(customKey)}`;
}

export function namespacePrefixOf(namespace: string): string {
  return `${CACHE_KEY_PREFIX}${namespace}:`;
}

/**
 * The canonical serialisation behind a key. Two requests that must get the same answer must serialise
 * identically, so: object keys are sorted at every depth (JSON key order is not meaning), `undefined`
 * is dropped, and every generation parameter is written out with the value a provider assumes when it
 * is absent (temperature 1, n 1, no stop, text format, tool_choice auto with tools and none without).
 * Parameters Breakwater does not know are hashed as sent rather than ignored: a parameter that might
 * shape the answer may only ever cost a hit, never serve a wrong one. The provider and model are the
 * resolved route, so a bare model name and its `provider/model` spelling share entries.
 */
export function canonicalRequest(provider: string, model: string, request: ChatCompletionRequest): string {
  const tools = request.tools && request.tools.length > 0 ? request.tools : null;
  const canonical: Record<string, unknown> = {
    provider,
    model,
    messages: request.messages.map(canonicalMessage),
    temperature: request.temperature ?? 1,
    top_p: request.top_p ?? 1,
    n: request.n ?? 1,
    max_tokens: maxTokensOf(request),
    stop: stopOf(request.stop),
    presence_penalty: request.presence_penalty ?? 0,
    frequency_penalty: request.frequency_penalty ?? 0,
    seed: request.seed ?? null,
    response_format: responseFormatOf(request.response_format),
    tools,
    tool_choice: request.tool_choice ?? (tools ? 'auto' : 'none'),
  };
  for (const [name, value] of Object.entries(request)) {
    if (value !== undefined && !NOT_SHAPING.has(name) && !DEFAULTED.has(name)) canonical[`x_${name}`] = value;
  }
  return canonicalJson(canonical);
}

/** Embedding request fields that never change the vectors (the encoding is applied to each answer). */
const NOT_SHAPING_EMBEDDINGS = new Set(['model', 'input', 'dimensions', 'encoding_format', 'user']);

/**
 * The canonical serialisation behind an embeddings key, by the same rules as `canonicalRequest`. Its
 * `kind` member is what keeps it apart from every chat request's: a chat request's unknown fields are
 * written as `x_<name>`, so no chat serialisation holds a `kind`, and the two can never share a key.
 * One text and a list of that one text are the same request (the answer is one vector at index 0).
 */
export function canonicalEmbeddingRequest(
  provider: string,
  model: string,
  request: EmbeddingRequest,
): string {
  const canonical: Record<string, unknown> = {
    kind: 'embeddings',
    provider,
    model,
    input: embeddingInputs(request),
    dimensions: request.dimensions ?? null,
  };
  for (const [name, value] of Object.entries(request)) {
    if (value !== undefined && !NOT_SHAPING_EMBEDDINGS.has(name)) canonical[`x_${name}`] = value;
  }
  return canonicalJson(canonical);
}

/** A value still to write, or text to write as it is (brackets, commas, member names). */
type Pending = { value: unknown } | { text: string };

/**
 * JSON with object keys sorted at every depth and `undefined` members dropped. Written with a work
 * stack instead of recursion: the request is the caller's, and its depth must never decide whether the
 * key can be computed (bodies are bounded by MAX_JSON_DEPTH at parse; this holds without that bound).
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const pending: Pending[] = [{ value }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if ('text' in next) {
      out.push(next.text);
      continue;
    }
    const current = next.value;
    if (current === null || typeof current !== 'object') {
      out.push(current === undefined ? 'null' : JSON.stringify(current));
    } else if (Array.isArray(current)) {
      out.push('[');
      pending.push({ text: ']' });
      for (let index = current.length - 1; index >= 0; index--) {
        pending.push({ value: current[index] });
        if (index > 0) pending.push({ text: ',' });
      }
    } else {
      const record = current as Record<string, unknown>;
      const names = Object.keys(record)
        .filter((name) => record[name] !== undefined)
        .sort();
      out.push('{');
      pending.push({ text: '}' });
      for (let index = names.length - 1; index >= 0; index--) {
        pending.push({ value: record[names[index]] });
        pending.push({ text: `${index > 0 ? ',' : ''}${JSON.stringify(names[index])}:` });
      }
    }
  }
  return out.join('');
}

function canonicalMessage(message: ChatMessage): ChatMessage {
  // A tool-call turn's null content and an absent one mean the same to every provider.
  return message.content === undefined ? { ...message, content: null } : message;
}

/** `max_completion_tokens` is OpenAI's newer name for `max_tokens`: one limit, whichever was sent. */
function maxTokensOf(request: ChatCompletionRequest): unknown {
  const { max_tokens: legacy, max_completion_tokens: current } = request;
  if (legacy !== undefined && current !== undefined && legacy !== current) return { legacy, current };
  return current ?? legacy ?? null;
}

/** No stop: absent, `null` (OpenAI's "absent"), or an empty list. */
function stopOf(stop: string | string[] | null | undefined): string[] | null {
  if (stop === undefined || stop === null) return null;
  const list = typeof stop === 'string' ? [stop] : stop;
  return list.length > 0 ? list : null;
}

function responseFormatOf(format: ResponseFormat | undefined): unknown {
  if (!format || format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json_object' };
  const spec: Partial<JsonSchemaFormat> = format.json_schema ?? {};
  const { name, description, schema, strict } = spec;
  return {
    type: 'json_schema',
    json_schema: {
      name: name ?? null,
      description: description ?? null,
      schema: schema ?? null,
      strict: strict ?? false,
    },
  };
}
