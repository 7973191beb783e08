/**
 * The kernel sources' inline step: V8 does not inline wasm calls, so the hot loops need each
 * function body (exp, sigmoid, tanh, log, gelu, the softmax exp…) pasted in; the sources
 * write each body once as a macro and this expands it at build time.
 *
 *   ;;@define NAME a b …      starts a definition (lines up to ;;@end); in its body `{a}`
 *   …body…                     stands for the first argument (often a local-name prefix:
 *   ;;@end                     `${a}n` with a = e is `$en`), and so on
 *   ;;@NAME x y …             a line of its own: the body with the arguments substituted,
 *                              each line indented like the call (calls may nest)
 *
 * Definitions may sit in any source file and are visible to all of them; the ;;@ lines
 * themselves are removed. The directives are WAT comments, so a source with no calls is
 * still plain WAT. A definition named `NAME@VARIANT` is used instead of `NAME` when the module
 * is built as that variant (the build makes a plain-SIMD and a relaxed-SIMD module).
 */

/** a source line and where it was written (file:line), for error messages */
interface Line {
  readonly text: string;
  readonly where: string;
}

interface Macro {
  readonly params: readonly string[];
  readonly body: readonly Line[];
  readonly where: string;
}

const DEFINE = /^\s*;;@define\s+(\w+(?:@\w+)?)((?:\s+\w+)*)\s*$/;
const END = /^\s*;;@end\s*$/;
const CALL = /^(\s*);;@(\w+)((?:\s+\S+)*)\s*$/;
const MAX_DEPTH = 8;

function words(s: string): string[] {
  return s.trim() === '' ? [] : s.trim().split(/\s+/);
}

/** the definitions removed from `lines`, which keeps everything else */
function collect(lines: readonly string[], unit: string): { macros: Map<string, Macro>; rest: Line[] } {
  const macros = new Map<string, Macro>();
  const rest: Line[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const d = DEFINE.exec(line);
    if (d === null) {
      if (END.test(line)) throw new Error(`wat macros: ${unit}:${i + 1}: ;;@end without ;;@define`);
      rest.push({ text: line, where: `${unit}:${i + 1}` });
      continue;
    }
    const name = d[1]!, where = `${unit}:${i + 1}`;
    if (name === 'define' || name === 'end') throw new Error(`wat macros: ${where}: "${name}" is reserved`);
    if (macros.has(name)) throw new Error(`wat macros: ${where}: ${name} is defined twice (first at ${macros.get(name)!.where})`);
    const body: Line[] = [];
    for (i++; i < lines.length && !END.test(lines[i]!); i++) {
      if (DEFINE.test(lines[i]!)) throw new Error(`wat macros: ${unit}:${i + 1}: ;;@define inside ${name}`);
      body.push({ text: lines[i]!, where: `${unit}:${i + 1}` });
    }
    if (i >= lines.length) throw new Error(`wat macros: ${where}: ${name} has no ;;@end`);
    const indent = Math.min(...body.filter((l) => l.text.trim() !== '').map((l) => /^ */.exec(l.text)![0].length));
    macros.set(name, { params: words(d[2]!), body: body.map((l) => ({ ...l, text: l.text.slice(Math.min(indent, l.text.length)) })), where });
  }
  return { macros, rest };
}

function expandLines(lines: readonly Line[], macros: ReadonlyMap<string, Macro>, variant: string, depth: number): string[] {
  const out: string[] = [];
  for (const { text, where } of lines) {
    const c = CALL.exec(text);
    if (c === null) {
      out.push(text);
      continue;
    }
    // cast: the macro-call regex has exactly three groups, all required
    const [, indent, name, argText] = c as unknown as [string, string, string, string];
    const m = macros.get(`${name}@${variant}`) ?? macros.get(name);
    if (m === undefined) throw new Error(`wat macros: ${where}: unknown macro ;;@${name} (variant ${variant})`);
    const args = words(argText);
    if (args.length !== m.params.length) {
      throw new Error(`wat macros: ${where}: ${name} takes ${m.params.length} argument(s) (${m.params.join(' ')}), got ${args.length}`);
    }
    if (depth >= MAX_DEPTH) throw new Error(`wat macros: ${where}: ${name} nests deeper than ${MAX_DEPTH} (recursive?)`);
    const body = m.body.map((l) => ({
      where: l.where,
      text: l.text.replace(/\{(\w+)\}/g, (_all, p: string) => {
        const k = m.params.indexOf(p);
        if (k < 0) throw new Error(`wat macros: ${l.where}: ${name} uses {${p}}, which is not a parameter`);
        return args[k]!;
      }),
    }));
    for (const l of expandLines(body, macros, variant, depth + 1)) out.push(l === '' ? l : indent + l);
  }
  return out;
}

/** the sources with every macro (defined in any of them) expanded for `variant`, the directives removed */
export function expandMacros<S extends { readonly name: string; readonly text: string }>(sources: readonly S[], variant = 'simd'): S[] {
  const macros = new Map<string, Macro>();
  const rests = sources.map((s) => {
    const c = collect(s.text.split('\n'), s.name);
    for (const [name, m] of c.macros) {
      const first = macros.get(name);
      if (first !== undefined) throw new Error(`wat macros: ${m.where}: ${name} is defined twice (first at ${first.where})`);
      macros.set(name, m);
    }
    return c.rest;
  });
  return sources.map((s, i) => ({ ...s, text: expandLines(rests[i]!, macros, variant, 0).join('\n') }));
}
