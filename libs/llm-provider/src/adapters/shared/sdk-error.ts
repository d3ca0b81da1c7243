import { RemoteProviderId } from '@breakwater/contracts';
import { ProviderError, providerErrorFromStatus } from '../../provider-error';

export function notConfigured(id: RemoteProviderId): ProviderError {
  return new ProviderError('auth', `${id} is not configured: set ${id.toUpperCase()}_API_KEY`);
}

/**
 * ` (ECONNREFUSED)` from a connection error's cause chain (fetch's `TypeError: fetch failed`, or the
 * transport's APIConnectionError around undici's error), or nothing.
 */
export function causeCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return ` (${code})`;
    current = current.cause;
  }
  return '';
}

/** A provider message, cut to a readable length, with the key masked should a provider ever echo it. */
export function redact(message: string, apiKey?: string): string {
  const cut = message.length > 500 ? `${message.slice(0, 500)}…` : message;
  return apiKey ? cut.split(apiKey).join('[redacted]') : cut;
}

/** The provider was never reached (refused, reset, DNS): worth another attempt. */
export function connectionFailed(id: RemoteProviderId, error: unknown): ProviderError {
  return new ProviderError('transient', `${id}: connection failed${causeCode(error)}`, { cause: error });
}

/** Whatever else an SDK threw: retried, since nothing says the provider refused the request. */
export function callFailed(id: RemoteProviderId, error: unknown): ProviderError {
  const name = error instanceof Error ? error.name : typeof error;
  return new ProviderError('transient', `${id}: call failed (${name})`, { cause: error });
}

/**
 * The error classes that the Stainless-generated SDKs (`openai`, `@anthropic-ai/sdk`) both export under
 * these names; each SDK has its own classes, so `instanceof` needs the ones of the SDK that threw. The
 * provider transport raises its failures in them, built the way the SDK builds them.
 */
export interface StainlessErrorClasses {
  APIUserAbortError: new () => Error;
  APIConnectionTimeoutError: new () => Error;
  APIConnectionError: new (options: { cause: Error }) => Error;
  APIError: (abstract new (
    ...args: never[]
  ) => Error & { status: number | undefined; headers: Headers | undefined; error: unknown }) & {
    /** The SDK's class for `status` (BadRequestError, RateLimitError...) around the error body. */
    generate(status: number, errorResponse: unknown, message: string | undefined, headers: Headers): Error;
  };
}

/**
 * Sorts a failure in a Stainless SDK's error classes (as the provider transport raises them): HTTP failures
 * by status with the provider's own message, read from the error body by `bodyMessage` (never the request's
 * headers, so never the key), transport failures as transient.
 */
export function stainlessProviderError(
  id: RemoteProviderId,
  error: unknown,
  apiKey: string | undefined,
  sdk: StainlessErrorClasses,
  bodyMessage: (body: unknown) => string | undefined,
): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof sdk.APIUserAbortError) {
    return new ProviderError('transient', `${id}: request aborted (attempt timeout or cancelled)`, {
      cause: error,
    });
  }
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return new ProviderError('transient', `${id}: request timed out`, { cause: error });
  }
  if (error instanceof sdk.APIConnectionError) return connectionFailed(id, error);
  if (error instanceof sdk.APIError && error.status !== undefined) {
    const message = bodyMessage(error.error) ?? error.message.replace(/^\d{3}\s*/, '');
    // No `cause`: the SDK error holds the provider's unredacted body, which a logger would print.
    return providerErrorFromStatus(error.status, redact(`${id}: ${message}`, apiKey), error.headers);
  }
  return callFailed(id, error);
}
