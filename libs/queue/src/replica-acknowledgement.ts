import { Logger } from '@nestjs/common';

/** How long a 202 waits for a replica to hold its job before it is answered anyway. */
export const REPLICA_WAIT_MS = 500;

/** What this needs of a connection: Redis's WAIT, and ROLE (the replicas online, third in a primary's reply). */
interface ReplicatedConnection {
  wait(replicas: number, timeoutMs: number): Promise<number>;
  role(): Promise<unknown[]>;
}

/**
 * Makes the writes of one connection reach a replica before they are acknowledged (Redis's WAIT), for a
 * primary that Sentinel may replace. Redis replicates asynchronously: a job the primary stored but had not
 * yet sent on is lost when the primary dies and its replica is promoted, though its 202 said durable.
 *
 * WAIT covers every write its connection made before it, and blocks that connection while it waits, so one
 * WAIT per job would queue each behind the last (half a second each with no replica online). Callers share
 * WAITs instead: one is on the wire at a time, and everyone who arrives meanwhile shares the next one, which
 * is sent after their writes were answered.
 *
 * When no replica acknowledges within REPLICA_WAIT_MS the job is answered all the same: with no replica
 * online (the old primary is dead and not yet back as a replica) nothing better can be done than keep the
 * job on the primary alone. A warning is logged once per transition, never per job. From then on each round
 * asks ROLE first and sends WAIT only once a replica is online again, so a primary left without replicas
 * costs a round trip per 202, not REPLICA_WAIT_MS.
 */
export class ReplicaAcknowledgement {
  private readonly logger = new Logger('LlmQueue');
  private current?: Promise<void>;
  private following?: Promise<void>;
  private unreplicated = false;

  /**
   * `connection` gives the client whose writes must be covered. BullMQ types its client by the commands
   * BullMQ itself sends; under that type is an ioredis client, which has WAIT and ROLE.
   */
  constructor(private readonly connection: () => Promise<object>) {}

  /** Resolves once a replica holds every write the connection made before this call, or the wait ran out. */
  acknowledged(): Promise<void> {
    if (!this.current) return this.start();
    this.following ??= this.current
      .catch(() => undefined)
      .then(() => {
        this.following = undefined;
        return this.start();
      });
    return this.following;
  }

  private start(): Promise<void> {
    const round = this.waitForReplica().finally(() => {
      if (this.current === round) this.current = undefined;
    });
    this.current = round;
    return round;
  }

  private async waitForReplica(): Promise<void> {
    const connection = waitingOf(await this.connection());
    if (this.unreplicated && !(await replicaOnline(connection))) return;
    const unreplicated = (await connection.wait(1, REPLICA_WAIT_MS)) < 1;
    if (unreplicated === this.unreplicated) return;
    this.unreplicated = unreplicated;
    if (unreplicated) {
      this.logger.warn(
        `no replica acknowledged queued jobs within ${REPLICA_WAIT_MS} ms: they are kept on the primary alone ` +
          'and a failover before a replica catches up loses them',
      );
    } else {
      this.logger.log('a replica acknowledges queued jobs again');
    }
  }
}

function waitingOf(client: object): ReplicatedConnection {
  if (!('wait' in client && typeof client.wait === 'function' && 'role' in client)) {
    throw new TypeError('the queue client has no WAIT or ROLE command: it is not an ioredis client');
  }
  return client as ReplicatedConnection;
}

async function replicaOnline(connection: ReplicatedConnection): Promise<boolean> {
  const replicas = (await connection.role())[2];
  return Array.isArray(replicas) && replicas.length > 0;
}
