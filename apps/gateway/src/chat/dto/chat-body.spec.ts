import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { GatewayError, OPENAI_CHAT_FIELDS } from '@breakwater/contracts';
import { ChatCompletionRequestDto } from './chat-completion-request.dto';
import { MAX_EXTRA_BYTES, MAX_EXTRA_FIELDS, chatBodyOf } from './chat-body';
import { isEverydayChatRequest } from './chat-request.fast-check';

const base = { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] };

function refusal(body: Record<string, unknown>): GatewayError {
  try {
    chatBodyOf(body);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('the body was accepted');
}

describe('chatBodyOf', () => {
  it('takes null as absent for every optional top-level field of the reference', () => {
    const optional = OPENAI_CHAT_FIELDS.filter((field) => field !== 'model' && field !== 'messages');
    const body = { ...base, ...Object.fromEntries(optional.map((field) => [field, null])) };
    const normalised = chatBodyOf(body);
    expect(normalised).toEqual(base);
    expect(validateSync(plainToInstance(ChatCompletionRequestDto, normalised))).toEqual([]);
    expect(isEverydayChatRequest(normalised)).toBe(true);
  });

  it('takes null as absent inside messages, response_format, stream_options and tool functions', () => {
    const body = {
      ...base,
      messages: [
        { role: 'system', content: 'be brief', name: null },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'w', arguments: '{}' } }],
          refusal: null,
          audio: null,
        },
        { role: 'tool', content: 'sunny', tool_call_id: 'c', name: null },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'x', description: null, strict: null, schema: { const: null } },
      },
      stream_options: { include_usage: null },
      tools: [
        { type: 'function', function: { name: 'w', description: null, parameters: null, strict: null } },
      ],
    };
    const normalised = chatBodyOf(body);
    expect(normalised).toEqual({
      ...base,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'assistant', content: null, tool_calls: body.messages[1].tool_calls },
        { role: 'tool', content: 'sunny', tool_call_id: 'c' },
      ],
      // Inside a schema, null is a value.
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { const: null } } },
      stream_options: {},
      tools: [{ type: 'function', function: { name: 'w' } }],
    });
    expect(validateSync(plainToInstance(ChatCompletionRequestDto, normalised))).toEqual([]);
  });

  it('keeps vendor fields as sent', () => {
    const body = {
      ...base,
      provider: { order: ['a', 'b'], allow_fallbacks: false },
      top_k: 40,
      transforms: [],
    };
    expect(chatBodyOf(body)).toEqual(body);
  });

  it(`refuses more than ${MAX_EXTRA_FIELDS} vendor fields, naming the first one over`, () => {
    const extras = Object.fromEntries(Array.from({ length: MAX_EXTRA_FIELDS + 1 }, (_, i) => [`x${i}`, i]));
    const error = refusal({ ...base, ...extras });
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.param).toBe(`x${MAX_EXTRA_FIELDS}`);
    expect(() =>
      chatBodyOf({ ...base, ...Object.fromEntries(Object.entries(extras).slice(1)) }),
    ).not.toThrow();
  });

  it('refuses vendor fields too large together, naming the one over, and a name that is not plain', () => {
    expect(refusal({ ...base, big: 'x'.repeat(MAX_EXTRA_BYTES) }).param).toBe('big');
    expect(refusal({ ...base, 'bad name\r\n': 1 }).message).toContain('unknown field names');
  });

  it('does not count fields of the reference as vendor fields', () => {
    expect(() => chatBodyOf({ ...base, metadata: { a: 'x'.repeat(MAX_EXTRA_BYTES) } })).not.toThrow();
  });
});
