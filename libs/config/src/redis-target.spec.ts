import { ConfigError } from './config.error';
import { redisTarget } from './redis-target';

describe('redisTarget', () => {
  const url = 'redis://:secret@10.0.0.9:6379/0';

  it('is one server by default, a cluster from REDIS_CLUSTER_NODES, a Sentinel primary from REDIS_SENTINELS', () => {
    expect(redisTarget({ REDIS_URL: url })).toEqual({ url });
    expect(
      redisTarget({ REDIS_URL: url, REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002' }),
    ).toEqual({
      url,
      cluster: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    });
    expect(
      redisTarget({ REDIS_URL: url, REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mymaster' }),
    ).toEqual({
      url,
      sentinel: {
        name: 'mymaster',
        nodes: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26379 },
        ],
      },
    });
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2', REDIS_SENTINEL_NAME: 'm' }, /both set/],
    [{ REDIS_SENTINELS: 'b:2' }, /REDIS_SENTINELS is set without REDIS_SENTINEL_NAME/],
    [{ REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINEL_NAME is set without REDIS_SENTINELS/],
    [{ REDIS_CLUSTER_NODES: 'a:1,b' }, /REDIS_CLUSTER_NODES item 2 \("b"\) is not host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:70000' }, /REDIS_CLUSTER_NODES item 1/],
    [{ REDIS_CLUSTER_NODES: 'a:1,' }, /REDIS_CLUSTER_NODES item 2/],
    [{ REDIS_SENTINELS: 'http://s:1', REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINELS item 1/],
    [{ REDIS_CLUSTER_NODES: Array.from({ length: 65 }, (_v, i) => `h${i}:1`).join(',') }, /at most 64/],
  ])('refuses %j, naming the variable and the fix', (env, message) => {
    expect(() => redisTarget({ REDIS_URL: url, ...env })).toThrow(ConfigError);
    expect(() => redisTarget({ REDIS_URL: url, ...env })).toThrow(message);
  });
});
