import { Injectable } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import { EmbeddingList, EmbeddingRequest } from '@breakwater/contracts';
import { OpenAiCompatibleAdapter } from '../openai-compatible/openai-compatible.base';

/** OpenAI's chat completions and embeddings: the base as it is. */
@Injectable()
export class OpenAiAdapter extends OpenAiCompatibleAdapter {
  constructor(config: AppConfig) {
    super('openai', config.providers.openai, {
      defaultBaseUrl: 'https://api.openai.com/v1',
      timeoutMs: config.resilience.llmTimeoutMs,
    });
  }

  embed(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingList> {
    return this.postEmbeddings(request, signal);
  }
}
