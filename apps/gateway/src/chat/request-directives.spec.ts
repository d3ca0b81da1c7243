import { GatewayError } from '@breakwater/contracts';
import { directivesOf } from './request-directives';

function paramOf(headers: Record<string, string>): string | undefined {
  try {
    directivesOf(headers);
    return undefined;
  } catch (error) {
    return error instanceof GatewayError ? error.param : 'not a GatewayError';
  }
}

describe('directivesOf: x-fallback-models', () => {
  it('keeps real model ids in order', () => {
    const header =
      'openrouter/meta-llama/llama-3.1-8b-instruct:free, openai/ft:gpt-4o-mini:org:name:id,gemini-2.5-flash';
    expect(directivesOf({ 'x-fallback-models': header }).fallbackModels).toEqual([
      'openrouter/meta-llama/llama-3.1-8b-instruct:free',
      'openai/ft:gpt-4o-mini:org:name:id',
      'gemini-2.5-flash',
    ]);
  });

  it.each([
    ['a space inside an entry', 'mock/a b'],
    ['a quote', 'mock/"a"'],
    ['a tab', 'mock/a\tb'],
    ['latin-1 bytes as Node decodes them', 'mock/\u00e9'],
    ['an entry of 257 characters', `mock/${'m'.repeat(252)}`],
  ])('refuses %s, naming the header', (_name, entry) => {
    expect(paramOf({ 'x-fallback-models': `mock/ok,${entry}` })).toBe('x-fallback-models');
  });
});
