import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { GatewayError, PROVIDER_IDS, ProviderId } from '@breakwater/contracts';
import { testConfig } from '@breakwater/testing';
import { LlmProviderAdapter } from './adapters/llm-provider.adapter';
import { ModelRouter } from './model-router';

/** A router over adapters that are configured exactly when listed in `configured`. */
function routerWith(configured: ProviderId[], env: Record<string, string> = {}): ModelRouter {
  const adapters: LlmProviderAdapter[] = PROVIDER_IDS.map((id) => ({
    id,
    configured: configured.includes(id),
    complete: () => Promise.reject(new Error('not called in routing')),
  }));
  return new ModelRouter(testConfig(env), adapters);
}

/** The GatewayError `resolve` throws, or a failure if it throws none. */
function refusal(router: ModelRouter, model: string, param?: string): GatewayError {
  try {
    router.resolve(model, param);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error(`${model} was routed`);
}

const where = (router: ModelRouter, model: string) => {
  const { provider, model: name } = router.resolve(model);
  return `${provider}/${name}`;
};

describe('ModelRouter', () => {
  it('routes provider/model as written', () => {
    const router = routerWith(['openai', 'mock']);
    expect(where(router, 'openai/gpt-4o-mini')).toBe('openai/gpt-4o-mini');
    expect(where(router, 'mock/echo')).toBe('mock/echo');
  });

  it.each([
    ['gpt-4o-mini', 'openai'],
    ['o1', 'openai'],
    ['o3-mini', 'openai'],
    ['o4-mini', 'openai'],
    ['chatgpt-4o-latest', 'openai'],
    ['claude-sonnet-4-5', 'anthropic'],
    ['gemini-2.5-flash', 'gemini'],
    ['deepseek-chat', 'deepseek'],
  ])('routes the bare name %s to %s by its prefix', (model, provider) => {
    const router = routerWith(['openai', 'anthropic', 'gemini', 'deepseek', 'mock']);
    expect(where(router, model)).toBe(`${provider}/${model}`);
  });

  it('routes every bare name to the mock while no real provider is configured', () => {
    const router = routerWith(['mock']);
    expect(where(router, 'gpt-4o-mini')).toBe('mock/gpt-4o-mini');
    expect(where(router, 'my-model')).toBe('mock/my-model');
  });

  it('refuses a bare name with no known prefix once a real provider is configured, naming the prefixes', () => {
    const error = refusal(routerWith(['openai', 'mock']), 'llama-3');
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', status: 400, param: 'model' });
    expect(error.message).toContain('"llama-3"');
    for (const prefix of ['gpt-', 'o1', 'o3', 'o4', 'chatgpt-', 'claude-', 'gemini-', 'deepseek-']) {
      expect(error.message).toContain(prefix);
    }
  });

  it('refuses a bare name whose provider is unconfigured as PROVIDER_NOT_CONFIGURED, naming the field', () => {
    const error = refusal(routerWith(['openai', 'mock']), 'claude-haiku-4-5', 'x-fallback-models');
    expect(error).toMatchObject({ code: 'PROVIDER_NOT_CONFIGURED', param: 'x-fallback-models' });
    expect(error.message).toContain('ANTHROPIC_API_KEY');
  });

  it('routes by prefix when neither a real provider nor the mock is configured, so the fix is named', () => {
    const error = refusal(routerWith([]), 'gpt-4o-mini');
    expect(error).toMatchObject({ code: 'PROVIDER_NOT_CONFIGURED' });
    expect(error.message).toContain('OPENAI_API_KEY');
  });

  it("sends every bare name to DEFAULT_MODEL's provider when it is set", () => {
    const router = routerWith(['openai', 'mock'], { DEFAULT_MODEL: 'mock/echo' });
    expect(where(router, 'gpt-4o-mini')).toBe('mock/gpt-4o-mini');
    expect(where(router, 'llama-3')).toBe('mock/llama-3');
  });

  it('logs the configured providers once at start-up', () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    routerWith(['openai', 'mock']).onApplicationBootstrap();
    routerWith([]).onApplicationBootstrap();
    expect(log.mock.calls.map(([message]) => message as string)).toEqual([
      'providers: openai, mock',
      'providers: none',
    ]);
    log.mockRestore();
  });

  describe('with MODELS_FILE aliases', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'router-')), 'models.yaml');
    writeFileSync(
      file,
      [
        'models:',
        '  fast: [anthropic/claude-haiku-4-5, openai/gpt-4o-mini]',
        '  gpt-4o: [openai/gpt-4o-mini]',
        '  local: [mock/echo]',
      ].join('\n'),
    );

    it('routes an alias to the first model of its route', () => {
      const router = routerWith(['openai', 'anthropic', 'mock'], { MODELS_FILE: file });
      expect(where(router, 'fast')).toBe('anthropic/claude-haiku-4-5');
      expect(where(router, 'local')).toBe('mock/echo');
    });

    it('lets an alias win over bare-name routing by prefix and over DEFAULT_MODEL', () => {
      expect(where(routerWith(['openai', 'mock'], { MODELS_FILE: file }), 'gpt-4o')).toBe(
        'openai/gpt-4o-mini',
      );
      const withDefault = routerWith(['openai', 'mock'], { MODELS_FILE: file, DEFAULT_MODEL: 'mock/echo' });
      expect(where(withDefault, 'gpt-4o')).toBe('openai/gpt-4o-mini');
    });

    it("refuses an alias whose first model's provider is unconfigured, naming the field and the fix", () => {
      const error = refusal(routerWith(['openai', 'mock'], { MODELS_FILE: file }), 'fast');
      expect(error).toMatchObject({ code: 'PROVIDER_NOT_CONFIGURED', param: 'model' });
      expect(error.message).toContain('ANTHROPIC_API_KEY');
    });

    it('warns at start-up of alias targets whose provider is unconfigured', () => {
      const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      routerWith(['openai', 'mock'], { MODELS_FILE: file }).onApplicationBootstrap();
      expect(warn.mock.calls.map(([message]) => message as string)).toEqual([
        'alias fast: anthropic/claude-haiku-4-5 will answer PROVIDER_NOT_CONFIGURED',
      ]);
      log.mockRestore();
      warn.mockRestore();
    });
  });
});
