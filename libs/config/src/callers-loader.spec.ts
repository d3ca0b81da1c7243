import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.error';
import { loadCallersFile, sha256Hex } from './callers-loader';

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'bw-callers-')), name);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError loadCallersFile throws for `document` (written as JSON), or a failure if it throws none. */
function refusal(document: unknown): { path: string; message: string } {
  const path = file('callers.json', JSON.stringify(document));
  try {
    loadCallersFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { path, message: (error as Error).message };
  }
  throw new Error('loadCallersFile accepted the file');
}

const KEY_A = 'key-of-caller-a-0001';
const KEY_B = 'key-of-caller-b-0001';

describe('loadCallersFile', () => {
  it('reads YAML with defaults filled in and keys kept only as SHA-256', () => {
    const callers = loadCallersFile(
      file(
        'callers.yaml',
        `
callers:
  - id: judge
    key: judge-secret-key-0001
    limits: { per_minute: 5, tokens_per_day: 30 }
    end_user_limits: { per_minute: 2 }
    cache: { enabled: false }
  - id: ops
    key_sha256: ${'A'.repeat(64)}
    role: admin
`,
      ),
    );
    expect(callers[0]).toEqual({
      id: 'judge',
      keySha256: sha256Hex('judge-secret-key-0001'),
      role: 'caller',
      limits: { per_minute: 5, tokens_per_day: 30 },
      endUserLimits: { per_minute: 2 },
      cache: { enabled: false, ttl_seconds: undefined, namespace: 'judge' },
      webhookSecret: undefined,
    });
    expect(JSON.stringify(callers)).not.toContain('judge-secret-key-0001');
    expect(callers[1]).toMatchObject({ id: 'ops', role: 'admin', keySha256: 'a'.repeat(64) });
  });

  it('refuses an unknown priority, and a priority above max_priority, naming the path and the fix', () => {
    expect(refusal([{ id: 'a', key: KEY_A, priority: 'urgent' }]).message).toContain(
      'callers[0].priority must be one of high, normal, low',
    );
    expect(refusal([{ id: 'a', key: KEY_A, max_priority: 'top' }]).message).toContain(
      'callers[0].max_priority must be one of high, normal, low',
    );
    expect(refusal([{ id: 'a', key: KEY_A, priority: 'high', max_priority: 'normal' }]).message).toContain(
      'callers[0].priority: "high" is above max_priority "normal"; lower priority or raise max_priority',
    );
  });

  it('reads processing_mode and refuses an unknown one naming its path and the modes', () => {
    const callers = loadCallersFile(
      file('c.json', JSON.stringify([{ id: 'a', key: KEY_A, processing_mode: 'async' }])),
    );
    expect(callers[0].processingMode).toBe('async');
    const { path, message } = refusal([
      { id: 'a', key: KEY_A },
      { id: 'b', key: KEY_B, processing_mode: 'later' },
    ]);
    expect(message).toContain(path);
    expect(message).toContain('callers[1].processing_mode');
    expect(message).toContain('queue_if_unavailable, immediate, async');
  });

  it('reads a JSON list', () => {
    const callers = loadCallersFile(
      file('c.json', JSON.stringify([{ id: 'a', key: KEY_A, cache: { namespace: 'shared' } }])),
    );
    expect(callers[0].cache.namespace).toBe('shared');
  });

  it('refuses `cache: {enable: false}` naming the path and suggesting `enabled`', () => {
    const { path, message } = refusal({
      callers: [
        { id: 'a', key: KEY_A },
        { id: 'b', key: KEY_B },
        { id: 'judge', key: 'judge-key-0000-0001', cache: { enable: false } },
      ],
    });
    expect(message).toContain(`CALLERS_FILE ${path}: callers[2].cache.enable`);
    expect(message).toContain('did you mean `enabled`?');
  });

  it.each([
    [
      'a caller',
      { id: 'a', key: KEY_A, 'webhook-secret': 'x'.repeat(20) },
      'callers[0].webhook-secret',
      'webhook_secret',
    ],
    [
      'limits',
      { id: 'a', key: KEY_A, limits: { per_minut: 5 } },
      'callers[0].limits.per_minut',
      'per_minute',
    ],
    ['a caller (limit)', { id: 'a', key: KEY_A, limit: { per_minute: 5 } }, 'callers[0].limit', 'limits'],
    [
      'end_user_limits',
      { id: 'a', key: KEY_A, end_user_limits: { perMinute: 5 } },
      'callers[0].end_user_limits.perMinute',
      'per_minute',
    ],
  ])('refuses an unknown field in %s, naming it and the closest known one', (_where, caller, at, known) => {
    const { message } = refusal({ callers: [caller] });
    expect(message).toContain(at);
    expect(message).toContain(`did you mean \`${known}\`?`);
  });

  it('refuses an unknown field of the {callers: [...]} wrapper', () => {
    const { message } = refusal({ caller: [{ id: 'a', key: KEY_A }], callers: [{ id: 'b', key: KEY_B }] });
    expect(message).toContain(': caller is not a known field');
    expect(message).toContain('did you mean `callers`?');
  });

  it('suggests nothing when no known field is close', () => {
    const { message } = refusal([{ id: 'a', key: KEY_A, cache: { colour: 'blue' } }]);
    expect(message).toContain('callers[0].cache.colour is not a known field');
    expect(message).not.toContain('did you mean');
    expect(message).toContain('enabled, ttl_seconds, namespace');
  });

  it('says a number given as a string is a string', () => {
    const { message } = refusal([{ id: 'a', key: KEY_A, limits: { per_minute: '10' } }]);
    expect(message).toContain('callers[0].limits.per_minute must be a number, not the string "10"');
  });

  it('says a boolean given as a string is a string', () => {
    const { message } = refusal([{ id: 'a', key: KEY_A, cache: { enabled: 'false' } }]);
    expect(message).toContain('callers[0].cache.enabled must be true or false, not the string "false"');
  });

  it('refuses keys shorter than 16 characters without echoing them', () => {
    const { message } = refusal([{ id: 'a', key: 'fifteen-chars-k' }]);
    expect(message).toContain('callers[0].key');
    expect(message).toContain('16');
    expect(message).not.toContain('fifteen-chars-k');
    expect(() =>
      loadCallersFile(file('c.json', JSON.stringify([{ id: 'a', key: 'sixteen-chars-ky' }]))),
    ).not.toThrow();
  });

  it('names both entries of a duplicate id', () => {
    const { message } = refusal([
      { id: 'a', key: KEY_A },
      { id: 'x', key: 'key-of-caller-x-0001' },
      { id: 'y', key: 'key-of-caller-y-0001' },
      { id: 'a', key: KEY_B },
    ]);
    expect(message).toContain('callers[0] and callers[3]');
    expect(message).toContain('"a"');
  });

  it('names both entries sharing a key, whether given plain or as its hash, without the key', () => {
    const { message } = refusal([
      { id: 'a', key: KEY_A },
      { id: 'b', key_sha256: sha256Hex(KEY_A) },
    ]);
    expect(message).toContain('callers[0] (a) and callers[1] (b) share a key');
    expect(message).not.toContain(KEY_A);
  });

  it.each([
    ['a missing key', [{ id: 'a' }], 'callers[0]: give exactly one of key or key_sha256'],
    ['both key forms', [{ id: 'a', key: KEY_A, key_sha256: 'a'.repeat(64) }], 'exactly one'],
    ['a bad role', [{ id: 'a', key: KEY_A, role: 'root' }], 'callers[0].role'],
    [
      'a negative limit',
      [{ id: 'a', key: KEY_A, limits: { per_minute: -1 } }],
      'callers[0].limits.per_minute',
    ],
    ['limits that are not a mapping', [{ id: 'a', key: KEY_A, limits: 5 }], 'callers[0].limits'],
    ['an empty list', [], 'non-empty list'],
    ['a caller that is not a mapping', ['a'], 'callers[0]'],
    ['a document that is neither', 'just text', 'non-empty list'],
  ])('refuses %s, naming the problem', (_name, document, message) => {
    expect(refusal(document).message).toContain(message);
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadCallersFile('/nonexistent/callers.yaml')).toThrow(
      'CALLERS_FILE /nonexistent/callers.yaml',
    );
  });
});
