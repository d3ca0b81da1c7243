import { Readable } from 'node:stream';
import { ChatCompletionChunk } from '@breakwater/contracts';
import { ProviderError } from '../../provider-error';
import { ServerSentEvent } from '../shared/provider-transport';
import { openAiChunks } from './openai-compatible.stream';

const events = (...data: (Record<string, unknown> | string)[]): AsyncIterable<ServerSentEvent> =>
  Readable.from(data.map((item) => ({ data: typeof item === 'string' ? item : JSON.stringify(item) })));

const chunk = (choices: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1750000000,
  model: 'deepseek-chat',
  choices,
  ...extra,
});

async function collect(
  source: AsyncIterable<ChatCompletionChunk>,
): Promise<{ chunks: ChatCompletionChunk[]; error?: unknown }> {
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const item of source) chunks.push(item);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

describe('openAiChunks', () => {
  it("passes chunks through until [DONE], the provider's own fields kept, usage last", async () => {
    const { chunks, error } = await collect(
      openAiChunks(
        events(
          chunk([{ index: 0, delta: { role: 'assistant', content: '', reasoning_content: 'think' } }]),
          chunk([{ index: 0, delta: { content: 'Hi' }, finish_reason: null }]),
          chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
          chunk([], { usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }),
          '[DONE]',
          chunk([{ index: 0, delta: { content: 'after the end' } }]),
        ),
      ),
    );
    expect(error).toBeUndefined();
    expect(chunks).toHaveLength(4);
    expect(chunks[0].choices[0].delta).toEqual({
      role: 'assistant',
      content: '',
      reasoning_content: 'think',
    });
    expect(chunks[2].choices[0].finish_reason).toBe('stop');
    expect(chunks[3]).toMatchObject({ choices: [], usage: { total_tokens: 4 } });
  });

  it('gives a choice without a delta an empty one, and an unknown finish reason as stop', async () => {
    const { chunks } = await collect(
      openAiChunks(events(chunk([{ index: 0, finish_reason: 'eos' }]), '[DONE]')),
    );
    expect(chunks[0].choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
  });

  it('throws an error chunk sorted by its code, the key masked, after the chunks before it', async () => {
    const { chunks, error } = await collect(
      openAiChunks(
        events(
          chunk([{ index: 0, delta: { role: 'assistant', content: 'part' } }]),
          chunk([{ index: 0, delta: { content: '' }, finish_reason: 'error' }], {
            error: { code: 429, message: 'slow down, sk-secret' },
          }),
        ),
        'sk-secret',
      ),
    );
    expect(chunks).toHaveLength(1);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'rate_limited', options: { status: 429 } });
    expect((error as Error).message).not.toContain('sk-secret');
  });

  it('throws transient on finish_reason "error", a non-JSON event, and a stream without [DONE]', async () => {
    const failed = await collect(
      openAiChunks(events(chunk([{ index: 0, delta: {}, finish_reason: 'error' }]))),
    );
    const garbage = await collect(openAiChunks(events('{"id": "chatcmpl-1", "cho')));
    const truncated = await collect(openAiChunks(events(chunk([{ index: 0, delta: { content: 'x' } }]))));
    for (const outcome of [failed, garbage, truncated]) {
      expect(outcome.error).toBeInstanceOf(ProviderError);
      expect(outcome.error).toMatchObject({ kind: 'transient' });
    }
    expect(truncated.chunks).toHaveLength(1);
  });
});
