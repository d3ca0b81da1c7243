import { ModelAllowList } from './model-glob';

describe('ModelAllowList', () => {
  it('matches names exactly when the pattern has no star', () => {
    const list = new ModelAllowList(['fast', 'openai/gpt-4o-mini']);
    expect(list.allows('fast')).toBe(true);
    expect(list.allows('openai/gpt-4o-mini')).toBe(true);
    expect(list.allows('faster')).toBe(false);
    expect(list.allows('openai/gpt-4o')).toBe(false);
  });

  it('lets a star stand for any run of characters, slashes included', () => {
    const list = new ModelAllowList(['openai/*', 'openrouter/*:free', '*-mini']);
    expect(list.allows('openai/gpt-4o')).toBe(true);
    expect(list.allows('openrouter/meta-llama/llama-3.1-8b-instruct:free')).toBe(true);
    expect(list.allows('openrouter/meta-llama/llama-3.1-8b-instruct')).toBe(false);
    expect(list.allows('o4-mini')).toBe(true);
    expect(list.allows('anthropic/claude-haiku-4-5')).toBe(false);
  });

  it('treats every other character literally, dots and pluses included', () => {
    const list = new ModelAllowList(['gpt-4.1', 'a+b']);
    expect(list.allows('gpt-4.1')).toBe(true);
    expect(list.allows('gpt-4x1')).toBe(false);
    expect(list.allows('a+b')).toBe(true);
    expect(list.allows('aab')).toBe(false);
  });

  it('allows nothing when empty', () => {
    expect(new ModelAllowList([]).allows('fast')).toBe(false);
  });

  it('stays fast on a hostile pattern of many stars against a long name', () => {
    const list = new ModelAllowList(['*a*a*a*a*a*a*a*a*a*a*a*a*b']);
    const started = performance.now();
    expect(list.allows('a'.repeat(256))).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
