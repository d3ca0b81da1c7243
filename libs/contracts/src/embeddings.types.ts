// OpenAI's embeddings API as the gateway speaks it: the text forms of `input` only, vectors as floats.

/** `POST /v1/embeddings`: one text or a list of texts (token arrays and base64 answers are refused). */
export interface EmbeddingRequest {
  model: string;
  input: string | string[];
  encoding_format?: 'float';
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

/** The inputs of a request as a list, whichever form it came in. */
export function embeddingInputs(request: EmbeddingRequest): string[] {
  return typeof request.input === 'string' ? [request.input] : request.input;
}
