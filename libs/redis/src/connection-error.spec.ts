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

  it("counts a cluster client's not-ready, all-nodes-failed and cluster-down errors as connection errors", () => {
    expect(isConnectionError(new Error("Cluster isn't ready and enableOfflineQueue options is false"))).toBe(
      true,
    );
    expect(isConnectionError(new Error('None of startup nodes is available'))).toBe(true);
    expect(
      isConnectionError(
        Object.assign(new Error('Failed to refresh slots cache.'), { name: 'ClusterAllFailedError' }),
      ),
    ).toBe(true);
    expect(isConnectionError(new Error('CLUSTERDOWN The cluster is down'))).toBe(true);
    expect(
      isConnectionError(new Error('Too many Cluster redirections. Last error: Error: Connection is closed.')),
    ).toBe(true);
    const discarded = (...previousErrors: Error[]) =>
      Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), {
        previousErrors,
      });
    expect(isConnectionError(discarded(new Error('CLUSTERDOWN The cluster is down')))).toBe(true);
    expect(isConnectionError(discarded(new Error('WRONGTYPE Operation against a key')))).toBe(false);
    expect(isConnectionError(new Error("CROSSSLOT Keys in request don't hash to the same slot"))).toBe(false);
  });

  it('does not count what the connection did not cause', () => {
    expect(isConnectionError(new UnrecoverableError('bad job'))).toBe(false);
    expect(isConnectionError(withCode('ENOENT'))).toBe(false);
    expect(isConnectionError(new TypeError('not a function'))).toBe(false);
    expect(isConnectionError('Connection is closed.')).toBe(false);
  });
});
