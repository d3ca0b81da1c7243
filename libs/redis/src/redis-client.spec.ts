import { ConfigError } from '@breakwater/config';
import { createRedisClient, isCluster, serverOptionsOf, slotGroups } from './redis-client';

describe('slotGroups', () => {
  it('groups keys by cluster slot in first-seen order; a shared hash tag shares a slot', () => {
    // CLUSTER KEYSLOT: foo 12182, bar 5061; the hash tag {foo} makes `{foo}:x` hash like `foo`.
    expect(slotGroups(['foo', 'bar', '{foo}:x', 'x{bar}y'], true)).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });

  it('is one group off a cluster, whatever the keys', () => {
    expect(slotGroups(['foo', 'bar', 'baz'], false)).toEqual([[0, 1, 2]]);
  });
});

describe('createRedisClient', () => {
  const behaviour = { lazyConnect: true };

  it('opens a cluster client for REDIS_CLUSTER_NODES with the URL credentials on every node', () => {
    const client = createRedisClient(
      { url: 'redis://user:pw@ignored:1', cluster: [{ host: '127.0.0.1', port: 7000 }] },
      { ...behaviour, connectionName: 'x' },
    );
    expect(isCluster(client)).toBe(true);
    const options = (client as unknown as { options: { redisOptions: Record<string, unknown> } }).options;
    expect(options.redisOptions).toMatchObject({ username: 'user', password: 'pw', connectionName: 'x' });
    expect(options.redisOptions.host).toBeUndefined();
    client.disconnect();
  });

  it('refuses a database other than 0 on a cluster, naming the variable', () => {
    expect(() =>
      createRedisClient({ url: 'redis://h:1/3', cluster: [{ host: 'a', port: 1 }] }, behaviour),
    ).toThrow(ConfigError);
  });

  it("reaches a Sentinel primary with the URL's credentials and database, not its host", () => {
    const options = serverOptionsOf({
      url: 'redis://:pw@ignored:1/2',
      sentinel: { name: 'mymaster', nodes: [{ host: '127.0.0.1', port: 26379 }] },
    });
    expect(options).toMatchObject({ password: 'pw', db: 2, name: 'mymaster', failoverDetector: true });
    expect(options.sentinels).toEqual([{ host: '127.0.0.1', port: 26379 }]);
    expect(options.host).toBeUndefined();
  });
});
