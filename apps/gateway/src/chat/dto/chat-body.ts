import { GatewayError, OPENAI_CHAT_FIELDS } from '@breakwater/contracts';

/** Top-level fields outside OpenAI's reference (vendor extensions) one request may carry. */
export const MAX_EXTRA_FIELDS = 32;
/** Serialised bytes of all of a request's vendor extensions together. */
export const MAX_EXTRA_BYTES = 65_536;
/** A vendor field's name: it may be named back in `x-breakwater-dropped-params` and the log line. */
const EXTRA_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

const KNOWN_FIELDS: ReadonlySet<string> = new Set(OPENAI_CHAT_FIELDS);
/** The objects of a chat body whose members are OpenAI's optional fields (message `content` is not one). */
const MESSAGE_KEPT_NULLS: ReadonlySet<string> = new Set(['content']);

/**
 * A chat body as the gateway works on it, made once before validation so that every later step (the
 * DTO, the fast check, the cache key, the adapters, the queue) sees one spelling:
 *
 * - `null` is "absent" for every optional field, as OpenAI takes it: null members are removed from the
 *   body, its messages (except `content`, where null means a tool-call turn), `response_format` and its
 *   `json_schema`, `stream_options`, and each tool's `function`. Embedded JSON Schemas are left as sent:
 *   there `null` is a value (`const: null`).
 * - Fields outside OpenAI's reference are vendor extensions, passed through to OpenAI-compatible
 *   providers (and hashed into the cache key), so they are bounded here: at most MAX_EXTRA_FIELDS, named
 *   plainly, MAX_EXTRA_BYTES together. Their depth is MAX_JSON_DEPTH's, checked as the body is parsed.
 *   A body over a bound is a 400 naming the field.
 */
export function chatBodyOf(body: Record<string, unknown>): Record<string, unknown> {
  const result = withoutNulls(body);
  const messages: unknown = result.messages;
  if (Array.isArray(messages)) {
    result.messages = messages.map((message: unknown) => withoutNulls(message, MESSAGE_KEPT_NULLS));
  }
  if (isRecord(result.response_format)) {
    const format = withoutNulls(result.response_format);
    if (isRecord(format.json_schema)) format.json_schema = withoutNulls(format.json_schema);
    result.response_format = format;
  }
  if (isRecord(result.stream_options)) result.stream_options = withoutNulls(result.stream_options);
  if (Array.isArray(result.tools)) {
    result.tools = result.tools.map((tool: unknown) => {
      if (!isRecord(tool)) return tool;
      const bare = withoutNulls(tool);
      return isRecord(bare.function) ? { ...bare, function: withoutNulls(bare.function) } : bare;
    });
  }
  checkExtras(result);
  return result;
}

function checkExtras(body: Record<string, unknown>): void {
  const extras = Object.keys(body).filter((field) => !KNOWN_FIELDS.has(field));
  if (extras.length > MAX_EXTRA_FIELDS) {
    throw GatewayError.invalid(
      extras[MAX_EXTRA_FIELDS],
      `the body has ${extras.length} fields outside OpenAI's chat-completions reference; at most ${MAX_EXTRA_FIELDS}`,
    );
  }
  let bytes = 0;
  for (const field of extras) {
    if (!EXTRA_NAME.test(field)) {
      throw GatewayError.invalid(
        'body',
        `unknown field names must be a letter then up to 63 letters, digits or underscores; got ${JSON.stringify(field.slice(0, 64))}`,
      );
    }
    bytes += Buffer.byteLength(JSON.stringify(body[field]));
    if (bytes > MAX_EXTRA_BYTES) {
      throw GatewayError.invalid(
        field,
        `fields outside OpenAI's chat-completions reference take more than ${MAX_EXTRA_BYTES} bytes together`,
      );
    }
  }
}

/** A copy of `value` without its null members (but those in `kept`); anything not an object as it is. */
function withoutNulls<T>(value: T, kept?: ReadonlySet<string>): T;
function withoutNulls(value: unknown, kept?: ReadonlySet<string>): unknown {
  if (!isRecord(value)) return value;
  const entries = Object.entries(value).filter(([name, member]) => member !== null || kept?.has(name));
  // fromEntries defines own properties, so a `__proto__` member stays a member, as JSON.parse made it.
  return Object.fromEntries(entries);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
