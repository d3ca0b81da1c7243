import { WindowState, headersOf, refunded, retryAfterOf, tightestWindow } from './rate-limit-headers';

const state = (over: Partial<WindowState>): WindowState => ({
  scope: 'caller',
  window: 'minute',
  limit: 10,
  remaining: 5,
  resetMs: 30_000,
  refused: false,
  ...over,
});

describe('rate-limit headers', () => {
  it('reports the window with the fewest requests left', () => {
    const minute = state({ limit: 5, remaining: 1, resetMs: 40_000 });
    const day = state({ window: 'day', limit: 1000, remaining: 900, resetMs: 80_000_000 });
    expect(tightestWindow([day, minute])).toBe(minute);
    expect(headersOf(minute)).toEqual({
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '1',
      'x-ratelimit-reset': '40',
    });
  });

  it('on a tie reports the window that resets last, since the other frees nothing beyond it', () => {
    const minute = state({ limit: 5, remaining: 3, resetMs: 20_000 });
    const day = state({ window: 'day', limit: 100, remaining: 3, resetMs: 3_600_000 });
    expect(tightestWindow([minute, day])).toBe(day);
    expect(tightestWindow([])).toBeUndefined();
  });

  it('rounds reset up to whole seconds so a client that waits it is never early', () => {
    expect(headersOf(state({ resetMs: 1 }))['x-ratelimit-reset']).toBe('1');
    expect(headersOf(state({ resetMs: 59_001 }))['x-ratelimit-reset']).toBe('60');
    expect(headersOf(state({ resetMs: 0 }))['x-ratelimit-reset']).toBe('0');
  });

  it('Retry-After waits for every refusing window, at least one second', () => {
    const states = [
      state({ refused: true, remaining: 0, resetMs: 12_300 }),
      state({ scope: 'global', refused: true, remaining: 0, resetMs: 45_100 }),
      state({ window: 'day', resetMs: 80_000_000 }),
    ];
    expect(retryAfterOf(states)).toBe(46);
    expect(retryAfterOf([state({ refused: true, remaining: 0, resetMs: 10 })])).toBe(1);
  });

  it('gives the refused request back to the windows that admitted it, not to the one that refused', () => {
    const [admitted, refusing, full] = refunded([
      state({ remaining: 4 }),
      state({ remaining: 0, refused: true }),
      state({ limit: 3, remaining: 3 }),
    ]);
    expect(admitted.remaining).toBe(5);
    expect(refusing.remaining).toBe(0);
    expect(full.remaining).toBe(3);
  });
});
