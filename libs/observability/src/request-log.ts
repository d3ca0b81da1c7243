import { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import { Logger } from 'pino';

/**
 * What a request's one log line says beyond request id, method, route, status and duration: filled in
 * as the request walks its path (caller by auth, provider and model once the route is resolved, the rest
 * by the chat controller, `error_code` and `param` by the error response, `path` for unmatched routes).
 */
export interface RequestLogFields {
  caller?: string;
  provider?: string;
  model?: string;
  error_code?: string;
  /** The request field an error names. */
  param?: string;
  /** An unmatched route's path, without its query string, at most MAX_LOGGED_PATH characters. */
  path?: string;
  tokens_in?: number;
  tokens_out?: number;
  cost_usd?: number;
  cache?: 'hit' | 'miss' | 'bypass' | 'stale';
  queue_id?: string;
  /** Request fields the answering provider had no equivalent for. */
  dropped_params?: string[];
  /** A streamed answer: its time to the first chunk, and how it broke if it did. */
  stream?: boolean;
  ttft_ms?: number;
  stream_error?: string;
}

/** The longest unmatched path a log line keeps; the rest is cut. */
export const MAX_LOGGED_PATH = 256;

const FIELDS = Symbol('breakwater.requestLogFields');

type WithFields = IncomingMessage & { [FIELDS]?: RequestLogFields };

/** The log fields of a raw request, created on first use. */
export function requestLogFields(request: IncomingMessage): RequestLogFields {
  const raw = request as WithFields;
  return (raw[FIELDS] ??= {});
}

export interface RequestLine {
  request_id: string;
  method: string;
  route: string;
  status: number;
  duration_ms: number;
  /** The client left before its answer ended (status 499). */
  client_gone?: boolean;
}

/**
 * Writes the contract's one JSON line per request, straight on the process's pino logger: no child
 * logger per request, no serializer of the request or response objects (so no header, and no key, can
 * reach the line). Statuses of 500 and above are logged as errors, except a probe's: readiness answers 503
 * on purpose while Redis is away or the process drains, and every rollout would page someone.
 */
@Injectable()
export class RequestLog {
  constructor(readonly pino: Logger) {}

  write(line: RequestLine, raw: IncomingMessage): void {
    const entry = { ...line, ...(raw as WithFields)[FIELDS] };
    if (line.status >= 500 && !line.route.startsWith('/health/')) this.pino.error(entry, 'request failed');
    else if (line.status >= 500) this.pino.warn(entry, 'probe answered unready');
    else this.pino.info(entry, 'request completed');
  }
}
