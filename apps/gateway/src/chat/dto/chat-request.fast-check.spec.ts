import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { flattenValidationErrors } from '@breakwater/config';
import { ChatCompletionRequestDto } from './chat-completion-request.dto';
import { isEverydayChatRequest } from './chat-request.fast-check';

async function dtoAccepts(body: unknown): Promise<boolean> {
  const errors = await validate(plainToInstance(ChatCompletionRequestDto, body) as object, {
    forbidUnknownValues: true,
  });
  return errors.length === 0;
}

const user = (content: unknown) => ({ role: 'user', content });
const base = { model: 'openai/gpt-4o-mini', messages: [user('hi')] };

const EVERYDAY: [string, object][] = [
  ['the smallest body', base],
  [
    'a conversation',
    { ...base, messages: [{ role: 'system', content: 's' }, user('q'), { role: 'assistant', content: 'a' }] },
  ],
  ['sampling parameters', { ...base, temperature: 0.7, top_p: 1, n: 2, max_tokens: 64, seed: 7 }],
  ['penalties at their bounds', { ...base, presence_penalty: -2, frequency_penalty: 2 }],
  [
    'a name, a user and stream false',
    { ...base, messages: [{ role: 'user', content: 'x', name: 'ann' }], user: 'u1', stream: false },
  ],
  ['an unknown field', { ...base, logit_bias: { '1': 2 } }],
  ['an OpenRouter id with a variant', { ...base, model: 'openrouter/meta-llama/llama-3.1-8b-instruct:free' }],
  ['a fine-tuned OpenAI id', { ...base, model: 'openai/ft:gpt-4o-mini:org:name:id' }],
  ['a Gemini id', { ...base, model: 'gemini/gemini-2.5-flash' }],
  ['a bare Anthropic id', { ...base, model: 'claude-sonnet-4-5' }],
  ['a Cloudflare-style id', { ...base, model: 'openrouter/@cf/meta/llama-3-8b-instruct' }],
  ['a model of 256 characters', { ...base, model: 'm'.repeat(256) }],
];

const OTHERS: [string, unknown][] = [
  ['no model', { messages: base.messages }],
  ['an empty model', { ...base, model: '' }],
  ['a model of 257 characters', { ...base, model: 'm'.repeat(257) }],
  ['a numeric model', { ...base, model: 5 }],
  ['a model with a control character', { ...base, model: 'openai/gpt-4o\u0001' }],
  ['a model with a line feed', { ...base, model: 'openai/gpt-4o\nx-evil: 1' }],
  ['a model with a tab', { ...base, model: 'openai/gpt\t4o' }],
  ['a model with a space', { ...base, model: 'openai/gpt 4o' }],
  ['a model with a quote', { ...base, model: 'openai/"gpt"' }],
  ['a model with a non-ASCII letter', { ...base, model: 'openai/gpt-4ö' }],
  ['a model starting with a slash', { ...base, model: '/gpt-4o' }],
  ['no messages', { model: base.model }],
  ['empty messages', { ...base, messages: [] }],
  ['messages as a string', { ...base, messages: 'hi' }],
  ['a message that is a string', { ...base, messages: ['hi'] }],
  ['an unknown role', { ...base, messages: [{ role: 'wizard', content: 'x' }] }],
  ['numeric content', { ...base, messages: [user(5)] }],
  ['null content', { ...base, messages: [user(null)] }],
  ['content parts', { ...base, messages: [user([{ type: 'text', text: 'hi' }])] }],
  ['empty content parts', { ...base, messages: [user([])] }],
  ['assistant tool calls', { ...base, messages: [{ role: 'assistant', content: null, tool_calls: [] }] }],
  ['tool calls not an array', { ...base, messages: [{ role: 'user', content: 'x', tool_calls: 5 }] }],
  ['a long name', { ...base, messages: [{ role: 'user', content: 'x', name: 'n'.repeat(257) }] }],
  ['temperature 2.5', { ...base, temperature: 2.5 }],
  ['temperature as a string', { ...base, temperature: '1' }],
  ['top_p -0.1', { ...base, top_p: -0.1 }],
  ['n 17', { ...base, n: 17 }],
  ['n 1.5', { ...base, n: 1.5 }],
  ['max_tokens 0', { ...base, max_tokens: 0 }],
  ['max_completion_tokens 2.5', { ...base, max_completion_tokens: 2.5 }],
  ['presence_penalty 3', { ...base, presence_penalty: 3 }],
  ['seed 0.5', { ...base, seed: 0.5 }],
  ['a long user', { ...base, user: 'u'.repeat(257) }],
  ['stream true', { ...base, stream: true }],
  ['stop as a string', { ...base, stop: 'END' }],
  ['stop of five strings', { ...base, stop: ['a', 'b', 'c', 'd', 'e'] }],
  ['response_format json_object', { ...base, response_format: { type: 'json_object' } }],
  ['response_format unknown', { ...base, response_format: { type: 'yaml' } }],
  ['response_format json_schema without json_schema', { ...base, response_format: { type: 'json_schema' } }],
  [
    'response_format json_schema with a null json_schema',
    { ...base, response_format: { type: 'json_schema', json_schema: null } },
  ],
  [
    'response_format json_schema',
    { ...base, response_format: { type: 'json_schema', json_schema: { name: 'a', schema: {} } } },
  ],
  ['tools', { ...base, tools: [] }],
  ['tools not an array', { ...base, tools: {} }],
  ['a tool', { ...base, tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }],
  ['a tool that is a number', { ...base, tools: [5] }],
  ['a tool without a function', { ...base, tools: [{ type: 'function' }] }],
  ['a tool with a numeric name', { ...base, tools: [{ type: 'function', function: { name: 7 } }] }],
  [
    '129 tools',
    { ...base, tools: Array.from({ length: 129 }, () => ({ type: 'function', function: { name: 'f' } })) },
  ],
  ['tool_choice', { ...base, tool_choice: 'auto' }],
  ['tool_choice naming a function', { ...base, tool_choice: { type: 'function', function: { name: 'f' } } }],
  ['tool_choice unknown', { ...base, tool_choice: 'sometimes' }],
  ['tool_choice as a number', { ...base, tool_choice: 3 }],
  ['tool_choice without a name', { ...base, tool_choice: { type: 'function', function: {} } }],
  [
    'assistant tool calls with a call',
    {
      ...base,
      messages: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
      ],
    },
  ],
  [
    'a tool call that is a string',
    { ...base, messages: [{ role: 'assistant', content: null, tool_calls: ['x'] }] },
  ],
  [
    'a tool call without arguments',
    {
      ...base,
      messages: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f' } }],
        },
      ],
    },
  ],
  ['an array body', [base]],
];

