/**
 * The house plan, checked: the folders of src/ form layers, and a module imports only from its
 * own folder or from a layer below (type-only imports count too). A new arrow that runs back up
 * fails here with the file and the import; `.ci/cycles.mjs` checks for circles between modules.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

/** lowest first; folders on one line are peers and may not import each other */
const LAYERS: readonly (readonly string[])[] = [
  ['shape', 'random'],
  ['tensor'],
  ['backend'],
  ['autodiff'],
  ['ops'],
  ['optim'],
  ['nn'],
  ['data', 'io', 'testing'],
  ['examples'],
  ['(root)'], // src/index.ts, src/testing.ts: the package entry points
];
const rankOf = new Map(LAYERS.flatMap((fs, r) => fs.map((f) => [f, r] as const)));

const roomOf = (file: string) => {
  const rel = path.relative(src, file).split(path.sep);
  return rel.length === 1 ? '(root)' : rel[0]!;
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : /\.ts$/.test(p) && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** relative imports of a file, resolved to files under src */
function importsOf(file: string): { spec: string; target: string }[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, false);
  return importedFiles
    .filter((i) => i.fileName.startsWith('.'))
    .map((i) => {
      const base = path.resolve(path.dirname(file), i.fileName);
      const target = [base, `${base}.ts`, path.join(base, 'index.ts')].find((p) => {
        try {
          return statSync(p).isFile();
        } catch {
          return false;
        }
      });
      return { spec: i.fileName, target: target ?? base };
    })
    .filter((i) => i.target.startsWith(src));
}

describe('architecture', () => {
  const files = sources(src);

  it('every folder of src/ has a place in the layers', () => {
    const rooms = [...new Set(files.map(roomOf))].sort();
    expect(rooms.filter((r) => !rankOf.has(r))).toEqual([]);
  });

  it('no import runs up the layers or sideways between peers', () => {
    const wrong: string[] = [];
    for (const f of files) {
      const from = roomOf(f);
      for (const { spec, target } of importsOf(f)) {
        const to = roomOf(target);
        if (to !== from && !(rankOf.get(to)! < rankOf.get(from)!)) wrong.push(`${path.relative(src, f)} imports '${spec}' (${from} -> ${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the check sees imports (a sanity check of the reader itself)', () => {
    const opsFile = path.join(src, 'ops/elementwise.ts');
    expect(importsOf(opsFile).map((i) => roomOf(i.target))).toContain('autodiff');
  });
});
