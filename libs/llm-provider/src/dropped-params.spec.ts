import { ChatCompletionRequest, OPENAI_CHAT_FIELDS } from '@breakwater/contracts';
import { toAnthropicRequest } from './adapters/anthropic/anthropic.request';
import { toGeminiRequest } from './adapters/gemini/gemini.request';
import { openAiRequestBody } from './adapters/openai-compatible/openai-compatible.request';
import { droppedParams, isOpenAiReasoningModel } from './dropped-params';

/** A value for every field of OpenAI's reference that differs from its default, and a vendor extension. */
const SAMPLES: Record<string, unknown> = {
  audio: { voice: 'alloy', format: 'mp3' },
  frequency_penalty: 0.5,
  function_call: 'auto',
  functions: [{ name: 'f', parameters: { type: 'object' } }],
  logit_bias: { '50256': -100 },
  logprobs: true,
  max_completion_tokens: 50,
  max_tokens: 40,
  metadata: { team: 'x' },
  modalities: ['text', 'audio'],
  moderation: { categories: [] },
  n: 2,
  parallel_tool_calls: false,
  prediction: { type: 'content', content: 'draft' },
  presence_penalty: 0.5,
  prompt_cache_key: 'k',
  prompt_cache_options: { mode: 'x' },
  prompt_cache_retention: '24h',
  reasoning_effort: 'low',
  response_format: { type: 'json_object' },
  safety_identifier: 'u1',
  seed: 7,
  service_tier: 'flex',
  stop: ['END'],
  store: true,
  stream: true,
  stream_options: { include_usage: true },
  temperature: 0.3,
  tool_choice: 'required',
  tools: [{ type: 'function', function: { name: 'w', parameters: { type: 'object' } } }],
  top_logprobs: 3,
  top_p: 0.9,
  user: 'end-user',
  verbosity: 'low',
  web_search_options: {},
  provider: { order: ['a'] },
};

const base = (model: string): ChatCompletionRequest => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
});
const withField = (model: string, field: string): ChatCompletionRequest => ({
  ...base(model),
  [field]: SAMPLES[field],
});
const everyField = (model: string): ChatCompletionRequest => ({ ...base(model), ...SAMPLES });

const FIELDS = [
  ...OPENAI_CHAT_FIELDS.filter((field) => field !== 'model' && field !== 'messages'),
  'provider',
];

describe('droppedParams', () => {
  it('has a sample for every field of the reference', () => {
    expect(FIELDS.filter((field) => !(field in SAMPLES))).toEqual([]);
  });

  it('names what Anthropic has no equivalent for, in the request order', () => {
    expect(droppedParams('anthropic', 'claude-sonnet-4-5', everyField('claude-sonnet-4-5'))).toEqual([
      'audio',
      'frequency_penalty',
      'function_call',
      'functions',
      'logit_bias',
      'logprobs',
      'metadata',
      'modalities',
      'moderation',
      'n',
      'prediction',
      'presence_penalty',
      'prompt_cache_key',
      'prompt_cache_options',
      'prompt_cache_retention',
      'reasoning_effort',
      'safety_identifier',
      'seed',
      'service_tier',
      'store',
      'top_logprobs',
      'top_p',
      'verbosity',
      'web_search_options',
      'provider',
    ]);
  });

  it('keeps top_p for Anthropic without temperature, and n when it is 1', () => {
    const request = { ...base('claude'), top_p: 0.5, n: 1 };
    expect(droppedParams('anthropic', 'claude', request)).toEqual([]);
    expect(toAnthropicRequest(request).params.top_p).toBe(0.5);
  });

  it('names what Gemini has no equivalent for', () => {
    expect(droppedParams('gemini', 'gemini-2.5-flash', everyField('gemini-2.5-flash'))).toEqual([
      'audio',
      'function_call',
      'functions',
      'logit_bias',
      'logprobs',
      'metadata',
      'modalities',
      'moderation',
      'parallel_tool_calls',
      'prediction',
      'prompt_cache_key',
      'prompt_cache_options',
      'prompt_cache_retention',
      'reasoning_effort',
      'safety_identifier',
      'service_tier',
      'store',
      'top_logprobs',
      'user',
      'verbosity',
      'web_search_options',
      'provider',
    ]);
  });

  it('drops nothing for OpenAI-compatible providers on other models, vendor fields included', () => {
    for (const provider of ['openai', 'openrouter', 'deepseek'] as const) {
      expect(droppedParams(provider, 'gpt-4o-mini', everyField('gpt-4o-mini'))).toEqual([]);
    }
    expect(droppedParams('openrouter', 'openai/o3-mini', everyField('openai/o3-mini'))).toEqual([]);
    expect(droppedParams('mock', 'echo', everyField('echo'))).toEqual([]);
  });

  it("drops OpenAI reasoning models' unsupported sampling fields", () => {
    expect(droppedParams('openai', 'o3-mini', everyField('o3-mini'))).toEqual([
      'frequency_penalty',
      'logit_bias',
      'logprobs',
      'presence_penalty',
      'temperature',
      'top_logprobs',
      'top_p',
    ]);
  });

  it('ignores absent fields and the ones the gateway handles (stream, stream_options)', () => {
    const request = {
      ...base('claude'),
      stream: true,
      stream_options: { include_usage: true },
      seed: undefined,
    };
    expect(droppedParams('anthropic', 'claude', request)).toEqual([]);
  });

  it.each([
    ['o1', true],
    ['o1-mini', true],
    ['o3-mini-2025-01-31', true],
    ['o4-mini', true],
    ['gpt-5', true],
    ['gpt-5-mini', true],
    ['gpt-5.1', true],
    ['gpt-5-chat-latest', false],
    ['gpt-4o', false],
    ['o10', false],
    ['openai/o3-mini', false],
    ['gpt-50', false],
  ])('knows %s as a reasoning model: %s', (model, reasoning) => {
    expect(isOpenAiReasoningModel(model)).toBe(reasoning);
  });
});

/**
 * The adapters and droppedParams read one table per provider, so they cannot disagree; this holds them
 * to it: a field droppedParams names leaves the provider's request exactly as it was without the field.
 */
describe.each([
  [
    'anthropic',
    'claude-sonnet-4-5',
    (request: ChatCompletionRequest): unknown => toAnthropicRequest(request),
  ],
  ['gemini', 'gemini-2.5-flash', (request: ChatCompletionRequest): unknown => toGeminiRequest(request)],
  ['openai', 'o3-mini', (request: ChatCompletionRequest): unknown => openAiRequestBody(request)],
  ['openai', 'gpt-4o', (request: ChatCompletionRequest): unknown => openAiRequestBody(request)],
] as const)('%s (%s): the mapping agrees with droppedParams', (provider, model, mapped) => {
  it.each(FIELDS)('%s', (field) => {
    const request = withField(model, field);
    const dropped = droppedParams(provider, model, request);
    if (dropped.includes(field)) expect(mapped(request)).toEqual(mapped(base(model)));
    else expect(dropped).toEqual([]);
  });

  it('with every field at once, dropping each named one changes nothing', () => {
    const request = everyField(model);
    const dropped = droppedParams(provider, model, request);
    const kept = Object.fromEntries(
      Object.entries(request).filter(([field]) => !dropped.includes(field)),
    ) as ChatCompletionRequest;
    expect(mapped(request)).toEqual(mapped(kept));
  });
});
