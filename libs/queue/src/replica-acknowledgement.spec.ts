import { Logger } from '@nestjs/common';
import { REPLICA_WAIT_MS, ReplicaAcknowledgement } from './replica-acknowledgement';

/**
 * A connection whose WAITs are answered by hand, in order: `answer(n)` settles the oldest with n replicas.
 * ROLE answers as a primary with `online` replicas.
 */
function connection() {
  const pending: ((replicas: number) => void)[] = [];
  const sent: [number, number][] = [];
  const state = { online: 1, roles: 0 };
  const client = {
    wait: (replicas: number, timeoutMs: number) => {
      sent.push([replicas, timeoutMs]);
      return new Promise<number>((resolve) => pending.push(resolve));
    },
    role: () => {
      state.roles++;
      const replicas = Array.from({ length: state.online }, () => ['127.0.0.1', '6380', '100']);
      return Promise.resolve(['master', 100, replicas]);
    },
  };
  const answer = async (replicas: number): Promise<void> => {
    pending.shift()?.(replicas);
    // Let the settled WAIT's continuations (the next WAIT being sent) run.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { client, sent, answer, state };
}

describe('ReplicaAcknowledgement', () => {
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('asks one replica within REPLICA_WAIT_MS and resolves only when the WAIT answers', async () => {
    const { client, sent, answer } = connection();
    const replicas = new ReplicaAcknowledgement(() => Promise.resolve(client));
    let done = false;
    const acknowledged = replicas.acknowledged().then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([[1, REPLICA_WAIT_MS]]);
    expect(done).toBe(false);
    await answer(1);
    await acknowledged;
    expect(done).toBe(true);
  });

  it('shares one WAIT among everyone who arrives while another is on the wire, sent after it', async () => {
    const { client, sent, answer } = connection();
    const replicas = new ReplicaAcknowledgement(() => Promise.resolve(client));
    const first = replicas.acknowledged();
    await new Promise((resolve) => setImmediate(resolve));
    // These writes may have been answered after the first WAIT was sent: it does not cover them.
    const later = Array.from({ length: 20 }, () => replicas.acknowledged());
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(1);
    await answer(1);
    await first;
    expect(sent).toHaveLength(2);
    await answer(1);
    await Promise.all(later);
    expect(sent).toHaveLength(2);
  });

  it('answers without a replica, warning once per transition, not per job', async () => {
    const { client, answer } = connection();
    const replicas = new ReplicaAcknowledgement(() => Promise.resolve(client));
    for (const acknowledgedBy of [0, 0, 0, 1, 1, 0]) {
      const acknowledged = replicas.acknowledged();
      await new Promise((resolve) => setImmediate(resolve));
      await answer(acknowledgedBy);
      await acknowledged;
    }
    expect(warn).toHaveBeenCalledTimes(2);
    expect(log).toHaveBeenCalledTimes(1);
  });

  it('once a WAIT ran out, asks ROLE first and answers at once while no replica is online', async () => {
    const { client, sent, answer, state } = connection();
    const replicas = new ReplicaAcknowledgement(() => Promise.resolve(client));
    const timedOut = replicas.acknowledged();
    await new Promise((resolve) => setImmediate(resolve));
    await answer(0);
    await timedOut;
    expect(state.roles).toBe(0);

    state.online = 0;
    await Promise.all([replicas.acknowledged(), replicas.acknowledged()]);
    // The second arrived while the first's round was on the wire: it has a round of its own.
    expect(sent).toHaveLength(1);
    expect(state.roles).toBe(2);

    state.online = 1;
    const back = replicas.acknowledged();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(2);
    await answer(1);
    await back;
    expect(warn).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledTimes(1);
  });

  it('rejects with the connection error, and the next caller sends a WAIT of its own', async () => {
    const lost = new Error('Connection is closed.');
    const client = { wait: jest.fn().mockRejectedValueOnce(lost).mockResolvedValueOnce(1), role: jest.fn() };
    const replicas = new ReplicaAcknowledgement(() => Promise.resolve(client));
    const first = replicas.acknowledged();
    const second = replicas.acknowledged();
    await expect(first).rejects.toBe(lost);
    await expect(second).resolves.toBeUndefined();
    expect(client.wait).toHaveBeenCalledTimes(2);
  });
});
