// README doc tests: every ```ts block of README.md becomes a module of the consumer project
// (.ci/consumer.mjs), type-checked against the packed package. Conventions in README.md:
//  - `<!-- doctest prelude: ... -->` right before a fence: hidden lines put before the block
//    (the imports and values a fragment assumes);
//  - a comment line of tildes (`//   ~~~~`) marks an expected error on the code line above it,
//    starting at the first tilde's column and spanning the tildes; the comment lines right
//    after it give the message, `...` separating fragments that must appear in order
//    (whitespace-insensitive);
//  - `const name = ...; // Tensor<...>` asserts the printed type of `name`.
// Any other diagnostic in a block fails it, and so does an expectation nothing matched.

const FENCE = /^```(\S*)\s*$/;
const TILDES = /^(\s*\/\/\s*)(~+)\s*$/;
const TYPE_NOTE = /^\s*(?:const|let)\s+([A-Za-z_$][\w$]*)\s*=.*;\s*\/\/\s*(Tensor<.*>)\s*$/;
const squash = (s) => s.replace(/\s+/g, ' ').trim();

/** The ts blocks of a markdown text, each as a module with its expectations (1-based README lines). */
export function extractBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (open[1] === 'ts' || open[1] === 'typescript') blocks.push(block(lines, i, end));
    i = end;
  }
  return blocks;
}

function block(lines, fence, end) {
  const prelude = [];
  let preludeStart = 0;
  if (fence > 0 && lines[fence - 1].trim() === '-->') {
    let s = fence - 2;
    while (s >= 0 && !lines[s].startsWith('<!-- doctest prelude:')) s--;
    if (s < 0) throw new Error(`README.md:${fence}: a comment before a ts block that is not '<!-- doctest prelude:'`);
    prelude.push(...lines.slice(s + 1, fence - 1));
    preludeStart = s + 2; // README line (1-based) of the first prelude line
  }
  const code = lines.slice(fence + 1, end);
  const codeStart = fence + 2;
  const expectations = [];
  const typeNotes = [];
  code.forEach((text, j) => {
    const t = TILDES.exec(text);
    if (t) {
      if (j === 0) throw new Error(`README.md:${codeStart}: a tilde line with no code line above it`);
      const message = [];
      for (let k = j + 1; k < code.length && /^\s*\/\//.test(code[k]) && !TILDES.test(code[k]); k++) message.push(code[k].replace(/^\s*\/\/\s?/, ''));
      const fragments = squash(message.join(' ')).split('...').map(squash).filter((f) => f.length > 0);
      if (fragments.length === 0) throw new Error(`README.md:${codeStart + j}: an expected error without its message`);
      expectations.push({ line: codeStart + j - 1, col: t[1].length, length: t[2].length, fragments });
    }
    const n = TYPE_NOTE.exec(text);
    if (n) typeNotes.push({ line: codeStart + j, name: n[1], type: squash(n[2]) });
  });
  const toReadme = (fileLine) => (fileLine < prelude.length ? preludeStart + fileLine : codeStart + fileLine - prelude.length);
  // `export {}` keeps a block without imports a module, so blocks never share globals.
  const source = [...prelude, ...code, 'export {};', ''].join('\n');
  return { file: `readme-${fence + 1}.ts`, fence: fence + 1, source, toReadme, expectations, typeNotes };
}

/**
 * Failures of one block, given its diagnostics ({ line, col, length, text } in README
 * coordinates) and the printed types of its noted variables ({ line, type }).
 */
export function matchBlock(b, diagnostics, noted) {
  const failures = [];
  const left = [...diagnostics];
  for (const e of b.expectations) {
    const here = left.filter((d) => d.line === e.line);
    const hit = here.find((d) => d.col === e.col && d.length === e.length && inOrder(squash(d.text), e.fragments));
    if (hit) { left.splice(left.indexOf(hit), 1); continue; }
    const seen = here.length === 0 ? 'no error there' : here.map((d) => `col ${d.col + 1}, length ${d.length}: ${squash(d.text)}`).join(' | ');
    failures.push(`README.md:${e.line}:${e.col + 1}: expected an error of length ${e.length} with '${e.fragments.join(' ... ')}', got ${seen}`);
  }
  for (const d of left) failures.push(`README.md:${d.line}:${d.col + 1}: unexpected error: ${squash(d.text)}`);
  for (const n of b.typeNotes) {
    const got = noted.find((x) => x.line === n.line)?.type;
    if (got !== n.type) failures.push(`README.md:${n.line}: ${n.name} is ${got ?? '(not found)'}, the README says ${n.type}`);
  }
  return failures;
}

function inOrder(text, fragments) {
  let at = 0;
  for (const f of fragments) {
    const i = text.indexOf(f, at);
    if (i < 0) return false;
    at = i + f.length;
  }
  return true;
}

/** All failures of a program: main.ts must have no diagnostics, each README block its expected ones. */
export function checkDoctests(ts, program, dir, blocks) {
  const failures = [];
  const checker = program.getTypeChecker();
  const diagnosticsOf = (sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  const describe = (d) => ts.flattenDiagnosticMessageText(d.messageText, '\n');
  for (const d of program.getGlobalDiagnostics()) failures.push(`global: ${describe(d)}`);
  const byName = new Map(program.getSourceFiles().map((sf) => [sf.fileName, sf]));
  // Declaration files of the package itself: skipLibCheck is false, so they are checked too.
  for (const sf of program.getSourceFiles()) {
    if (!sf.isDeclarationFile || !sf.fileName.includes('/node_modules/shapeflow/')) continue;
    for (const d of diagnosticsOf(sf)) failures.push(`${sf.fileName.slice(sf.fileName.indexOf('node_modules/'))}:${pos(ts, d)}: ${describe(d)}`);
  }
  const main = byName.get(`${dir}/main.ts`);
  if (!main) failures.push('main.ts is not in the program');
  else for (const d of diagnosticsOf(main)) failures.push(`.ci/consumer/main.ts:${pos(ts, d)}: ${describe(d)}`);
  for (const b of blocks) {
    const sf = byName.get(`${dir}/${b.file}`);
    if (!sf) { failures.push(`${b.file} (README.md:${b.fence}) is not in the program`); continue; }
    const diagnostics = diagnosticsOf(sf).map((d) => {
      const { line, character } = ts.getLineAndCharacterOfPosition(sf, d.start ?? 0);
      return { line: b.toReadme(line), col: character, length: d.length ?? 0, text: describe(d) };
    });
    const noted = [];
    const visit = (node) => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) {
        const line = b.toReadme(ts.getLineAndCharacterOfPosition(sf, node.getStart(sf)).line);
        if (b.typeNotes.some((n) => n.line === line && n.name === node.name.text)) {
          noted.push({ line, type: squash(checker.typeToString(checker.getTypeAtLocation(node.name), undefined, ts.TypeFormatFlags.NoTruncation)) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    failures.push(...matchBlock(b, diagnostics, noted));
  }
  return failures;
}

function pos(ts, d) {
  if (!d.file || d.start === undefined) return '?';
  const { line, character } = ts.getLineAndCharacterOfPosition(d.file, d.start);
  return `${line + 1}:${character + 1}`;
}

/** The matcher must be able to fail: a wrong text, column or length, and an unexpected error, are each reported. */
export function selfTest() {
  const [b] = extractBlocks(['```ts', 'f(x, bad);', '//   ~~~', '// rule: a ... (1 vs 2)', 'const t = g(); // Tensor<[2], "float32">', '```'].join('\n'));
  const right = { line: 2, col: 5, length: 3, text: 'Argument ... rule: a is\n wrong (1 vs 2).' };
  const ok = matchBlock(b, [right], [{ line: 5, type: 'Tensor<[2], "float32">' }]);
  const cases = [
    [[{ ...right, text: 'rule: a (1 vs 3)' }], 'wrong text'],
    [[{ ...right, col: 4 }], 'wrong column'],
    [[{ ...right, length: 4 }], 'wrong length'],
    [[right, { ...right, line: 5 }], 'an extra error'],
    [[], 'a missing error'],
  ];
  const missed = cases.filter(([ds]) => matchBlock(b, ds, [{ line: 5, type: 'Tensor<[2], "float32">' }]).length === 0).map(([, what]) => what);
  if (matchBlock(b, [right], [{ line: 5, type: 'Tensor<[3], "float32">' }]).length === 0) missed.push('a wrong type note');
  if (ok.length > 0 || missed.length > 0) throw new Error(`readme-doctest self-test: ${ok.length > 0 ? `rejects a right block (${ok.join('; ')})` : `misses ${missed.join(', ')}`}`);
}

