import { ChatCompletionRequest } from '@breakwater/contracts';

/** A field a provider takes always (`true`), or only when the rest of the request lets it. */
export type FieldRule = true | ((request: ChatCompletionRequest) => boolean);
/** The top-level request fields a provider has an equivalent for; any other field is dropped. */
export type FieldTable = Readonly<Record<string, FieldRule>>;

/** Fields the gateway itself acts on (routing, the conversation, streaming): never a provider's to drop. */
const GATEWAY_FIELDS: ReadonlySet<string> = new Set(['model', 'messages', 'stream', 'stream_options']);

/** One answer only: a request for `n` > 1 loses the others. */
const oneChoice = (request: ChatCompletionRequest): boolean => request.n === 1;
/** Parallel calls are these providers' default; only turning them off needs an equivalent. */
const parallelAllowed = (request: ChatCompletionRequest): boolean => request.parallel_tool_calls !== false;

/**
 * Anthropic's Messages API. `top_p` goes only without `temperature` (recent Claude models refuse both);
 * `user` becomes `metadata.user_id`; `parallel_tool_calls: false` becomes `disable_parallel_tool_use`.
 */
export const ANTHROPIC_FIELDS: FieldTable = {
  max_tokens: true,
  max_completion_tokens: true,
  temperature: true,
  top_p: (request) => request.temperature === undefined,
  stop: true,
  n: oneChoice,
  tools: true,
  tool_choice: true,
  parallel_tool_calls: true,
  response_format: true,
  user: true,
};

/** Gemini's generateContent: sampling in `config`, `n` as `candidateCount`, tools as function declarations. */
export const GEMINI_FIELDS: FieldTable = {
  max_tokens: true,
  max_completion_tokens: true,
  temperature: true,
  top_p: true,
  stop: true,
  n: true,
  seed: true,
  presence_penalty: true,
  frequency_penalty: true,
  tools: true,
  tool_choice: true,
  parallel_tool_calls: parallelAllowed,
  response_format: true,
};

/**
 * What OpenAI's reasoning models (o1, o3, o4, gpt-5) refuse, per OpenAI's reasoning guide: sampling and
 * token-probability fields. `max_tokens` is refused too, but it has an equivalent: it is sent as
 * `max_completion_tokens`.
 */
export const REASONING_UNSUPPORTED: readonly string[] = [
  'temperature',
  'top_p',
  'presence_penalty',
  'frequency_penalty',
  'logprobs',
  'top_logprobs',
  'logit_bias',
];

/**
 * An OpenAI reasoning model by its bare name (the route's model: `openai/o3-mini`, an alias, or a bare
 * `o3-mini` all arrive as `o3-mini`). The gpt-5 chat models (`gpt-5-chat-latest`) are not reasoning
 * models. A name with a vendor (`openai/o3` on OpenRouter) is not matched: OpenRouter adapts parameters
 * to each upstream model itself.
 */
export function isOpenAiReasoningModel(model: string): boolean {
  return /^(?:o[134]|gpt-5(?:\.\d+)?)(?:-|$)/.test(model) && !/-chat(?:-|$)/.test(model);
}

/** Whether `field` of `request` reaches a provider whose table is `table`. */
export function takes(table: FieldTable, field: string, request: ChatCompletionRequest): boolean {
  const rule = Object.hasOwn(table, field) ? table[field] : undefined;
  return rule === true || (rule !== undefined && rule(request));
}

/**
 * The request's top-level fields that `provider` has no equivalent for on `model` (its own name), in the
 * request's order: what the adapter leaves out, for the `x-breakwater-dropped-params` header and the log.
 * The adapters map requests by the same tables, so the two cannot disagree. OpenAI-compatible providers
 * take every field, vendor extensions included, except what OpenAI's reasoning models refuse; the mock
 * and replay (and any provider id the gateway does not know) drop nothing.
 */
export function droppedParams(provider: string, model: string, request: ChatCompletionRequest): string[] {
  const present = Object.keys(request).filter(
    (field) =>
      !GATEWAY_FIELDS.has(field) && (request as unknown as Record<string, unknown>)[field] !== undefined,
  );
  switch (provider) {
    case 'anthropic':
      return present.filter((field) => !takes(ANTHROPIC_FIELDS, field, request));
    case 'gemini':
      return present.filter((field) => !takes(GEMINI_FIELDS, field, request));
    case 'openai':
    case 'openrouter':
    case 'deepseek':
      return isOpenAiReasoningModel(model)
        ? present.filter((field) => REASONING_UNSUPPORTED.includes(field))
        : [];
    default:
      return [];
  }
}
