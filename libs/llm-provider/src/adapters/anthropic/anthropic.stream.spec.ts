import { Readable } from 'node:stream';
import { ChatCompletionChunk } from '@breakwater/contracts';
import { ProviderError } from '../../provider-error';
import { ServerSentEvent } from '../shared/provider-transport';
import { anthropicChunks } from './anthropic.stream';

/** Events as the transport yields them: the `event:` name and the JSON `data:`. */
const events = (...items: Record<string, unknown>[]): AsyncIterable<ServerSentEvent> =>
  Readable.from(items.map((item) => ({ event: String(item.type), data: JSON.stringify(item) })));

const start = (usage: Record<string, unknown> = { input_tokens: 10, output_tokens: 1 }) => ({
  type: 'message_start',
  message: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    content: [],
    model: 'claude-haiku-4-5-20251001',
    stop_reason: null,
    stop_sequence: null,
    usage,
  },
});
const blockStart = (index: number, block: Record<string, unknown>) => ({
  type: 'content_block_start',
  index,
  content_block: block,
});
const text = (index: number, value: string) => ({
  type: 'content_block_delta',
  index,
  delta: { type: 'text_delta', text: value },
});
const json = (index: number, value: string) => ({
  type: 'content_block_delta',
  index,
  delta: { type: 'input_json_delta', partial_json: value },
});
const blockStop = (index: number) => ({ type: 'content_block_stop', index });
const end = (stopReason: string | null, usage: Record<string, unknown> = { output_tokens: 7 }) => [
  { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage },
  { type: 'message_stop' },
];

async function collect(
  source: AsyncIterable<ChatCompletionChunk>,
): Promise<{ chunks: ChatCompletionChunk[]; error?: unknown }> {
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of source) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

const deltas = (chunks: ChatCompletionChunk[]) =>
  chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta));

