// Hovers show the type names a signature is written with. Every type a public function's
// parameters or result name must itself be public (exported from the package, at the top level
// or in the function's namespace), so a user can look it up and write it down.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import ts from 'typescript';

const srcDir = path.resolve(__dirname, '../src');
const entry = path.join(srcDir, 'index.ts');

function unexportedNames(): Map<string, string[]> {
  const program = ts.createProgram([entry], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  });
  const checker = program.getTypeChecker();
  const resolve = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const publicSymbols = new Set<ts.Symbol>();
  const publicNames = new Set<string>();
  const functions: [string, ts.Symbol][] = [];
  const walk = (exports: readonly ts.Symbol[], prefix: string) => {
    for (const e of exports) {
      const s = resolve(e);
      publicSymbols.add(s);
      publicNames.add(e.name);
      if (s.flags & ts.SymbolFlags.ValueModule && !(s.flags & ts.SymbolFlags.Function)) walk(checker.getExportsOfModule(s), `${prefix}${e.name}.`);
      else if (s.flags & ts.SymbolFlags.Function) functions.push([prefix + e.name, s]);
    }
  };
  walk(checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!), '');
  expect(functions.length).toBeGreaterThan(250); // the walk found the API (ops, nn.*, optim.*, data.*, io.*)
  const missing = new Map<string, string[]>();
  for (const [name, fn] of functions) {
    for (const decl of fn.declarations ?? []) {
      if (!ts.isFunctionDeclaration(decl)) continue;
      const visit = (n: ts.Node): void => {
        if (ts.isTypeReferenceNode(n)) {
          const at = checker.getSymbolAtLocation(n.typeName);
          const s = at && resolve(at);
          const d = s?.declarations?.[0];
          // a module's own type, not a type parameter or a lib type; public by symbol, or by name
          // for the local aliases that stand in for it (random's Key, Keys: see random/index.ts)
          if (s && d && !ts.isTypeParameterDeclaration(d) && d.getSourceFile().fileName.startsWith(srcDir) && !publicSymbols.has(s) && !publicNames.has(s.name)) {
            const where = `${s.name} (${path.relative(srcDir, d.getSourceFile().fileName)})`;
            missing.set(where, [...(missing.get(where) ?? []), name]);
          }
        }
        ts.forEachChild(n, visit);
      };
      for (const p of decl.parameters) if (p.type) visit(p.type);
      if (decl.type) visit(decl.type);
    }
  }
  return missing;
}

describe('public names in hovers', () => {
  it('every type named in a public signature is exported', () => {
    const missing = [...unexportedNames()].map(([type, fns]) => `${type}: used by ${[...new Set(fns)].join(', ')}`);
    expect(missing).toEqual([]);
  }, 60_000);
});
