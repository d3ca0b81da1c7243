import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ModuleKind, ScriptTarget, transpileModule } from 'typescript';

/** What each of the client's source files requires once compiled: what a user's bundle would have to carry. */
function runtimeImportsOf(file: string): string[] {
  const { outputText } = transpileModule(readFileSync(join(__dirname, file), 'utf8'), {
    compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022 },
  });
  return [...outputText.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]);
}

describe('the client as a package', () => {
  it('requires nothing at run time but its own files: the contract types are erased', () => {
    const sources = readdirSync(__dirname).filter(
      (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'),
    );
    expect(sources).toContain('breakwater-client.ts');
    for (const file of sources) {
      expect({ file, imports: runtimeImportsOf(file).filter((name) => !name.startsWith('./')) }).toEqual({
        file,
        imports: [],
      });
    }
  });
});
