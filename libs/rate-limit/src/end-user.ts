import { GatewayError, HEADER, HeaderRecord, headerOf } from '@breakwater/contracts';

const MAX_END_USER_LENGTH = 128;
const PRINTABLE = /^[\x20-\x7e]+$/;

/**
 * The `x-end-user` of a request: 1 to 128 printable ASCII characters, surrounding spaces trimmed. It
 * becomes part of Redis keys and log lines, so anything else is refused (400) rather than cleaned up;
 * an absent or empty header means no end user.
 */
export function endUserOf(headers: HeaderRecord): string | undefined {
  const value = headerOf(headers, HEADER.endUser)?.trim();
  if (!value) return undefined;
  if (value.length > MAX_END_USER_LENGTH || !PRINTABLE.test(value)) {
    throw GatewayError.invalid(
      HEADER.endUser,
      `x-end-user must be 1 to ${MAX_END_USER_LENGTH} printable ASCII characters`,
    );
  }
  return value;
}
