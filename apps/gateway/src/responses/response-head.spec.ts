import { ChatCompletion, ChatCompletionChoice } from '@breakwater/contracts';
import { responseOf } from '@breakwater/completion';
import { responseHeadOf } from './response-head';

const completionOf = (
  message: ChatCompletionChoice['message'],
  finish: ChatCompletionChoice['finish_reason'],
): ChatCompletion => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'anthropic/claude-sonnet-4-5',
  choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
  usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
});

/** The response a chat answer makes for a request: its head made from the body, then the answer. */
const shaped = (completion: Parameters<typeof responseOf>[0], body: Parameters<typeof responseHeadOf>[0]) =>
  responseOf(completion, responseHeadOf(body));

describe('responseOf (chat → Responses)', () => {
  it('answers a message item, output_text, usage and the echoed settings', () => {
    const response = shaped(completionOf({ role: 'assistant', content: 'Hello' }, 'stop'), {
      model: 'claude',
      input: 'hi',
      metadata: { a: 'b' },
      tools: [{ type: 'function', name: 'f' }],
    });
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      incomplete_details: null,
      model: 'anthropic/claude-sonnet-4-5',
      output_text: 'Hello',
      metadata: { a: 'b' },
      tool_choice: 'auto',
      tools: [{ type: 'function', name: 'f', parameters: null, strict: null }],
      usage: { input_tokens: 5, output_tokens: 6, total_tokens: 11 },
    });
    expect(response.output).toEqual([
      expect.objectContaining({
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Hello', annotations: [], logprobs: [] }],
      }),
    ]);
  });

  it('answers only function_call items when the model only called tools', () => {
    const response = shaped(
      completionOf(
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        },
        'tool_calls',
      ),
      { model: 'm', input: 'hi' },
    );
    expect(response.output).toEqual([
      expect.objectContaining({ type: 'function_call', call_id: 'toolu_1', name: 'f', arguments: '{"a":1}' }),
    ]);
    expect(response.output_text).toBe('');
  });

  it('is incomplete on length (max_output_tokens) and content_filter, and answers a refusal as such', () => {
    const cut = shaped(completionOf({ role: 'assistant', content: 'He' }, 'length'), {
      model: 'm',
      input: 'x',
    });
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    const refused = shaped(
      completionOf({ role: 'assistant', content: null, refusal: 'No.' }, 'content_filter'),
      { model: 'm', input: 'x' },
    );
    expect(refused).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'content_filter' } });
    expect(refused.output).toEqual([
      expect.objectContaining({ type: 'message', content: [{ type: 'refusal', refusal: 'No.' }] }),
    ]);
  });
});