/** The field the first problem names, as the validation pipe reports it, or undefined when valid. */
async function dtoParam(body: unknown): Promise<string | undefined> {
  const errors = await validate(plainToInstance(ChatCompletionRequestDto, body) as object, {
    forbidUnknownValues: true,
  });
  return flattenValidationErrors(errors)[0]?.path;
}

const call = (fn: object) => ({
  role: 'assistant',
  content: null,
  tool_calls: [{ id: 'c', type: 'function', function: fn }],
});

const HOSTILE: [string, object, string][] = [
  ['a control character in model', { ...base, model: 'mock/echo\u0001' }, 'model'],
  ['a line feed in model', { ...base, model: 'mock/echo\nx: 1' }, 'model'],
  ['a space in model', { ...base, model: 'mock/a b' }, 'model'],
  ['a quote in model', { ...base, model: "mock/a'b" }, 'model'],
  ['a non-ASCII model', { ...base, model: 'mock/ü' }, 'model'],
  [
    'json_schema missing',
    { ...base, response_format: { type: 'json_schema' } },
    'response_format.json_schema',
  ],
  [
    'json_schema null',
    { ...base, response_format: { type: 'json_schema', json_schema: null } },
    'response_format.json_schema',
  ],
  ['a tool that is a number', { ...base, tools: [5] }, 'tools[0]'],
  ['a tool without function', { ...base, tools: [{ type: 'function' }] }, 'tools[0].function'],
  [
    'a tool named by a number',
    { ...base, tools: [{ type: 'function', function: { name: 1 } }] },
    'tools[0].function.name',
  ],
  ['a tool of another type', { ...base, tools: [{ type: 'web', function: { name: 'f' } }] }, 'tools[0].type'],
  ['tool_choice of a wrong word', { ...base, tool_choice: 'always' }, 'tool_choice'],
  ['tool_choice as an array', { ...base, tool_choice: [] }, 'tool_choice'],
  [
    'a tool call without a name',
    { ...base, messages: [call({ arguments: '{}' })] },
    'messages[0].tool_calls[0].function.name',
  ],
  [
    'tool call arguments as an object',
    { ...base, messages: [call({ name: 'f', arguments: {} })] },
    'messages[0].tool_calls[0].function.arguments',
  ],
];

describe('ChatCompletionRequestDto refuses what would break a header or an adapter', () => {
  it.each(HOSTILE)('refuses %s, naming it', async (_name, body, param) => {
    expect(await dtoParam(body)).toBe(param);
    expect(isEverydayChatRequest(body)).toBe(false);
  });

  it('accepts the everyday shapes of tools, tool_choice and tool calls', async () => {
    const tool = {
      type: 'function',
      function: { name: 'f', description: null, parameters: { type: 'object' } },
    };
    const body = {
      ...base,
      messages: [
        user('q'),
        call({ name: 'f', arguments: '{}' }),
        { role: 'tool', tool_call_id: 'c', content: 'r' },
      ],
      tools: [tool],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_object', json_schema: null },
    };
    expect(await dtoParam(body)).toBeUndefined();
    for (const choice of ['none', 'auto', 'required', null]) {
      expect(await dtoParam({ ...base, tools: [tool], tool_choice: choice })).toBeUndefined();
    }
  });
});

describe('isEverydayChatRequest, the fast path of chat validation', () => {
  it.each(EVERYDAY)('accepts %s, which the DTO accepts too', async (_name, body) => {
    expect(isEverydayChatRequest(body)).toBe(true);
    expect(await dtoAccepts(body)).toBe(true);
  });

  it.each(OTHERS)('leaves %s to the DTO', (_name, body) => {
    expect(isEverydayChatRequest(body)).toBe(false);
  });

  it('never accepts a body the DTO refuses', async () => {
    const refusedByDto: string[] = [];
    for (const [name, body] of OTHERS) if (!(await dtoAccepts(body))) refusedByDto.push(name);
    // The catalogue holds bodies of both kinds, so this is not vacuous.
    expect(refusedByDto.length).toBeGreaterThan(20);
    expect(refusedByDto.length).toBeLessThan(OTHERS.length);
    for (const [name, body] of OTHERS) {
      if (isEverydayChatRequest(body)) expect([name, await dtoAccepts(body)]).toEqual([name, true]);
    }
  });
});
