import { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '@breakwater/contracts';

export const PROCESSING_MODES = ['queue_if_unavailable', 'immediate', 'async'] as const;
export type ProcessingMode = (typeof PROCESSING_MODES)[number];

/** What a caller asks of the gateway through request headers (contract: Request headers). */
export interface RequestDirectives {
  processingMode: ProcessingMode;
  /** `provider/model` names from `x-fallback-models`, in order. */
  fallbackModels: string[];
}

const MAX_FALLBACKS = 5;

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads and validates the directive headers; a bad value is a 400 naming the header. */
export function directivesOf(headers: IncomingHttpHeaders): RequestDirectives {
  const mode = single(headers, 'x-processing-mode')?.trim() ?? 'queue_if_unavailable';
  if (!(PROCESSING_MODES as readonly string[]).includes(mode)) {
    throw GatewayError.invalid(
      'x-processing-mode',
      `x-processing-mode must be one of ${PROCESSING_MODES.join(', ')}`,
    );
  }
  const fallbackModels = (single(headers, 'x-fallback-models') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (fallbackModels.length > MAX_FALLBACKS) {
    throw GatewayError.invalid(
      'x-fallback-models',
      `x-fallback-models lists at most ${MAX_FALLBACKS} models`,
    );
  }
  return { processingMode: mode as ProcessingMode, fallbackModels };
}
