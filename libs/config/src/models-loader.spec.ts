import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.error';
import { loadConfig } from './load-config';
import { MAX_ALIASES } from './models-file.schema';
import { loadModelsFile } from './models-loader';

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'bw-models-')), name);
  writeFileSync(path, text);
  return path;
}

function refusal(document: unknown): { path: string; message: string } {
  const path = file('models.json', JSON.stringify(document));
  try {
    loadModelsFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { path, message: (error as Error).message };
  }
  throw new Error('loadModelsFile accepted the file');
}

describe('loadModelsFile', () => {
  it('reads the long and the short form of an alias from YAML', () => {
    const path = file(
      'models.yaml',
      `
models:
  fast: [openai/gpt-4o-mini, anthropic/claude-haiku-4-5]
  careful:
    route: [anthropic/claude-sonnet-4-5]
    defaults: { temperature: 0.2, max_tokens: 512, top_p: 0.9 }
    price: { input_per_million: 2, output_per_million: 10 }
`,
    );
    const { aliases, prices } = loadModelsFile(path);
    expect(aliases.get('fast')).toEqual({
      route: ['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5'],
      defaults: {},
    });
    expect(aliases.get('careful')).toEqual({
      route: ['anthropic/claude-sonnet-4-5'],
      defaults: { temperature: 0.2, max_tokens: 512, top_p: 0.9 },
      price: { input: 2, output: 10 },
    });
    expect(prices).toEqual({ 'anthropic/claude-sonnet-4-5': { input: 2, output: 10 } });
  });

  it('reads the shipped models.example.yaml as it is', () => {
    const { aliases } = loadModelsFile(join(__dirname, '../../../models.example.yaml'));
    expect([...aliases.keys()]).toEqual(['fast', 'judge', 'support-bot', 'local']);
    expect(aliases.get('judge')?.defaults).toEqual({ temperature: 0, max_tokens: 1024 });
  });

  it('refuses an unknown field, naming its path and suggesting the field', () => {
    const { path, message } = refusal({ models: { fast: { route: ['openai/gpt-4o'], defualts: {} } } });
    expect(message).toContain(`MODELS_FILE ${path}: models.fast.defualts is not a known field`);
    expect(message).toContain('did you mean `defaults`?');
    expect(
      refusal({ models: { fast: { route: ['openai/gpt-4o'], defaults: { temprature: 1 } } } }).message,
    ).toContain('models.fast.defaults.temprature is not a known field');
    expect(refusal({ model: {} }).message).toContain('model is not a known field; did you mean `models`?');
  });

  it('refuses a route naming an unknown provider, suggesting the close one', () => {
    const { message } = refusal({ models: { fast: ['openai/gpt-4o-mini', 'antropic/claude-haiku-4-5'] } });
    expect(message).toContain('models["fast"].route[1]: unknown provider "antropic"');
    expect(message).toContain('did you mean `anthropic`?');
  });

  it('refuses a route entry that is not provider/model, and an empty or overlong route', () => {
    expect(refusal({ models: { fast: ['gpt-4o-mini'] } }).message).toContain(
      'models["fast"].route[0] must be provider/model',
    );
    expect(refusal({ models: { fast: ['openai/bad name'] } }).message).toContain('must be provider/model');
    expect(refusal({ models: { fast: [] } }).message).toContain('route must be a non-empty list');
    expect(refusal({ models: { fast: Array(7).fill('openai/gpt-4o') } }).message).toContain(
      'route lists at most 6 models',
    );
  });

  it('refuses an alias name with a slash or other characters a model name cannot hold', () => {
    expect(refusal({ models: { 'my/fast': ['openai/gpt-4o'] } }).message).toContain('no "/"');
    expect(refusal({ models: { 'fast one': ['openai/gpt-4o'] } }).message).toContain('an alias name is');
  });

  it('refuses defaults out of range and strings for numbers', () => {
    const { message } = refusal({
      models: { fast: { route: ['openai/gpt-4o'], defaults: { temperature: 3, max_tokens: '100' } } },
    });
    expect(message).toContain('models.fast.defaults.temperature');
    expect(message).toContain('models.fast.defaults.max_tokens must be a number, not the string "100"');
  });

  it('refuses two aliases that price the same model differently', () => {
    const { message } = refusal({
      models: {
        a: { route: ['openai/gpt-4o'], price: { input_per_million: 1, output_per_million: 2 } },
        b: { route: ['openai/gpt-4o'], price: { input_per_million: 3, output_per_million: 2 } },
      },
    });
    expect(message).toContain('openai/gpt-4o is priced differently by alias "a"');
  });

  it('refuses more aliases than it keeps', () => {
    const models = Object.fromEntries(
      Array.from({ length: MAX_ALIASES + 1 }, (_, index) => [`a${index}`, ['mock/echo']]),
    );
    expect(refusal({ models }).message).toContain(`at most ${MAX_ALIASES}`);
  });

  it('refuses an alias name that would reach an object prototype rather than drop it', () => {
    expect(refusal({ models: { constructor: ['mock/echo'] } }).message).toContain(
      'models["constructor"]: this name is reserved',
    );
  });

  it('is read by loadConfig from MODELS_FILE, with the callers models allow-lists', () => {
    const models = file('models.yaml', 'models:\n  fast: [mock/echo]\n');
    const callers = file(
      'callers.yaml',
      [
        'callers:',
        '  - { id: app, key: app-key-0123456789abcdef, models: ["fast", "openai/*"] }',
        '  - { id: all, key: all-key-0123456789abcdef }',
      ].join('\n'),
    );
    const config = loadConfig({ NODE_ENV: 'test', MODELS_FILE: models, CALLERS_FILE: callers });
    expect(config.models.aliases.get('fast')?.route).toEqual(['mock/echo']);
    const allowed = config.callers.allowedModels.get('app');
    expect(allowed?.allows('openai/gpt-4o')).toBe(true);
    expect(allowed?.allows('anthropic/claude-haiku-4-5')).toBe(false);
    expect(config.callers.allowedModels.has('all')).toBe(false);
    expect(() =>
      loadConfig({ NODE_ENV: 'test', MODELS_FILE: file('bad.yaml', 'models: {x: [nope/m]}') }),
    ).toThrow('unknown provider "nope"');
  });

  it('refuses a callers models entry with characters a model pattern cannot hold', () => {
    const callers = file(
      'callers.yaml',
      'callers:\n  - { id: app, key: app-key-0123456789abcdef, models: ["a b"] }\n',
    );
    expect(() => loadConfig({ NODE_ENV: 'test', CALLERS_FILE: callers })).toThrow('callers[0].models');
  });
});
