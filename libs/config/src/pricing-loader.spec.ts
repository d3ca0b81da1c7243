import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.error';
import { loadPricingFile } from './pricing-loader';

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'bw-pricing-')), name);
  writeFileSync(path, text);
  return path;
}

function refusal(document: unknown): { path: string; message: string } {
  const path = file('pricing.json', JSON.stringify(document));
  try {
    loadPricingFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { path, message: (error as Error).message };
  }
  throw new Error('loadPricingFile accepted the file');
}

describe('loadPricingFile', () => {
  it('reads YAML prices keyed provider/model', () => {
    const path = file(
      'pricing.yaml',
      `
models:
  openai/gpt-4o-mini: { input: 0.1, output: 0.5 }
  openrouter/meta-llama/llama-3.1-70b: { input: 0, output: 0.8 }
`,
    );
    expect(loadPricingFile(path)).toEqual({
      'openai/gpt-4o-mini': { input: 0.1, output: 0.5 },
      'openrouter/meta-llama/llama-3.1-70b': { input: 0, output: 0.8 },
    });
  });

  it('reads the shipped pricing.json as it is', () => {
    const path = join(__dirname, '../../llm-provider/src/pricing.json');
    const shipped = JSON.parse(readFileSync(path, 'utf8')) as { models: unknown };
    expect(loadPricingFile(path)).toEqual(shipped.models);
  });

  it('refuses an unknown field of an entry, naming the model and suggesting the field', () => {
    const { path, message } = refusal({ models: { 'openai/gpt-4o': { input: 1, ouput: 2, output: 2 } } });
    expect(message).toContain(`PRICING_FILE ${path}: models["openai/gpt-4o"].ouput is not a known field`);
    expect(message).toContain('did you mean `output`?');
  });

  it('refuses an unknown top-level field, suggesting `models`', () => {
    expect(refusal({ model: {} }).message).toContain('model is not a known field; did you mean `models`?');
  });

  it('says a price given as a string is a string', () => {
    const { message } = refusal({ models: { 'openai/gpt-4o': { input: '2.5', output: 10 } } });
    expect(message).toContain('models["openai/gpt-4o"].input must be a number, not the string "2.5"');
  });

  it.each([
    ['a negative price', { 'openai/gpt-4o': { input: -1, output: 1 } }, 'models["openai/gpt-4o"].input'],
    ['a missing price', { 'openai/gpt-4o': { input: 1 } }, 'models["openai/gpt-4o"].output'],
    ['an entry that is not a mapping', { 'openai/gpt-4o': 3 }, 'models["openai/gpt-4o"] must be a mapping'],
    ['a key without a model', { openai: { input: 1, output: 1 } }, 'models["openai"] must be provider/model'],
    ['a key with an empty model', { 'openai/': { input: 1, output: 1 } }, 'models["openai/"]'],
  ])('refuses %s, naming the entry', (_name, models, expected) => {
    expect(refusal({ models }).message).toContain(expected);
  });

  it('refuses an unknown provider, suggesting the closest', () => {
    const { message } = refusal({ models: { 'opneai/gpt-4o': { input: 1, output: 1 } } });
    expect(message).toContain('models["opneai/gpt-4o"]: unknown provider "opneai"');
    expect(message).toContain('did you mean `openai`?');
  });

  it.each([
    ['no models', {}],
    ['models as a list', { models: [{ input: 1, output: 1 }] }],
    ['a list', [1]],
  ])('refuses a file with %s', (_name, document) => {
    expect(refusal(document).message).toContain('models');
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadPricingFile('/nonexistent/pricing.yaml')).toThrow(
      'PRICING_FILE /nonexistent/pricing.yaml',
    );
  });
});
