import { Injectable } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import { OpenAiCompatibleAdapter } from '../openai-compatible/openai-compatible.base';

/**
 * OpenRouter: OpenAI's API in front of many vendors (`<vendor>/<model>` names pass through as they are),
 * with its app attribution headers so usage shows under the gateway's name on openrouter.ai.
 */
@Injectable()
export class OpenRouterAdapter extends OpenAiCompatibleAdapter {
  constructor(config: AppConfig) {
    const { appTitle, httpReferer } = config.openRouter;
    super('openrouter', config.providers.openrouter, {
      defaultBaseUrl: 'https://openrouter.ai/api/v1',
      timeoutMs: config.resilience.llmTimeoutMs,
      headers: { 'X-Title': appTitle, ...(httpReferer ? { 'HTTP-Referer': httpReferer } : {}) },
    });
  }
}
