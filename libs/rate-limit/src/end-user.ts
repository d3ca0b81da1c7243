import { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '@breakwater/contracts';

const MAX_END_USER_LENGTH = 128;
const PRINTABLE = /^[\x20-\x7e]+$/;

/**
 * The `x-end-user` of a request: 1 to 128 printable ASCII characters, surrounding spaces trimmed. It
 * becomes part of Redis keys and log lines, so anything else is refused (400) rather than cleaned up;
 * an absent or empty header means no end user.
 */
export function endUserOf(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers['x-end-user'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  if (value.length > MAX_END_USER_LENGTH || !PRINTABLE.test(value)) {
    throw GatewayError.invalid(
      'x-end-user',
      `x-end-user must be 1 to ${MAX_END_USER_LENGTH} printable ASCII characters`,
    );
  }
  return value;
}
