import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { completionWith, testConfig } from '@breakwater/testing';
import { ReplayAdapter } from '../adapters/replay.adapter';
import { ExchangeRecord, canonicalExchangeRequest, exchangeHash } from './exchange-record';
import { ExchangeRecorder } from './exchange-recorder';
import { RecordingAdapter } from './recording.adapter';

const signal = new AbortController().signal;
const ask = (content: string, extra: object = {}) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content }],
  ...extra,
});

describe('recording and replaying provider exchanges', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bw-record-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const files = () => readdirSync(dir);
  const recorder = (env: Record<string, string> = {}) =>
    new ExchangeRecorder(testConfig({ RECORD_DIR: dir, ...env }));
  const replay = (env: Record<string, string> = {}) =>
    new ReplayAdapter(testConfig({ RECORD_DIR: dir, ...env }));

  it('hashes the same request alike whatever its key order, and not its user or stream fields', () => {
    const one = canonicalExchangeRequest('openai', 'gpt-4o-mini', ask('hi', { temperature: 0, user: 'a' }));
    const two = canonicalExchangeRequest('openai', 'gpt-4o-mini', {
      temperature: 0,
      messages: [{ content: 'hi', role: 'user' }],
      model: 'ignored',
      stream: false,
    });
    expect(exchangeHash(one)).toBe(exchangeHash(two));
    expect(exchangeHash(one)).not.toBe(exchangeHash({ ...one, temperature: 1 }));
    expect(one.model).toBe('openai/gpt-4o-mini');
  });

  it('writes one whole <hash>.json per exchange, no temporary file left, and replay answers from it', async () => {
    const answer = completionWith('recorded answer');
    const adapter = new RecordingAdapter(
      { id: 'openai', configured: true, complete: () => Promise.resolve(answer) },
      recorder(),
    );
    await adapter.complete(ask('hi'), signal);
    const hash = exchangeHash(canonicalExchangeRequest('openai', 'gpt-4o-mini', ask('hi')));
    expect(files()).toEqual([`${hash}.json`]);
    const record = JSON.parse(readFileSync(join(dir, `${hash}.json`), 'utf8')) as ExchangeRecord;
    expect(record).toMatchObject({ hash, provider: 'openai', model: 'gpt-4o-mini', answer });
    expect(record.request.model).toBe('openai/gpt-4o-mini');
    expect(record.latency_ms).toBeGreaterThanOrEqual(0);
    const replayed = await replay().complete(ask('hi', { model: 'openai/gpt-4o-mini' }));
    expect(replayed).toEqual(answer);
  });

  it('answers a miss with 400 INVALID_REQUEST naming the hash', async () => {
    const hash = exchangeHash(canonicalExchangeRequest('openai', 'gpt-4o-mini', ask('never')));
    await expect(replay().complete(ask('never', { model: 'openai/gpt-4o-mini' }))).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      param: 'model',
      message: expect.stringContaining(hash),
    });
    await expect(replay().complete(ask('x', { model: 'gpt-4o-mini' }))).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('refuses a recording over the bound before reading it, and one that is not a recording', async () => {
    const request = ask('big', { model: 'openai/gpt-4o-mini' });
    const hash = exchangeHash(canonicalExchangeRequest('openai', 'gpt-4o-mini', request));
    writeFileSync(join(dir, `${hash}.json`), 'x'.repeat(2 * 1024 + 1));
    await expect(replay({ MAX_BODY_BYTES: '1024' }).complete(request)).rejects.toMatchObject({
      kind: 'bad_request',
      message: expect.stringContaining('over the 2048'),
    });
    writeFileSync(join(dir, `${hash}.json`), JSON.stringify({ hash, answer: { choices: [] } }));
    await expect(replay().complete(request)).rejects.toMatchObject({
      kind: 'bad_request',
      message: expect.stringContaining('no choices'),
    });
  });

  it('never fails the request when the write fails, and says so at most once a minute', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const writing = recorder();
    rmSync(dir, { recursive: true, force: true });
    try {
      const adapter = new RecordingAdapter(
        { id: 'mock', configured: true, complete: () => Promise.resolve(completionWith('a')) },
        writing,
      );
      await expect(adapter.complete(ask('one'), signal)).resolves.toBeDefined();
      await expect(adapter.complete(ask('two'), signal)).resolves.toBeDefined();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toContain('cannot write recording');
    } finally {
      warn.mockRestore();
    }
  });

  it('is off, and replay unconfigured, without RECORD_DIR', () => {
    expect(new ExchangeRecorder(testConfig()).enabled).toBe(false);
    expect(new ReplayAdapter(testConfig()).configured).toBe(false);
  });

  it('refuses to start with a RECORD_DIR that is not a writable directory, naming the variable', () => {
    expect(() => testConfig({ RECORD_DIR: join(dir, 'missing') })).toThrow(/RECORD_DIR/);
    writeFileSync(join(dir, 'file'), '');
    expect(() => testConfig({ RECORD_DIR: join(dir, 'file') })).toThrow(
      /RECORD_DIR must be a writable directory/,
    );
  });
});
