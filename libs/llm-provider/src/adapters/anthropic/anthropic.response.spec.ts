import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { oneChoiceCompletion } from '../shared/provider-request.fixture';
import { anthropicFinishReason, fromAnthropicMessage } from './anthropic.response';

const message = (content: Message['content'], extra: Partial<Message> = {}): Message =>
  ({
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5-20251001',
    content,
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: 10,
      output_tokens: 5,
      cache_creation_input_tokens: null,
      cache_read_input_tokens: null,
    },
    ...extra,
  }) as Message;

const USAGE_15_5 = { prompt_tokens: 15, completion_tokens: 5, total_tokens: 20 };

describe('fromAnthropicMessage', () => {
  it('joins text blocks into the content and maps usage', () => {
    const completion = fromAnthropicMessage(
      message(
        [
          { type: 'text', text: 'Hello ', citations: null },
          { type: 'text', text: 'there', citations: null },
        ],
        {
          usage: {
            input_tokens: 10,
            output_tokens: 5,
            cache_creation_input_tokens: 3,
            cache_read_input_tokens: 2,
          } as Message['usage'],
        },
      ),
    );
    // Cache writes and reads are prompt tokens too, as in OpenAI's prompt_tokens.
    expect(completion).toMatchObject(
      oneChoiceCompletion({ id: 'msg_1', model: 'claude-haiku-4-5-20251001' }, 'Hello there', USAGE_15_5),
    );
  });

  it("returns the forced tool's input as the content with finish_reason stop", () => {
    const completion = fromAnthropicMessage(
      message(
        [{ type: 'tool_use', id: 'toolu_1', name: 'thing', input: { a: 'b' }, caller: { type: 'direct' } }],
        {
          stop_reason: 'tool_use',
        },
      ),
      'thing',
    );
    expect(completion.choices[0]).toMatchObject({ message: { content: '{"a":"b"}' }, finish_reason: 'stop' });
    expect(completion.choices[0].message.tool_calls).toBeUndefined();
  });

  it("maps the caller's tool_use to tool_calls with a null content when there is no text", () => {
    const completion = fromAnthropicMessage(
      message(
        [{ type: 'tool_use', id: 'toolu_1', name: 'w', input: { city: 'Oslo' }, caller: { type: 'direct' } }],
        {
          stop_reason: 'tool_use',
        },
      ),
    );
    expect(completion.choices[0]).toMatchObject({
      message: {
        content: null,
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'w', arguments: '{"city":"Oslo"}' } },
        ],
      },
      finish_reason: 'tool_calls',
    });
  });

  it.each([
    ['end_turn', false, 'stop'],
    ['stop_sequence', false, 'stop'],
    ['pause_turn', false, 'stop'],
    ['max_tokens', false, 'length'],
    ['model_context_window_exceeded', false, 'length'],
    ['tool_use', false, 'tool_calls'],
    ['tool_use', true, 'stop'],
    ['refusal', false, 'content_filter'],
    [null, false, 'stop'],
  ] as const)('maps stop_reason %s (structured %s) to %s', (reason, structured, expected) => {
    expect(anthropicFinishReason(reason, structured)).toBe(expected);
  });
});
