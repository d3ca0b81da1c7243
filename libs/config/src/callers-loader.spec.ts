import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCallersFile, sha256Hex } from './callers-loader';

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'bw-callers-')), name);
  writeFileSync(path, text);
  return path;
}

describe('loadCallersFile', () => {
  it('reads YAML with defaults filled in and keys kept only as SHA-256', () => {
    const callers = loadCallersFile(
      file(
        'callers.yaml',
        `
callers:
  - id: judge
    key: judge-secret-key
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
      keySha256: sha256Hex('judge-secret-key'),
      role: 'caller',
      limits: { per_minute: 5, tokens_per_day: 30 },
      endUserLimits: { per_minute: 2 },
      cache: { enabled: false, ttl_seconds: undefined, namespace: 'judge' },
      webhookSecret: undefined,
    });
    expect(JSON.stringify(callers)).not.toContain('judge-secret-key');
    expect(callers[1]).toMatchObject({ id: 'ops', role: 'admin', keySha256: 'a'.repeat(64) });
  });

  it('reads a JSON list', () => {
    const callers = loadCallersFile(
      file('c.json', JSON.stringify([{ id: 'a', key: 'key-of-a-1', cache: { namespace: 'shared' } }])),
    );
    expect(callers[0].cache.namespace).toBe('shared');
  });

  it.each([
    ['a missing key', [{ id: 'a' }], 'exactly one of key or key_sha256'],
    ['both key forms', [{ id: 'a', key: 'key-of-a-1', key_sha256: 'a'.repeat(64) }], 'exactly one'],
    ['a bad role', [{ id: 'a', key: 'key-of-a-1', role: 'root' }], 'callers[0].role'],
    [
      'a negative limit',
      [{ id: 'a', key: 'key-of-a-1', limits: { per_minute: -1 } }],
      'callers[0].limits.per_minute',
    ],
    [
      'a duplicate id',
      [
        { id: 'a', key: 'key-of-a-1' },
        { id: 'a', key: 'key-of-a-2' },
      ],
      'duplicate caller id',
    ],
    [
      'a shared key',
      [
        { id: 'a', key: 'key-of-a-1' },
        { id: 'b', key: 'key-of-a-1' },
      ],
      'share a key',
    ],
    ['an empty list', [], 'non-empty list'],
  ])('refuses %s, naming the problem', (_name, list, message) => {
    expect(() => loadCallersFile(file('c.json', JSON.stringify(list)))).toThrow(message);
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadCallersFile('/nonexistent/callers.yaml')).toThrow('/nonexistent/callers.yaml');
  });
});
