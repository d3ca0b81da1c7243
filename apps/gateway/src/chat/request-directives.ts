import { CacheDirectives, cacheDirectivesOf } from '@breakwater/cache';
import {
  GatewayError,
  HEADER,
  HeaderRecord,
  PRIORITIES,
  PROCESSING_MODES,
  Priority,
  ProcessingMode,
  headerOf,
} from '@breakwater/contracts';
import { endUserOf } from '@breakwater/rate-limit';
import { MAX_MODEL_NAME_LENGTH, MODEL_NAME_RULE, isModelName } from './dto/model-name';

/** What a caller asks of the gateway through request headers (contract: Request headers). */
export interface RequestDirectives {
  processingMode: ProcessingMode;
  /** `provider/model` names from `x-fallback-models`, in order. */
  fallbackModels: string[];
  /** `x-callback-url`: where a queued request's end is posted (checked against WEBHOOK_ALLOWED_HOSTS later). */
  callbackUrl?: string;
  /** `idempotency-key`, up to 128 characters. */
  idempotencyKey?: string;
  /** `x-cache-mode`, `Cache-Control`, `x-cache-ttl`, `x-cache-key`. */
  cache: CacheDirectives;
  /** `x-end-user`: the caller's end_user_limits apply to it. */
  endUser?: string;
  /** `x-priority` as asked; the queue applies the caller's `priority` default and `max_priority` ceiling. */
  priority?: Priority;
}

const MAX_FALLBACKS = 5;
const MAX_IDEMPOTENCY_KEY = 128;
const MAX_URL = 2048;

/**
 * Reads and validates the directive headers; a bad value is a 400 naming the header. `defaultMode` is the
 * caller's `processing_mode`, which `x-processing-mode` overrides.
 */
export function directivesOf(
  headers: HeaderRecord,
  defaultMode: ProcessingMode = 'queue_if_unavailable',
): RequestDirectives {
  const mode = headerOf(headers, HEADER.processingMode)?.trim() ?? defaultMode;
  if (!(PROCESSING_MODES as readonly string[]).includes(mode)) {
    throw GatewayError.invalid(
      HEADER.processingMode,
      `x-processing-mode must be one of ${PROCESSING_MODES.join(', ')}`,
    );
  }
  const fallbackModels = (headerOf(headers, HEADER.fallbackModels) ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (fallbackModels.length > MAX_FALLBACKS) {
    throw GatewayError.invalid(
      HEADER.fallbackModels,
      `x-fallback-models lists at most ${MAX_FALLBACKS} models`,
    );
  }
  const badModel = fallbackModels.findIndex((name) => !isModelName(name));
  if (badModel !== -1) {
    throw GatewayError.invalid(
      HEADER.fallbackModels,
      `x-fallback-models entry ${badModel + 1} must hold ${MODEL_NAME_RULE}, up to ${MAX_MODEL_NAME_LENGTH} characters`,
    );
  }
  const callbackUrl = headerOf(headers, HEADER.callbackUrl)?.trim() || undefined;
  if (callbackUrl && callbackUrl.length > MAX_URL) {
    throw GatewayError.invalid(HEADER.callbackUrl, `x-callback-url is longer than ${MAX_URL} characters`);
  }
  const idempotencyKey = headerOf(headers, HEADER.idempotencyKey) || undefined;
  if (idempotencyKey && idempotencyKey.length > MAX_IDEMPOTENCY_KEY) {
    throw GatewayError.invalid(
      HEADER.idempotencyKey,
      `idempotency-key is longer than ${MAX_IDEMPOTENCY_KEY} characters`,
    );
  }
  const priority = headerOf(headers, HEADER.priority)?.trim().toLowerCase() || undefined;
  if (priority !== undefined && !(PRIORITIES as readonly string[]).includes(priority)) {
    throw GatewayError.invalid(HEADER.priority, `x-priority must be one of ${PRIORITIES.join(', ')}`);
  }
  return {
    processingMode: mode as ProcessingMode,
    fallbackModels,
    callbackUrl,
    idempotencyKey,
    cache: cacheDirectivesOf(headers),
    endUser: endUserOf(headers),
    ...(priority !== undefined ? { priority: priority as Priority } : {}),
  };
}
