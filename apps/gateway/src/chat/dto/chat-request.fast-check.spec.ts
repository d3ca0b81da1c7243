import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
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
];

const OTHERS: [string, unknown][] = [
  ['no model', { messages: base.messages }],
  ['an empty model', { ...base, model: '' }],
  ['a model of 257 characters', { ...base, model: 'm'.repeat(257) }],
  ['a numeric model', { ...base, model: 5 }],
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
  ['tools', { ...base, tools: [] }],
  ['tools not an array', { ...base, tools: {} }],
  ['tool_choice', { ...base, tool_choice: 'auto' }],
  ['an array body', [base]],
];

describe('isEverydayChatRequest, the fast path of chat validation', () => {
  it.each(EVERYDAY)('accepts %s, which the DTO accepts too', async (_name, body) => {
    expect(isEverydayChatRequest(body)).toBe(true);
    expect(await dtoAccepts(body)).toBe(true);
  });

  it.each(OTHERS)('leaves %s to the DTO', async (_name, body) => {
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
