import { ChainableCommander } from 'ioredis';

/**
 * Runs a pipeline; true when every command succeeded. ioredis resolves a pipeline even when its commands
 * fail one by one (as they all do on a fail-fast connection that is down), so each reply is checked.
 */
export async function execAll(pipeline: ChainableCommander): Promise<boolean> {
  try {
    const replies = await pipeline.exec();
    return replies !== null && replies.every(([error]) => !error);
  } catch {
    return false;
  }
}
