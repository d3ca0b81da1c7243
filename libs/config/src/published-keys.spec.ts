import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { sha256Hex } from './callers-loader';
import { PUBLISHED_KEY_SHA256 } from './published-keys';

const ROOT = join(__dirname, '../../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/**
 * Keys as the examples show them: in headers, SDK options, YAML `key:` lines and "the key is" comments.
 * Placeholders (`<key>`, `${key}`) are not keys.
 */
function keysShownIn(text: string): string[] {
  const patterns = [
    /Bearer ([^\s'"`<$)]+)/g,
    /x-api-key: ?([^\s'"`<$)]+)/gi,
    /api_?key["']?\s*[:=]\s*["']([^"'<$]+)["']/gi,
    /^\s*(?:-\s*)?key:\s*["']?([^\s"'#<$]+)/gm,
    /the key is "([^"]+)"/gi,
  ];
  return [...new Set(patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((match) => match[1])))];
}

interface ExampleFile {
  callers: { id: string; key?: string; key_sha256?: string }[];
}

describe('PUBLISHED_KEY_SHA256', () => {
  const example = read('callers.example.yaml');
  const readme = read('README.md');
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file): [string, string] => [`docs/${file}`, read(`docs/${file}`)]);
  const everyDoc = [readme, ...docs.map(([, text]) => text)].join('\n');

  it('finds the keys the examples show (so that the next checks can fail)', () => {
    expect(keysShownIn(readme)).toContain('dev-key');
    expect(keysShownIn(everyDoc)).toEqual(expect.arrayContaining(['dev-key', 'judge-key-change-me']));
    expect(keysShownIn(example)).toEqual(
      expect.arrayContaining(['admin-key-change-me', 'pipeline-key-change-me']),
    );
  });

  it.each<[string, string]>([['callers.example.yaml', example], ['README.md', readme], ...docs])(
    'holds every key shown in %s',
    (_file, text) => {
      const missing = keysShownIn(text).filter((key) => !PUBLISHED_KEY_SHA256.includes(sha256Hex(key)));
      expect(missing).toEqual([]);
    },
  );

  it('holds every key and key_sha256 of callers.example.yaml', () => {
    const { callers } = parse(example) as ExampleFile;
    const hashes = callers.map((caller) => caller.key_sha256 ?? sha256Hex(caller.key ?? ''));
    expect(hashes.filter((hash) => !PUBLISHED_KEY_SHA256.includes(hash))).toEqual([]);
  });

  it('holds the development caller key', () => {
    expect(PUBLISHED_KEY_SHA256).toContain(sha256Hex('dev-key'));
  });
});
