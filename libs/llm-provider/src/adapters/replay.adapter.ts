import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import { ChatCompletion, GatewayError } from '@breakwater/contracts';
import { ProviderError } from '../provider-error';
import { canonicalExchangeRequest, exchangeHash, recordedAnswer } from '../recording/exchange-record';
import { maxRecordBytes } from '../recording/exchange-recorder';
import { LlmProviderAdapter, ProviderRequest } from './llm-provider.adapter';

/**
 * Answers from RECORD_DIR, offline: `replay/<provider>/<model>` looks up what `<provider>/<model>` answered
 * to the same request when it was recorded (the same hash), and returns that answer unchanged, so a run
 * replays identically every time. A request never recorded is the caller's to fix (400 naming the hash);
 * a file that is too large or not a recording is refused as the provider's failure (502).
 */
@Injectable()
export class ReplayAdapter implements LlmProviderAdapter {
  readonly id = 'replay' as const;
  readonly configured: boolean;
  private readonly dir?: string;
  private readonly maxFileBytes: number;

  constructor(config: AppConfig) {
    this.dir = config.record.dir;
    this.configured = this.dir !== undefined;
    this.maxFileBytes = maxRecordBytes(config);
  }

  async complete(request: ProviderRequest): Promise<ChatCompletion> {
    const slash = request.model.indexOf('/');
    if (this.dir === undefined || slash <= 0 || slash === request.model.length - 1) {
      throw GatewayError.invalid(
        'model',
        `model: "replay/${request.model}" must name the recorded model, as replay/<provider>/<model>`,
      );
    }
    const provider = request.model.slice(0, slash);
    const model = request.model.slice(slash + 1);
    const hash = exchangeHash(canonicalExchangeRequest(provider, model, request));
    const text = await this.read(hash);
    if (text === undefined) {
      throw GatewayError.invalid(
        'model',
        `model: no recording of this request to ${provider}/${model} in RECORD_DIR (hash ${hash})`,
      );
    }
    const answer = recordedAnswer(text, hash);
    if (typeof answer === 'string') {
      throw new ProviderError('bad_request', `recording ${hash} cannot be replayed: ${answer}`);
    }
    return answer;
  }

  /** The file's text, or undefined when there is none; a file over the bound is refused before it is read. */
  private async read(hash: string): Promise<string | undefined> {
    const path = join(this.dir ?? '', `${hash}.json`);
    const file = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new ProviderError('bad_request', `recording ${hash} cannot be read: ${error.code ?? 'error'}`);
    });
    if (!file) return undefined;
    try {
      const { size } = await file.stat();
      if (size > this.maxFileBytes) {
        throw new ProviderError(
          'bad_request',
          `recording ${hash} is ${size} bytes, over the ${this.maxFileBytes} a replay reads`,
        );
      }
      return await file.readFile('utf8');
    } finally {
      await file.close();
    }
  }
}
