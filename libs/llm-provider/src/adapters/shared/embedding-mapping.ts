import { Embedding, EmbeddingList, embeddingInputs, EmbeddingRequest } from '@breakwater/contracts';
import { ProviderError } from '../../provider-error';
import { estimateTokens } from '../../token-estimate';

/**
 * Checks a provider's vectors against what was asked, so a short or malformed answer is the provider's
 * fault (502) rather than a list the caller would zip with its inputs wrongly: one vector of numbers per
 * input, and `dimensions` long when the request set it.
 */
export function checkedEmbeddings(
  provider: string,
  request: EmbeddingRequest,
  vectors: readonly unknown[],
): Embedding[] {
  const expected = embeddingInputs(request).length;
  if (vectors.length !== expected) {
    throw new ProviderError(
      'bad_request',
      `${provider}: answered ${vectors.length} embeddings for ${expected} inputs`,
    );
  }
  return vectors.map((vector, index) => {
    const valid =
      Array.isArray(vector) &&
      vector.length > 0 &&
      vector.every((value) => typeof value === 'number' && Number.isFinite(value)) &&
      (request.dimensions === undefined || vector.length === request.dimensions);
    if (!valid)
      throw new ProviderError(
        'bad_request',
        `${provider}: embedding ${index} is not a vector of the asked length`,
      );
    return { object: 'embedding', index, embedding: vector as number[] };
  });
}

/** OpenAI's list around checked vectors. */
export function embeddingList(model: string, data: Embedding[], promptTokens: number): EmbeddingList {
  return { object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
}

/** The inputs' tokens at about four characters a token, for a provider that reports none. */
export function estimatedInputTokens(request: EmbeddingRequest): number {
  return embeddingInputs(request).reduce((sum, text) => sum + estimateTokens(text), 0);
}
