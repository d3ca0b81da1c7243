import { ConfigError } from '@breakwater/config';
import { redactedUrl, redisOptionsOf } from './redis-url';

describe('redisOptionsOf', () => {
  it('reads host, port, credentials, database and TLS from REDIS_URL', () => {
    expect(redisOptionsOf('rediss://app:p%40ss%2Fw@cache.internal:6380/3')).toEqual({
      host: 'cache.internal',
      port: 6380,
      username: 'app',
      password: 'p@ss/w',
      db: 3,
      tls: {},
    });
  });

  it('defaults the port and database, and takes a password without a user name', () => {
    expect(redisOptionsOf('redis://:secret@127.0.0.1')).toEqual({
      host: '127.0.0.1',
      port: 6379,
      password: 'secret',
      db: 0,
    });
  });

  it('gives an IPv6 host without its brackets', () => {
    expect(redisOptionsOf('redis://[::1]:7000')).toMatchObject({ host: '::1', port: 7000 });
  });

  it.each([
    ['not a URL', 'redis://user:hunter2@host:port'],
    ['another scheme', 'http://user:hunter2@host:6379'],
    ['query parameters', 'redis://host:6379?password=hunter2'],
    ['a path that is not a database number', 'redis://user:hunter2@host:6379/cache'],
  ])('refuses %s with a ConfigError naming REDIS_URL and never the password', (_case, url) => {
    let thrown: unknown;
    try {
      redisOptionsOf(url);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toMatch(/^REDIS_URL /);
    expect((thrown as ConfigError).message).not.toContain('hunter2');
  });
});

describe('redactedUrl', () => {
  it('hides everything before the host, even a password holding / or @', () => {
    expect(redactedUrl('redis://u:pa/ss@wo@rd@host:6379/0')).toBe('redis://[redacted]@host:6379/0');
    expect(redactedUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});
