/**
 * How a provider failure should be treated, decided by the adapter that understands the provider:
 * - transient: worth retrying (timeouts, connection errors, 408, 409, 5xx, overloaded)
 * - rate_limited: worth retrying after `retryAfterMs`
 * - auth, bad_request: permanent; retrying cannot help
 */
export type ProviderFailureKind = 'transient' | 'rate_limited' | 'auth' | 'bad_request';

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderFailureKind,
    message: string,
    readonly options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'rate_limited';
  }
}
