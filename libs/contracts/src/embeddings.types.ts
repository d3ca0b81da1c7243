// OpenAI's embeddings API as the gateway speaks it: the text forms of `input` only. Providers are always
// asked for floats; `base64` is an encoding of the answer the gateway makes itself.

export const EMBEDDING_ENCODINGS = ['float', 'base64'] as const;
export type EmbeddingEncoding = (typeof EMBEDDING_ENCODINGS)[number];

/** `POST /v1/embeddings`: one text or a list of texts (token arrays are refused). */
export interface EmbeddingRequest {
  model: string;
  input: string | string[];
  /** How the answer carries vectors; OpenAI's SDKs send `base64` unless told otherwise. */
  encoding_format?: EmbeddingEncoding;
  /** The vector length asked for; a model that cannot shorten its vectors refuses it. */
  dimensions?: number;
  user?: string;
}

export interface Embedding {
  object: 'embedding';
  index: number;
  embedding: number[];
}

export interface EmbeddingUsage {
  prompt_tokens: number;
  total_tokens: number;
}

/** The answer: one embedding per input, in the inputs' order. */
export interface EmbeddingList {
  object: 'list';
  data: Embedding[];
  model: string;
  usage: EmbeddingUsage;
}

/** The answer with `encoding_format: base64`: each vector's little-endian float32 bytes, as OpenAI sends them. */
export interface EncodedEmbeddingList extends Omit<EmbeddingList, 'data'> {
  data: (Omit<Embedding, 'embedding'> & { embedding: string })[];
}

/** The inputs of a request as a list, whichever form it came in. */
export function embeddingInputs(request: EmbeddingRequest): string[] {
  return typeof request.input === 'string' ? [request.input] : request.input;
}