/**
 * Measures of the error corpus (test/error-corpus.md): per block, whether it is rejected at
 * all, whether its first error (by position) starts on the marked line, whether that error
 * names a rule with expected vs actual (a `ShapeMismatch<"...">` whose text says `vs` or
 * `got`), and the length of its message.
 */
export function measureCorpus(ts, program, dir, blocks) {
  const byName = new Map(program.getSourceFiles().map((sf) => [sf.fileName, sf]));
  return blocks.map((b) => {
    const sf = byName.get(`${dir}/${b.file}`);
    const ds = sf ? [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].sort((x, y) => (x.start ?? 0) - (y.start ?? 0)) : [];
    const first = ds[0];
    if (!first) return { fence: b.fence, rejected: false, onLine: false, namesRule: false, length: 0, text: '' };
    const text = squash(ts.flattenDiagnosticMessageText(first.messageText, '\n'));
    const line = b.toReadme(ts.getLineAndCharacterOfPosition(sf, first.start ?? 0).line);
    const rule = /ShapeMismatch<"([^"]*)"/.exec(text)?.[1] ?? '';
    return { fence: b.fence, rejected: true, onLine: b.expectations.some((e) => e.line === line), namesRule: /\bvs\b|\bgot\b/.test(rule), length: text.length, text };
  });
}
