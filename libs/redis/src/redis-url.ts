import { RedisOptions } from 'ioredis';
import { ConfigError } from '@breakwater/config';

const DEFAULT_PORT = 6379;

/**
 * The connection part of ioredis options from REDIS_URL (`redis[s]://[user[:password]@]host[:port][/db]`),
 * the one place the URL is read: the request path's client, the cache's subscriber and BullMQ's connections
 * all take these, so they reach the same server and database with the same credentials. Query parameters
 * are refused rather than half-honoured (ioredis read them, BullMQ's connections did not).
 */
export function redisOptionsOf(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('REDIS_URL is not a URL: write redis://[user:password@]host:6379[/db]');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError(
      `REDIS_URL starts with ${parsed.protocol}//: write redis://host:6379, or rediss:// for TLS`,
    );
  }
  if (parsed.search !== '') {
    throw new ConfigError('REDIS_URL has query parameters, which the gateway does not read: remove them');
  }
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,2}$/.test(path)) {
    throw new ConfigError(
      `REDIS_URL ends in /${path}: the path must be a database number, as in redis://host:6379/0`,
    );
  }
  // WHATWG URL keeps the brackets of an IPv6 host; the socket wants the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    ...(host !== '' ? { host } : {}),
    port: parsed.port === '' ? DEFAULT_PORT : Number(parsed.port),
    ...(parsed.username !== '' ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password !== '' ? { password: decodeURIComponent(parsed.password) } : {}),
    db: path === '' ? 0 : Number(path),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * The URL without its credentials, for logs and error messages. Everything up to the last `@` goes: a host
 * never holds one, while a password may hold `/` or an unencoded `@`.
 */
export function redactedUrl(url: string): string {
  return url.replace(/\/\/.*@/s, '//[redacted]@');
}
