import { testConfig } from '@breakwater/testing';
import { ProviderError } from '../../provider-error';
import { MockAdapter } from '../mock.adapter';
import { checkedEmbeddings, embeddingList } from './embedding-mapping';

const signal = new AbortController().signal;

describe('embeddings mapping', () => {
  it('keeps one vector per input, indexed in order', () => {
    const data = checkedEmbeddings('openai', { model: 'm', input: ['a', 'b'] }, [[0.1], [0.2]]);
    expect(data).toEqual([
      { object: 'embedding', index: 0, embedding: [0.1] },
      { object: 'embedding', index: 1, embedding: [0.2] },
    ]);
    expect(embeddingList('m', data, 3)).toEqual({
      object: 'list',
      data,
      model: 'm',
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
  });

  it.each([
    ['too few vectors', { model: 'm', input: ['a', 'b'] }, [[1]]],
    ['a vector that is not numbers', { model: 'm', input: 'a' }, [['x']]],
    ['a missing vector', { model: 'm', input: 'a' }, [undefined]],
    ['a vector of another length than asked', { model: 'm', input: 'a', dimensions: 2 }, [[1, 2, 3]]],
  ])('refuses %s as a provider error', (_name, request, vectors) => {
    expect(() => checkedEmbeddings('gemini', request, vectors)).toThrow(ProviderError);
  });
});

describe('MockAdapter.embed', () => {
  const mock = new MockAdapter(testConfig());

  it('answers the same unit vector for the same text, another for another text', async () => {
    const answer = await mock.embed({ model: 'echo', input: ['same', 'same', 'other'] }, signal);
    const [first, again, other] = answer.data.map((item) => item.embedding);
    expect(first).toHaveLength(8);
    expect(first).toEqual(again);
    expect(other).not.toEqual(first);
    expect(Math.hypot(...first)).toBeCloseTo(1, 10);
    expect(answer.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
  });

  it('makes vectors of the asked dimensions, up to 3,072', async () => {
    const answer = await mock.embed({ model: 'echo', input: 'text', dimensions: 3072 }, signal);
    expect(answer.data[0].embedding).toHaveLength(3072);
    await expect(mock.embed({ model: 'echo', input: 'text', dimensions: 3073 }, signal)).rejects.toThrow(
      ProviderError,
    );
  });
});
