import { Injectable } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import { OpenAiCompatibleAdapter } from '../openai-compatible/openai-compatible.base';

/** OpenAI's chat completions: the base as it is. */
@Injectable()
export class OpenAiAdapter extends OpenAiCompatibleAdapter {
  constructor(config: AppConfig) {
    super('openai', config.providers.openai, {
      defaultBaseUrl: 'https://api.openai.com/v1',
      timeoutMs: config.resilience.llmTimeoutMs,
    });
  }
}
