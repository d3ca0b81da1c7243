import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletion as OpenAiCompletion } from 'openai/resources/chat/completions';
import { ProviderError } from '../provider-error';
import { deepSeekRequest } from './deepseek.adapter';
import { ProviderRequest } from './llm-provider.adapter';
import {
  fromOpenAiCompletion,
  openAiProviderError,
  openAiRequestBody,
  redact,
} from './openai-compatible.base';

const ask = (extra: Partial<ProviderRequest> = {}): ProviderRequest => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'hello' }],
  ...extra,
});

const completion = (extra: Partial<OpenAiCompletion> = {}): OpenAiCompletion => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1700000000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'hi there', refusal: null },
      finish_reason: 'stop',
      logprobs: null,
    },
  ],
  usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 },
  ...extra,
});

describe('openAiRequestBody', () => {
  it('sends the model, the messages and only the parameters the request carries, never stream', () => {
    expect(openAiRequestBody(ask({ temperature: 0, stream: true }))).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello' }],
      temperature: 0,
    });
  });

  it('passes response_format through natively', () => {
    const format = {
      type: 'json_schema' as const,
      json_schema: { name: 'x', schema: { type: 'object' }, strict: true },
    };
    expect(openAiRequestBody(ask({ response_format: format })).response_format).toEqual(format);
  });
});

describe('fromOpenAiCompletion', () => {
  it('maps the completion, keeping the provider id, model and usage', () => {
    expect(fromOpenAiCompletion(completion(), ask())).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'hi there', refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 },
      system_fingerprint: null,
    });
  });

  it('keeps function tool calls and drops custom ones, which the contract has no shape for', () => {
    const mapped = fromOpenAiCompletion(
      completion({
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              refusal: null,
              tool_calls: [
                { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
                { id: 'c2', type: 'custom', custom: { name: 'g', input: 'x' } },
              ],
            },
            finish_reason: 'tool_calls',
            logprobs: null,
          },
        ],
      }),
      ask(),
    );
    expect(mapped.choices[0].message.tool_calls).toEqual([
      { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
    ]);
    expect(mapped.choices[0].finish_reason).toBe('tool_calls');
  });

  it('estimates usage a provider leaves out, so budgets still count the call', () => {
    const mapped = fromOpenAiCompletion(completion({ usage: undefined }), ask());
    expect(mapped.usage.prompt_tokens).toBeGreaterThan(0);
    expect(mapped.usage.completion_tokens).toBe(2);
    expect(mapped.usage.total_tokens).toBe(mapped.usage.prompt_tokens + 2);
  });

  it("throws OpenRouter's in-body error, sorted by its code and with the key masked", () => {
    const body = { error: { code: 429, message: 'slow down sk-or-secret' } } as unknown as OpenAiCompletion;
    const error = (() => {
      try {
        fromOpenAiCompletion(body, ask(), 'sk-or-secret');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'rate_limited', message: '429 slow down [redacted]' });
  });

  it('throws transient for a choice that finished with "error" (OpenRouter)', () => {
    const failed = completion();
    (failed.choices[0] as { finish_reason: string }).finish_reason = 'error';
    expect(() => fromOpenAiCompletion(failed, ask())).toThrow(ProviderError);
  });
});

describe('openAiProviderError', () => {
  const generated = (status: number, message: string, headers: Record<string, string> = {}) =>
    openAiProviderError(
      'openai',
      APIError.generate(
        status,
        { error: { message, type: 'x', param: null, code: null } },
        undefined,
        new Headers(headers),
      ),
      'sk-secret',
    );

  it.each([
    [400, 'bad_request'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'bad_request'],
    [408, 'transient'],
    [409, 'transient'],
    [422, 'bad_request'],
    [429, 'rate_limited'],
    [500, 'transient'],
    [503, 'transient'],
  ])('sorts HTTP %i as %s', (status, kind) => {
    expect(generated(status, 'why').kind).toBe(kind);
  });

  it("takes the provider's message from the body, masks the key, and keeps no cause", () => {
    const error = generated(401, 'Incorrect API key provided: sk-secret.');
    expect(error.message).toBe('401 openai: Incorrect API key provided: [redacted].');
    expect(error.options.cause).toBeUndefined();
  });

  it('reads retry-after-ms and Retry-After on a 429', () => {
    expect(generated(429, 'slow', { 'retry-after-ms': '1500' }).options.retryAfterMs).toBe(1500);
    expect(generated(429, 'slow', { 'retry-after': '3' }).options.retryAfterMs).toBe(3000);
  });

  it('sorts aborts, timeouts and connection failures as transient', () => {
    expect(openAiProviderError('openai', new APIUserAbortError())).toMatchObject({ kind: 'transient' });
    expect(openAiProviderError('openai', new APIConnectionTimeoutError())).toMatchObject({
      kind: 'transient',
      message: 'openai: request timed out',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(
      openAiProviderError(
        'deepseek',
        new APIConnectionError({ message: 'Connection error.', cause: refused }),
      ),
    ).toMatchObject({
      kind: 'transient',
      message: 'deepseek: connection failed (ECONNREFUSED)',
    });
  });
});

describe('redact', () => {
  it('masks every occurrence of the key and cuts long messages', () => {
    expect(redact('k1 and k1', 'k1')).toBe('[redacted] and [redacted]');
    expect(redact('x'.repeat(600))).toHaveLength(501);
  });
});

describe('deepSeekRequest', () => {
  it('turns json_schema into json_object with the schema in a leading system message', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const request = deepSeekRequest(
      ask({
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'thing', description: 'A thing', schema },
        },
      }),
    );
    expect(request.response_format).toEqual({ type: 'json_object' });
    expect(request.messages[0]).toEqual({
      role: 'system',
      content: `Reply with one JSON object only, "thing" (A thing), valid against this JSON Schema:\n${JSON.stringify(schema)}`,
    });
    expect(request.messages.slice(1)).toEqual(ask().messages);
  });

  it('leaves text requests and json_object prompts that say json alone', () => {
    const text = ask();
    expect(deepSeekRequest(text)).toBe(text);
    const saysJson = ask({
      messages: [{ role: 'user', content: 'answer in JSON' }],
      response_format: { type: 'json_object' },
    });
    expect(deepSeekRequest(saysJson).messages).toEqual(saysJson.messages);
  });
});
