import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from './callers-loader';
import { ConfigError } from './config.error';
import { loadConfig } from './load-config';

describe('loadConfig', () => {
  it('gives the contract defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({
      port: 3000,
      workerPort: 3001,
      host: '127.0.0.1',
      maxBodyBytes: 1048576,
      maxJsonDepth: 64,
      shutdownDrainMs: 5000,
    });
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.workers).toEqual({ run: true, concurrency: 10 });
    expect(config.models.defaultModel).toBeUndefined();
    expect(config.resilience).toMatchObject({
      llmTimeoutMs: 15000,
      requestTimeoutMs: 20000,
      retryMaxAttempts: 3,
      immediateRetryAfterSeconds: 2,
    });
    expect(config.queue).toMatchObject({ maxSize: 1000, highWatermark: 0.8, lowWatermark: 0.6 });
    expect(config.webhooks.allowedHosts).toEqual([]);
    expect(config.providers.openai).toEqual({ apiKey: undefined, baseUrl: undefined, rpm: 0 });
    expect(config.callers.devCaller).toBe(true);
    expect(config.callers.list.map((c) => c.id)).toEqual(['dev']);
  });

  it('parses numbers, booleans, lists and provider settings', () => {
    const config = loadConfig({
      PORT: '8080',
      RUN_WORKERS: 'false',
      LLM_TIMEOUT_SECONDS: '2.5',
      WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com, Other.example.com ,',
      ANTHROPIC_API_KEY: 'sk-ant-x',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999',
      ANTHROPIC_RPM: '60',
    });
    expect(config.http.port).toBe(8080);
    expect(config.workers.run).toBe(false);
    expect(config.resilience.llmTimeoutMs).toBe(2500);
    expect(config.webhooks.allowedHosts).toEqual(['hooks.example.com', 'other.example.com']);
    expect(config.providers.anthropic).toEqual({
      apiKey: 'sk-ant-x',
      baseUrl: 'http://127.0.0.1:9999',
      rpm: 60,
    });
  });

  it('treats NAME= (empty) as unset', () => {
    expect(loadConfig({ PORT: '', OPENAI_API_KEY: '' }).http.port).toBe(3000);
    expect(loadConfig({ OPENAI_API_KEY: '' }).providers.openai.apiKey).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['RUN_WORKERS', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['REDIS_URL', 'http://localhost'],
    ['MOCK_FAILURE_RATE', '2'],
    ['QUEUE_HIGH_WATERMARK', '1.5'],
    ['OPENAI_RPM', '-1'],
    ['GEMINI_BASE_URL', 'not a url'],
    ['IMMEDIATE_RETRY_AFTER_SECONDS', '0'],
    ['IMMEDIATE_RETRY_AFTER_SECONDS', '1.5'],
    ['IMMEDIATE_RETRY_AFTER_SECONDS', 'soon'],
    ['DEFAULT_MODEL', 'gpt-4o'],
  ])('stops with a message naming %s when it is %p', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('keeps DEFAULT_MODEL and IMMEDIATE_RETRY_AFTER_SECONDS when given', () => {
    const config = loadConfig({ DEFAULT_MODEL: 'mock/echo', IMMEDIATE_RETRY_AFTER_SECONDS: '5' });
    expect(config.models.defaultModel).toBe('mock/echo');
    expect(config.resilience.immediateRetryAfterSeconds).toBe(5);
  });

  it("keeps each caller's processing_mode by id, and none for callers without one", () => {
    expect(loadConfig({}).callers.processingModes.size).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
    const file = join(dir, 'callers.json');
    const callers = [
      { id: 'sdk', key: 'a-long-key-0000-0001', processing_mode: 'immediate' },
      { id: 'constructor', key: 'a-long-key-0000-0002' },
    ];
    writeFileSync(file, JSON.stringify(callers));
    const modes = loadConfig({ CALLERS_FILE: file }).callers.processingModes;
    expect(modes.get('sdk')).toBe('immediate');
    expect(modes.get('constructor')).toBeUndefined();
  });

  it('reads the gateway-wide limits (0: none) and stops on a wrong one, naming it and the fix', () => {
    expect(loadConfig({}).rateLimit).toEqual({
      perMinute: 500,
      globalPerMinute: 0,
      globalPerHour: 0,
      globalConcurrency: 0,
      globalTokensPerDay: 0,
      globalCostUsdPerDay: 0,
    });
    expect(
      loadConfig({
        GLOBAL_CONCURRENCY: '100',
        GLOBAL_RATE_LIMIT_PER_HOUR: '1000',
        GLOBAL_TOKENS_PER_DAY: '5000000',
        GLOBAL_COST_USD_PER_DAY: '100.5',
      }).rateLimit,
    ).toMatchObject({
      globalConcurrency: 100,
      globalPerHour: 1000,
      globalTokensPerDay: 5000000,
      globalCostUsdPerDay: 100.5,
    });
    expect(() => loadConfig({ GLOBAL_CONCURRENCY: '-1' })).toThrow(
      'Invalid environment variable GLOBAL_CONCURRENCY: GLOBAL_CONCURRENCY must be a whole number of requests in flight, 0 for no limit (e.g. GLOBAL_CONCURRENCY=100) (got "-1")',
    );
    expect(() => loadConfig({ GLOBAL_RATE_LIMIT_PER_HOUR: '1.5' })).toThrow(
      /GLOBAL_RATE_LIMIT_PER_HOUR must be a whole number of requests per hour/,
    );
    expect(() => loadConfig({ GLOBAL_TOKENS_PER_DAY: 'lots' })).toThrow(
      /GLOBAL_TOKENS_PER_DAY must be a whole number/,
    );
    expect(() => loadConfig({ GLOBAL_COST_USD_PER_DAY: '$100' })).toThrow(
      /GLOBAL_COST_USD_PER_DAY must be a number of US dollars, 0 for no limit/,
    );
  });

  it("keeps each caller's priority and max_priority by id", () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
    const file = join(dir, 'callers.json');
    const callers = [
      { id: 'bulk', key: 'a-long-key-0000-0001', priority: 'low', max_priority: 'normal' },
      { id: 'plain', key: 'a-long-key-0000-0002' },
    ];
    writeFileSync(file, JSON.stringify(callers));
    const priorities = loadConfig({ CALLERS_FILE: file }).callers.priorities;
    expect(priorities.get('bulk')).toEqual({ priority: 'low', maxPriority: 'normal' });
    expect(priorities.has('plain')).toBe(false);
  });

  it('never echoes a key in its message', () => {
    expect(() => loadConfig({ OPENAI_API_KEY: 'x'.repeat(5000) })).toThrow(/OPENAI_API_KEY/);
    expect(() => loadConfig({ OPENAI_API_KEY: 'x'.repeat(5000) })).not.toThrow(/xxxx/);
  });

  it('wants the low watermark below the high one', () => {
    expect(() => loadConfig({ QUEUE_LOW_WATERMARK: '0.9' })).toThrow('QUEUE_LOW_WATERMARK');
  });

  it('refuses to start in production without callers, and starts with them', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('CALLERS_FILE');
    const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
    const file = join(dir, 'callers.json');
    writeFileSync(file, JSON.stringify([{ id: 'svc', key: 'a-long-key-0000-0001' }]));
    const config = loadConfig({ NODE_ENV: 'production', CALLERS_FILE: file });
    expect(config.callers).toMatchObject({ devCaller: false, file });
    expect(config.callers.list.map((c) => c.id)).toEqual(['svc']);
  });

  it('loads PRICING_FILE into pricing.models, and stops on a mistake in it', () => {
    expect(loadConfig({}).pricing).toEqual({ file: undefined, models: {}, aliasPrices: {} });
    const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
    const file = join(dir, 'pricing.yaml');
    writeFileSync(file, 'models:\n  openai/gpt-4o: { input: 2, output: 8 }\n');
    expect(loadConfig({ PRICING_FILE: file }).pricing).toEqual({
      file,
      models: { 'openai/gpt-4o': { input: 2, output: 8 } },
      aliasPrices: {},
    });
    writeFileSync(file, 'models:\n  openai/gpt-4o: { input: 2, outptu: 8 }\n');
    expect(() => loadConfig({ PRICING_FILE: file })).toThrow(ConfigError);
    expect(() => loadConfig({ PRICING_FILE: file })).toThrow('models["openai/gpt-4o"].outptu');
  });

  it('refuses in production a caller whose key is published in the examples, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
    const file = join(dir, 'callers.yaml');
    writeFileSync(file, readFileSync(join(__dirname, '../../../callers.example.yaml')));
    expect(() => loadConfig({ NODE_ENV: 'production', CALLERS_FILE: file })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', CALLERS_FILE: file })).toThrow(
      /callers\[0\] \(admin\) uses a key published in Breakwater's examples.*replace it/,
    );
    expect(loadConfig({ NODE_ENV: 'development', CALLERS_FILE: file }).callers.list).toHaveLength(3);
  });

  it('refuses in production a published key given as its SHA-256', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
    const file = join(dir, 'callers.json');
    const callers = [
      { id: 'svc', key: 'a-long-key-0000-0001' },
      { id: 'judge', key_sha256: sha256Hex('judge-key-change-me') },
    ];
    writeFileSync(file, JSON.stringify(callers));
    expect(() => loadConfig({ NODE_ENV: 'production', CALLERS_FILE: file })).toThrow('callers[1] (judge)');
  });
});
