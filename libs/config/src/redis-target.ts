import { ConfigError } from './config.error';

/** One `host:port` of REDIS_CLUSTER_NODES or REDIS_SENTINELS. */
export interface RedisEndpoint {
  host: string;
  port: number;
}

/**
 * Where Redis is: one server (REDIS_URL), a Redis Cluster found from its seed nodes (`cluster`), or the
 * primary that Sentinel names (`sentinel`). `url` is always read for its credentials, database and TLS;
 * its host and port only for one server.
 */
export interface RedisTarget {
  url: string;
  cluster?: RedisEndpoint[];
  sentinel?: { nodes: RedisEndpoint[]; name: string };
}

const MAX_ENDPOINTS = 64;
/** `host:port`, `[v6]:port`; a host is letters, digits, `.`, `-`, `_` (a name or an IPv4 address). */
const ENDPOINT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]{1,253})):(\d{1,5})$/;

interface RedisEnvironment {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME?: string;
}

/** The Redis target of the environment; a ConfigError names the variable and the fix. */
export function redisTarget(env: RedisEnvironment): RedisTarget {
  const { REDIS_URL: url, REDIS_CLUSTER_NODES: cluster, REDIS_SENTINELS: sentinels } = env;
  const name = env.REDIS_SENTINEL_NAME;
  if (cluster !== undefined && sentinels !== undefined) {
    throw new ConfigError(
      'REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set: a Redis Cluster fails over by itself, set only one',
    );
  }
  if (cluster !== undefined) return { url, cluster: endpoints('REDIS_CLUSTER_NODES', cluster) };
  if (sentinels === undefined) {
    if (name !== undefined) {
      throw new ConfigError(
        'REDIS_SENTINEL_NAME is set without REDIS_SENTINELS: list the sentinels as host:port,...',
      );
    }
    return { url };
  }
  if (name === undefined) {
    throw new ConfigError(
      'REDIS_SENTINELS is set without REDIS_SENTINEL_NAME: name the primary the sentinels monitor (e.g. mymaster)',
    );
  }
  return { url, sentinel: { nodes: endpoints('REDIS_SENTINELS', sentinels), name } };
}

function endpoints(variable: string, list: string): RedisEndpoint[] {
  const items = list.split(',').map((item) => item.trim());
  if (items.length > MAX_ENDPOINTS) {
    throw new ConfigError(`${variable} lists ${items.length} nodes: at most ${MAX_ENDPOINTS}`);
  }
  return items.map((item, index) => {
    const match = ENDPOINT.exec(item);
    const port = match ? Number(match[3]) : 0;
    if (!match || port < 1 || port > 65535) {
      throw new ConfigError(
        `${variable} item ${index + 1} ("${item.slice(0, 64)}") is not host:port: write e.g. ${variable}=10.0.0.1:6379,10.0.0.2:6379`,
      );
    }
    return { host: match[1] ?? match[2], port };
  });
}
