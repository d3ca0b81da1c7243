import { EmbeddingEncoding, EmbeddingList, EncodedEmbeddingList } from '@breakwater/contracts';

/**
 * `list` in the asked encoding, for a 200 and a queued job's result alike (the cache keeps floats). `base64` is each vector's float32 values, little-endian, as OpenAI sends
 * them: its SDKs ask for it by default and decode it themselves, so it must work for existing code.
 */
export function encodedEmbeddings(
  list: EmbeddingList,
  encoding: EmbeddingEncoding = 'float',
): EmbeddingList | EncodedEmbeddingList {
  if (encoding === 'float') return list;
  return {
    ...list,
    data: list.data.map((item) => ({
      ...item,
      embedding: Buffer.from(Float32Array.from(item.embedding).buffer).toString('base64'),
    })),
  };
}
