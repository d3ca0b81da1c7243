import calculateSlot from 'cluster-key-slot';
import { budgetKey, reservationsKey, slotsKey, windowKey } from './rate-limit-keys';

const DAY = '2026-11-30';
/** Subjects as requests make them: callers, `<caller>:<end user>` with any printable ASCII, the gateway. */
const SUBJECTS = [
  'acme',
  '@all',
  'acme:alice',
  'acme:{x',
  'acme:{x}',
  'acme:a}b',
  'acme:}{',
  'acme:{a}b{c}',
  'acme:{}',
];

describe('rate-limit keys on a Redis Cluster', () => {
  it.each(SUBJECTS)('puts the budget hash and reservation set of %s in one slot', (subject) => {
    expect(calculateSlot(reservationsKey(DAY, subject))).toBe(calculateSlot(budgetKey(DAY, subject)));
  });

  it.each(SUBJECTS)('puts every window of %s in one slot', (subject) => {
    const slots = ['minute', 'hour', 'day'].map((window) =>
      calculateSlot(windowKey('end_user', window, subject)),
    );
    expect(new Set(slots).size).toBe(1);
  });

  it('keeps the budget hash name of every subject without a `}`, so its day of spend survives an upgrade', () => {
    expect(budgetKey(DAY, 'acme')).toBe('bw:budget:h:2026-11-30:acme');
    expect(budgetKey(DAY, 'acme:alice')).toBe('bw:budget:h:2026-11-30:acme:alice');
    expect(budgetKey(DAY, 'acme:{x')).toBe('bw:budget:h:2026-11-30:acme:{x');
    expect(budgetKey(DAY, '@all')).toBe('bw:budget:h:2026-11-30:@all');
    expect(reservationsKey(DAY, 'acme')).toBe('{bw:budget:h:2026-11-30:acme}:r');
    expect(slotsKey('acme:alice')).toBe('bw:conc:acme:alice');
  });

  it('spells a subject with a `}` so that no two subjects share a hash', () => {
    const hashes = new Set(
      ['acme:a}b', 'acme:a%7Db', 'acme:a%257Db', 'acme:a}b}'].map((subject) => budgetKey(DAY, subject)),
    );
    expect(hashes.size).toBe(4);
    expect(budgetKey(DAY, 'acme:a}b')).toBe('bw:budget:hu:2026-11-30:acme%3Aa%7Db');
  });

  it('names a window by its scope and subject in the hash tag, its length after', () => {
    expect(windowKey('caller', 'minute', 'acme')).toBe('bw:win:{caller:acme}:minute');
    expect(windowKey('global', 'hour', 'all')).toBe('bw:win:{global:all}:hour');
  });
});
