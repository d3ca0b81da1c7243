import { ChatCompletion } from '@breakwater/contracts';
import { textChunkOf, textCompletionOf } from '@breakwater/completion';
import { chatRequestOf } from './completion-request.mapper';

const completion: ChatCompletion = {
  id: 'chatcmpl-abc',
  object: 'chat.completion',
  created: 1,
  model: 'mock/echo',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'length', logprobs: null },
    { index: 1, message: { role: 'assistant', content: null }, finish_reason: 'tool_calls', logprobs: null },
  ],
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
};

describe('legacy completions ↔ chat', () => {
  it('sends the prompt as one user message with the settings', () => {
    expect(
      chatRequestOf({
        model: 'm',
        prompt: ['p'],
        max_tokens: 5,
        n: 2,
        stop: ['x'],
        stream: true,
        stream_options: { include_usage: true },
      }),
    ).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'p' }],
      max_tokens: 5,
      n: 2,
      stop: ['x'],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('answers text choices, one per chat choice', () => {
    expect(textCompletionOf(completion)).toEqual({
      id: 'cmpl-abc',
      object: 'text_completion',
      created: 1,
      model: 'mock/echo',
      choices: [
        { index: 0, text: 'hi', finish_reason: 'length', logprobs: null },
        { index: 1, text: '', finish_reason: 'stop', logprobs: null },
      ],
      usage: completion.usage,
      system_fingerprint: null,
    });
  });

  it('writes a chunk as its new text, a usage chunk with its usage', () => {
    const chunk = textChunkOf({
      id: 'chatcmpl-abc',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta: { content: 'he' }, finish_reason: null }],
    });
    expect(chunk.choices).toEqual([{ index: 0, text: 'he', finish_reason: null, logprobs: null }]);
    expect(chunk).not.toHaveProperty('usage');
    const usage = textChunkOf({
      id: 'x',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [],
      usage: completion.usage,
    });
    expect(usage).toMatchObject({ choices: [], usage: completion.usage });
  });
});
