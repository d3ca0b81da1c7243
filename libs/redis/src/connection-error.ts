import { ChainableCommander } from 'ioredis';

/** What ioredis rejects a command with when the connection closed under it (CONNECTION_CLOSED_ERROR_MSG). */
const CONNECTION_CLOSED = 'Connection is closed.';
/** What the fail-fast client (no offline queue) rejects a command with while it is not connected. */
const NOT_WRITABLE = "Stream isn't writeable";
/** The same from a fail-fast cluster client, and a cluster client that could reach none of its nodes. */
const CLUSTER_NOT_READY = "Cluster isn't ready";
const CLUSTER_UNREACHABLE = 'None of startup nodes is available';
/**
 * A cluster that cannot serve the slot: a primary failed and no replica took over (with the default
 * cluster-require-full-coverage, every slot then answers this). The server says so, but it is an outage,
 * not a refused command: the request is answered as in embedded mode, as for a lost connection.
 */
const CLUSTER_DOWN = 'CLUSTERDOWN';
/** A cluster client that kept being sent elsewhere (a node gone, slots moving) until it gave up. */
const CLUSTER_REDIRECTED = 'Too many Cluster redirections';
/**
 * ioredis's AbortError (a command flushed on close) and MaxRetriesPerRequestError (its one retry lost too);
 * BullMQ's ConnectionClosedError (its connection closed before or under a command).
 */
const CONNECTION_ERROR_NAMES = new Set([
  'AbortError',
  'MaxRetriesPerRequestError',
  'ConnectionClosedError',
  'ClusterAllFailedError',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether a failed Redis command failed for the connection's sake (it was never sent, or its reply was
 * lost) rather than being refused by the server (a ReplyError: a script's error, a wrong type) or failing
 * in our code. Only the first kind may turn into embedded mode. ioredis has no error class for the plain
 * cases, so they are told by the messages it uses for them. BullMQ's own isNotConnectionError misses the
 * fail-fast client's errors (no offline queue, one retry), hence this list.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (CONNECTION_ERROR_NAMES.has(error.name)) return true;
  const { message } = error;
  if (message === CONNECTION_CLOSED || message.startsWith(NOT_WRITABLE)) return true;
  if (message.startsWith(CLUSTER_NOT_READY) || message.startsWith(CLUSTER_UNREACHABLE)) return true;
  if (message.startsWith(CLUSTER_DOWN) || message.startsWith(CLUSTER_REDIRECTED)) return true;
  // A transaction the server discarded (EXECABORT) because its commands could not be queued, for the
  // reasons above.
  const previous = (error as { previousErrors?: unknown }).previousErrors;
  if (Array.isArray(previous) && previous.length > 0) return previous.every(isConnectionError);
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && NETWORK_CODES.has(code);
}

/**
 * The replies of a pipeline or transaction, or the first command's error thrown. ioredis resolves a
 * pipeline even when its commands fail one by one (as they all do on a fail-fast connection that is
 * down); thrown, that failure reaches RedisConnections.sharedOr like any other command's.
 */
export async function execOrThrow(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = await pipeline.exec();
  if (replies === null) throw new Error('Redis discarded the transaction');
  const failed = replies.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
  return replies.map(([, reply]) => reply);
}