describe('anthropicChunks', () => {
  it('maps a text answer: role first, text deltas, the finish, then usage with the id and model', async () => {
    const { chunks, error } = await collect(
      anthropicChunks(
        events(
          start(),
          blockStart(0, { type: 'text', text: '' }),
          { type: 'ping' },
          text(0, 'Hel'),
          text(0, 'lo'),
          blockStop(0),
          ...end('end_turn'),
        ),
      ),
    );
    expect(error).toBeUndefined();
    expect(deltas(chunks)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hel' },
      { content: 'lo' },
      {},
    ]);
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason)).toEqual([
      null,
      null,
      null,
      'stop',
      undefined,
    ]);
    expect(chunks[chunks.length - 1]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 },
    });
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: 'msg_1',
        object: 'chat.completion.chunk',
        model: 'claude-haiku-4-5-20251001',
      });
    }
  });

  it("maps the caller's tool_use blocks to numbered tool calls, named first, then their arguments", async () => {
    const { chunks } = await collect(
      anthropicChunks(
        events(
          start(),
          blockStart(0, { type: 'text', text: '' }),
          text(0, 'Checking.'),
          blockStop(0),
          blockStart(1, { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: {} }),
          json(1, ''),
          json(1, '{"city":'),
          json(1, '"Paris"}'),
          blockStop(1),
          blockStart(2, { type: 'tool_use', id: 'toolu_b', name: 'get_time', input: {} }),
          blockStop(2),
          ...end('tool_use'),
        ),
      ),
    );
    expect(deltas(chunks).filter((delta) => delta.tool_calls)).toEqual([
      {
        tool_calls: [
          { index: 0, id: 'toolu_a', type: 'function', function: { name: 'get_weather', arguments: '' } },
        ],
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      {
        tool_calls: [
          { index: 1, id: 'toolu_b', type: 'function', function: { name: 'get_time', arguments: '' } },
        ],
      },
      // No input streamed: `{}`, as the non-streamed answer gives it.
      { tool_calls: [{ index: 1, function: { arguments: '{}' } }] },
    ]);
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('tool_calls');
  });

  it('streams the forced structured-output tool as content, finishing with stop', async () => {
    const { chunks } = await collect(
      anthropicChunks(
        events(
          start(),
          blockStart(0, { type: 'tool_use', id: 'toolu_s', name: 'city', input: {} }),
          json(0, '{"city": "Ge'),
          json(0, 'noa"}'),
          blockStop(0),
          ...end('tool_use'),
        ),
        'city',
      ),
    );
    expect(deltas(chunks)).toEqual([
      { role: 'assistant', content: '' },
      { content: '{"city": "Ge' },
      { content: 'noa"}' },
      {},
    ]);
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop');
  });

  it('gives an empty structured answer as {} and leaves out text and thinking around it', async () => {
    const { chunks } = await collect(
      anthropicChunks(
        events(
          start(),
          blockStart(0, { type: 'thinking', thinking: '' }),
          { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } },
          blockStop(0),
          blockStart(1, { type: 'text', text: '' }),
          text(1, 'Sure:'),
          blockStop(1),
          blockStart(2, { type: 'tool_use', id: 'toolu_s', name: 'json_object', input: {} }),
          blockStop(2),
          ...end('tool_use'),
        ),
        'json_object',
      ),
    );
    expect(
      deltas(chunks)
        .map((delta) => delta.content ?? '')
        .join(''),
    ).toBe('{}');
  });

  it('maps max_tokens to length, counts cached input tokens, and takes message_delta input counts', async () => {
    const { chunks } = await collect(
      anthropicChunks(
        events(
          start({
            input_tokens: 4,
            cache_read_input_tokens: 100,
            cache_creation_input_tokens: 0,
            output_tokens: 1,
          }),
          blockStart(0, { type: 'text', text: '' }),
          text(0, 'cut'),
          blockStop(0),
          ...end('max_tokens', { output_tokens: 3, input_tokens: 5, cache_read_input_tokens: 100 }),
        ),
      ),
    );
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('length');
    expect(chunks[chunks.length - 1].usage).toEqual({
      prompt_tokens: 105,
      completion_tokens: 3,
      total_tokens: 108,
    });
  });

  it('finishes with stop on message_stop when message_delta gave no stop reason', async () => {
    const { chunks, error } = await collect(
      anthropicChunks(events(start(), blockStart(0, { type: 'text', text: '' }), text(0, 'x'), ...end(null))),
    );
    expect(error).toBeUndefined();
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);
  });

  it.each([
    ['overloaded_error', 'transient', 529],
    ['api_error', 'transient', 500],
    ['rate_limit_error', 'rate_limited', 429],
    ['invalid_request_error', 'bad_request', 400],
    ['authentication_error', 'auth', 401],
    ['some_new_error', 'transient', 500],
  ])('throws an in-stream %s as %s (%i), after the chunks before it', async (type, kind, status) => {
    const { chunks, error } = await collect(
      anthropicChunks(
        events(start(), blockStart(0, { type: 'text', text: '' }), text(0, 'Let me'), {
          type: 'error',
          error: { type, message: `sk-secret said ${type}` },
        }),
        undefined,
        'sk-secret',
      ),
    );
    expect(deltas(chunks).map((delta) => delta.content)).toEqual(['', 'Let me']);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind, options: { status } });
    expect((error as Error).message).toContain(type);
    expect((error as Error).message).not.toContain('sk-secret');
  });

  it('throws transient when the stream ends before message_stop', async () => {
    const { chunks, error } = await collect(
      anthropicChunks(
        events(start(), blockStart(0, { type: 'text', text: '' }), text(0, 'half'), end('end_turn')[0]),
      ),
    );
    expect(chunks.some((chunk) => chunk.usage)).toBe(false);
    expect(error).toMatchObject({ kind: 'transient', message: expect.stringContaining('message_stop') });
  });

  it('throws transient on an event that is not JSON, or content before message_start', async () => {
    const garbage: AsyncIterable<ServerSentEvent> = Readable.from([
      { event: 'message_start', data: '{"type": "message_st' },
    ]);
    await expect(collect(anthropicChunks(garbage))).resolves.toMatchObject({
      error: { kind: 'transient' },
    });
    await expect(collect(anthropicChunks(events(text(0, 'early'))))).resolves.toMatchObject({
      chunks: [],
      error: { kind: 'transient' },
    });
  });
});
