import fc from 'fast-check';
import { ChatCompletion, ChatCompletionChunk } from '@breakwater/contracts';
import { ChunkAssembler, completionChunks } from './chunks';

const NO_USAGE = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

function assemble(chunks: ChatCompletionChunk[]): ChunkAssembler {
  const assembler = new ChunkAssembler();
  for (const chunk of chunks) assembler.add(chunk);
  return assembler;
}

const completionArbitrary: fc.Arbitrary<ChatCompletion> = fc
  .record({
    contents: fc.array(fc.option(fc.string({ maxLength: 300 }), { nil: null }), {
      minLength: 1,
      maxLength: 3,
    }),
    calls: fc.array(fc.record({ name: fc.stringMatching(/^[a-z_]{1,12}$/), args: fc.json() }), {
      maxLength: 2,
    }),
    finish: fc.constantFrom('stop' as const, 'length' as const, 'tool_calls' as const),
    prompt: fc.nat(10000),
    completion: fc.nat(10000),
  })
  .map(({ contents, calls, finish, prompt, completion }) => ({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1700000000,
    model: 'mock/echo',
    choices: contents.map((content, index) => ({
      index,
      message: {
        role: 'assistant' as const,
        // As providers send it: no text beside tool calls is null, no text otherwise is ''.
        content: calls.length > 0 ? content || null : (content ?? ''),
        ...(calls.length > 0
          ? {
              tool_calls: calls.map((call, position) => ({
                id: `call_${position}`,
                type: 'function' as const,
                function: { name: call.name, arguments: call.args },
              })),
            }
          : {}),
        refusal: null,
      },
      finish_reason: finish,
      logprobs: null,
    })),
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    system_fingerprint: null,
  }));

describe('completionChunks and ChunkAssembler', () => {
  it('round-trip any completion: its chunks assemble back to it', () => {
    fc.assert(
      fc.property(completionArbitrary, (completion) => {
        const assembler = assemble(completionChunks(completion, { usage: true }));
        expect(assembler.finished).toBe(true);
        expect(assembler.completion(NO_USAGE)).toEqual(completion);
      }),
    );
  });

  it('cut text into pieces of a few words, the usage last in a chunk without choices', () => {
    const text = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';
    const completion = fc.sample(completionArbitrary, 1)[0];
    completion.choices = [{ ...completion.choices[0], message: { role: 'assistant', content: text } }];
    delete completion.choices[0].message.tool_calls;
    const chunks = completionChunks(completion, { usage: true });
    const pieces = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? ''));
    expect(pieces.join('')).toBe(text);
    expect(pieces.filter(Boolean).length).toBeGreaterThan(1);
    expect(pieces.every((piece) => piece.length <= 48)).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: completion.usage });
    expect(completionChunks(completion, { usage: false }).every((chunk) => !chunk.usage)).toBe(true);
  });

  it('join tool-call arguments sent in pieces, and say unfinished until every choice has a finish reason', () => {
    const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
    const assembler = new ChunkAssembler();
    assembler.add({ ...base, choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] });
    assembler.add({
      ...base,
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              { index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"a"' } },
            ],
          },
          finish_reason: null,
        },
      ],
    });
    assembler.add({
      ...base,
      choices: [
        {
          index: 0,
          delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] },
          finish_reason: null,
        },
      ],
    });
    expect(assembler.finished).toBe(false);
    assembler.add({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
    expect(assembler.finished).toBe(true);
    const { message } = assembler.completion(NO_USAGE).choices[0];
    expect(message.content).toBeNull();
    expect(message.tool_calls).toEqual([
      { id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
    ]);
    expect(assembler.receivedCharacters).toBe('{"a":1}'.length);
  });
});
