import { GatewayError } from '@breakwater/contracts';
import { CreateResponseDto } from './dto/create-response.dto';
import { chatRequestOf } from './response-request.mapper';

const body = (fields: Partial<CreateResponseDto>): CreateResponseDto => ({
  model: 'mock/echo',
  input: 'hi',
  ...fields,
});

function paramOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof GatewayError) return error.param;
    throw error;
  }
  return undefined;
}

describe('chatRequestOf (Responses → chat)', () => {
  it('makes instructions a system message and input text one user message', () => {
    expect(chatRequestOf(body({ instructions: 'Be brief.' })).messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('maps parts, function calls (joined to the assistant turn) and their outputs', () => {
    const request = chatRequestOf(
      body({
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'look' },
              { type: 'input_image', image_url: 'https://x.test/a.png', detail: 'low' },
            ],
          },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'calling' }] },
          {
            type: 'function_call',
            call_id: 'c1',
            name: 'f',
            arguments: '{}',
            id: 'fc_1',
            status: 'completed',
          },
          { type: 'function_call', call_id: 'c2', name: 'g', arguments: '{"a":1}' },
          { type: 'function_call_output', call_id: 'c1', output: 'one' },
          { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'two' }] },
          { type: 'reasoning', id: 'rs_1', summary: [] },
        ],
      }),
    );
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image_url', image_url: { url: 'https://x.test/a.png', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: 'calling',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
          { id: 'c2', type: 'function', function: { name: 'g', arguments: '{"a":1}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'tool', tool_call_id: 'c2', content: 'two' },
    ]);
  });

  it('maps the settings to their chat names and leaves metadata out', () => {
    const request = chatRequestOf(
      body({
        tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: true }],
        tool_choice: { type: 'function', name: 'f' },
        text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true } },
        max_output_tokens: 50,
        temperature: 0.1,
        top_p: 0.9,
        parallel_tool_calls: false,
        user: 'u',
        metadata: { a: 'b' },
        stream: true,
      }),
    );
    expect(request).toEqual({
      model: 'mock/echo',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'w', schema: { type: 'object' }, strict: true },
      },
      max_completion_tokens: 50,
      temperature: 0.1,
      top_p: 0.9,
      parallel_tool_calls: false,
      user: 'u',
      stream: true,
    });
  });

  it('maps json_object and leaves text (the default) out', () => {
    expect(chatRequestOf(body({ text: { format: { type: 'json_object' } } })).response_format).toEqual({
      type: 'json_object',
    });
    expect(chatRequestOf(body({ text: { format: { type: 'text' } } }))).not.toHaveProperty('response_format');
  });

  it.each([
    ['input[0]', [{ type: 'item_reference', id: 'msg_1' }]],
    ['input[0].type', [{ type: 'web_search_call' }]],
    ['input[0]', ['text']],
    ['input[0].role', [{ role: 'tool', content: 'x' }]],
    ['input[0].content', [{ role: 'user', content: [] }]],
    ['input[0].content[0].file_id', [{ role: 'user', content: [{ type: 'input_image', file_id: 'f' }] }]],
    [
      'input[0].content[0].detail',
      [{ role: 'user', content: [{ type: 'input_image', image_url: 'u', detail: 'x' }] }],
    ],
    [
      'input[0].content[1]',
      [
        {
          role: 'assistant',
          content: [
            { type: 'output_text', text: 'a' },
            { type: 'input_image', image_url: 'u' },
          ],
        },
      ],
    ],
    ['input[0].name', [{ type: 'function_call', call_id: 'c', arguments: '{}' }]],
    ['input[0].output', [{ type: 'function_call_output', call_id: 'c', output: 3 }]],
    [
      'input[0].output[0]',
      [{ type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image' }] }],
    ],
    ['input', [{ type: 'reasoning' }]],
  ])('refuses naming %s', (param, input) => {
    expect(paramOf(() => chatRequestOf(body({ input })))).toBe(param);
  });
});
