import { IncomingMessage } from 'node:http';

/**
 * What a request's one log line says beyond method and status: filled in as the request walks its
 * path (route by the HTTP layer, caller by auth, provider fields by the chat controller).
 */
export interface RequestLogFields {
  route?: string;
  caller?: string;
  provider?: string;
  model?: string;
  tokens_in?: number;
  tokens_out?: number;
  cost_usd?: number;
  cache?: 'hit' | 'miss' | 'bypass' | 'stale';
  queue_id?: string;
}

const FIELDS = Symbol('breakwater.requestLogFields');

type WithFields = IncomingMessage & { [FIELDS]?: RequestLogFields };

/** The log fields of a raw request, created on first use. */
export function requestLogFields(request: IncomingMessage): RequestLogFields {
  const raw = request as WithFields;
  return (raw[FIELDS] ??= {});
}
