import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import { ChatCompletion, ChatCompletionRequest } from '@breakwater/contracts';
import { ExchangeRecord, canonicalExchangeRequest, exchangeHash } from './exchange-record';

const FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * Writes each provider exchange to RECORD_DIR as `<hash>.json`. A write goes to a temporary file that is
 * then renamed, so a reader (a replay running beside the recording) sees a whole file or none. Recording
 * is a development aid: a failed write is logged at most once a minute and never fails the request.
 */
@Injectable()
export class ExchangeRecorder {
  private readonly logger = new Logger('Recorder');
  private readonly dir?: string;
  private readonly maxFileBytes: number;
  private lastFailureLoggedAt = -Infinity;

  constructor(config: AppConfig) {
    this.dir = config.record.dir;
    this.maxFileBytes = maxRecordBytes(config);
  }

  get enabled(): boolean {
    return this.dir !== undefined;
  }

  async record(
    provider: string,
    request: ChatCompletionRequest,
    answer: ChatCompletion,
    latencyMs: number,
  ): Promise<void> {
    if (this.dir === undefined) return;
    const canonical = canonicalExchangeRequest(provider, request.model, request);
    const hash = exchangeHash(canonical);
    const record: ExchangeRecord = {
      hash,
      provider,
      model: request.model,
      request: canonical,
      answer,
      latency_ms: Math.round(latencyMs),
      recorded_at: new Date().toISOString(),
    };
    const text = JSON.stringify(record, null, 2);
    if (Buffer.byteLength(text) > this.maxFileBytes) {
      this.failed(`recording ${hash} is larger than a replay may read (${this.maxFileBytes} bytes)`);
      return;
    }
    const temporary = join(this.dir, `.${hash}.${randomUUID()}.tmp`);
    try {
      await writeFile(temporary, text, { mode: 0o600 });
      await rename(temporary, join(this.dir, `${hash}.json`));
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      this.failed(`cannot write recording ${hash} to RECORD_DIR: ${(error as Error).message}`);
    }
  }

  private failed(message: string): void {
    const now = Date.now();
    if (now - this.lastFailureLoggedAt < FAILURE_LOG_INTERVAL_MS) return;
    this.lastFailureLoggedAt = now;
    this.logger.warn(message);
  }
}

/**
 * The largest recording a replay reads: a request may be MAX_BODY_BYTES, and its answer is allowed as
 * much again, so every exchange the gateway could have recorded can be replayed.
 */
export function maxRecordBytes(config: AppConfig): number {
  return 2 * config.http.maxBodyBytes;
}
