import { ConnectionClosedError, UnrecoverableError } from 'bullmq';
import { isConnectionError } from './connection-error';

// The errors ioredis raises against a real server (lost connection, refused command) are in
// test/int/shared-or-local.int-spec.ts; these are the ones a loopback server cannot easily produce.
describe('isConnectionError', () => {
  const withCode = (code: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`connect ${code}`), { code });

  it('counts BullMQ closing its connection and a socket that failed as connection errors', () => {
    expect(isConnectionError(new ConnectionClosedError())).toBe(true);
    expect(isConnectionError(withCode('ECONNREFUSED'))).toBe(true);
    expect(isConnectionError(withCode('ECONNRESET'))).toBe(true);
    expect(
      isConnectionError(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
    ).toBe(true);
  });

  it('does not count what the connection did not cause', () => {
    expect(isConnectionError(new UnrecoverableError('bad job'))).toBe(false);
    expect(isConnectionError(withCode('ENOENT'))).toBe(false);
    expect(isConnectionError(new TypeError('not a function'))).toBe(false);
    expect(isConnectionError('Connection is closed.')).toBe(false);
  });
});
