import { RedisConnections } from '@breakwater/redis';
import { completionWith, testConfig } from '@breakwater/testing';
import { IDEMPOTENCY_LOCAL_MAX_BYTES, IdempotencyStore, IdempotentAnswer } from './idempotency.store';

/** Embedded mode: the connections are never opened, so Redis is unavailable throughout. */
function embeddedStore(): IdempotencyStore {
  const config = testConfig();
  return new IdempotencyStore(new RedisConnections(config), config);
}

function answerOf(chars: number): IdempotentAnswer {
  return { status: 200, provider: 'mock', model: 'echo', body: completionWith('x'.repeat(chars)) };
}

/** Claims `key` and stores an answer of `chars` characters for it, as a first request does. */
async function answer(store: IdempotencyStore, key: string, chars: number): Promise<void> {
  expect(await store.claim('caller', key)).toBeUndefined();
  await store.save('caller', key, answerOf(chars));
}

describe('IdempotencyStore in embedded mode', () => {
  it('replays a stored answer to a repeat', async () => {
    const store = embeddedStore();
    await answer(store, 'k', 10);
    expect(await store.claim('caller', 'k')).toMatchObject({ status: 200 });
  });

  it('forgets the oldest answers once IDEMPOTENCY_LOCAL_MAX_BYTES is exceeded', async () => {
    const store = embeddedStore();
    const chars = 1024 * 1024;
    const fits = Math.floor(IDEMPOTENCY_LOCAL_MAX_BYTES / chars);
    for (let i = 0; i <= fits; i++) await answer(store, `k${i}`, chars);
    // The first is gone: its key is free again. The last ones are still replayed.
    expect(await store.claim('caller', 'k0')).toBeUndefined();
    expect(await store.claim('caller', `k${fits}`)).toMatchObject({ status: 200 });
    expect(await store.claim('caller', `k${fits - 1}`)).toMatchObject({ status: 200 });
  });

  it('does not keep an answer larger than the whole cap, and keeps the others', async () => {
    const store = embeddedStore();
    await answer(store, 'small', 10);
    await answer(store, 'huge', IDEMPOTENCY_LOCAL_MAX_BYTES + 1);
    expect(await store.claim('caller', 'huge')).toBeUndefined();
    expect(await store.claim('caller', 'small')).toMatchObject({ status: 200 });
  });
});
