import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { either as E } from 'fp-ts';
import { parseCsv, parseDecimal, parseLabelTextCsv, parseNumericColumn, parseTsvPairs } from '../src/data/csv';
import type { DataError } from '../src/data/types';

function right<A>(e: E.Either<DataError, A>): A {
  if (E.isLeft(e)) throw new Error(`expected Right, got Left: ${e.left.message}`);
  return e.right;
}
function left<A>(e: E.Either<DataError, A>): DataError {
  if (E.isRight(e)) throw new Error(`expected Left, got Right: ${JSON.stringify(e.right).slice(0, 200)}`);
  return e.left;
}

/** RFC 4180 writer used as the oracle: quotes fields that need it (and some that don't). */
const writeField = (f: string, forceQuote: boolean) =>
  forceQuote || f === '' || /[",\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f;
const writeRecord = (fields: readonly string[], force: readonly boolean[]) => fields.map((f, i) => writeField(f, force[i] ?? false)).join(',');
const lineBreaks = (s: string) => (s.match(/\r\n|\n|\r/g) ?? []).length;

const field = fc.string({ unit: fc.constantFrom('a', 'b', 'Z', ' ', ',', '"', '\n', '\r\n', '\r', 'é', '😀', ';'), maxLength: 8 });
const table = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 12 }))
  .chain(([w, h]) =>
    fc.record({
      rows: fc.array(fc.array(field, { minLength: w, maxLength: w }), { minLength: h, maxLength: h }),
      force: fc.array(fc.array(fc.boolean(), { minLength: w, maxLength: w }), { minLength: h, maxLength: h }),
      eol: fc.constantFrom('\n', '\r\n'),
      trailingEol: fc.boolean(),
    }),
  );

describe('parseCsv', () => {
  it('parses quoting, doubled quotes, embedded line breaks, CRLF, a BOM and blank lines', () => {
    const text = '\uFEFFname,note\r\n"Smith, J.","said ""hi""\r\nand left"\r\n\r\nplain,\r\n';
    expect(right(parseCsv(text, { header: true }))).toEqual({
      header: ['name', 'note'],
      rows: [
        ['Smith, J.', 'said "hi"\r\nand left'],
        ['plain', ''],
      ],
    });
    expect(right(parseCsv('a;b\n1;"2;3"', { delimiter: ';' })).rows).toEqual([
      ['a', 'b'],
      ['1', '2;3'],
    ]);
    expect(right(parseCsv("a,'b,c'", { quote: "'" })).rows).toEqual([['a', 'b,c']]);
    expect(right(parseCsv(''))).toEqual({ rows: [] });
    expect(left(parseCsv('', { header: true }))).toMatchObject({ code: 'csv-empty', line: 1 });
  });

  it('round-trips serialised random rows with quotes, commas and line breaks', () => {
    fc.assert(
      fc.property(table, ({ rows, force, eol, trailingEol }) => {
        const text = rows.map((r, i) => writeRecord(r, force[i]!)).join(eol) + (trailingEol ? eol : '');
        expect(right(parseCsv(text)).rows).toEqual(rows);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('reports a ragged row with the line it starts on', () => {
    fc.assert(
      fc.property(table, fc.nat(), fc.boolean(), ({ rows, force, eol }, pick, add) => {
        fc.pre(rows.length >= 2);
        const r = 1 + (pick % (rows.length - 1));
        const width = rows[0]!.length;
        const bad = rows.map((row) => [...row]);
        if (add || width === 1) bad[r]!.push('extra');
        else bad[r]!.pop();
        const records = bad.map((row, i) => writeRecord(row, force[i]!));
        const text = records.join(eol);
        const e = left(parseCsv(text));
        const line = 1 + lineBreaks(records.slice(0, r).join(eol) + eol);
        expect(e).toMatchObject({ code: 'csv-ragged-row', line, expected: `${width} fields`, found: `${bad[r]!.length} fields` });
        expect(e.message).toContain(`line ${line}:`);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('reports an unterminated quote at the line where it opened', () => {
    fc.assert(
      fc.property(table, fc.string({ unit: fc.constantFrom('a', ',', '\n', '\r\n', ' '), maxLength: 10 }), ({ rows, force, eol }, rest) => {
        const before = rows.map((r, i) => writeRecord(r, force[i]!)).join(eol) + eol;
        const e = left(parseCsv(`${before}x,"${rest}`));
        expect(e).toMatchObject({ code: 'csv-unterminated-quote', line: 1 + lineBreaks(before), column: 3 });
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('rejects stray quotes with line and column', () => {
    expect(left(parseCsv('a,b\nc,d"e\n'))).toMatchObject({ code: 'csv-stray-quote', line: 2, column: 4 });
    expect(left(parseCsv('a,b\n"c"d,e\n'))).toMatchObject({ code: 'csv-stray-quote', line: 2, column: 4, found: 'd' });
    expect(() => parseCsv('a', { delimiter: ',,' })).toThrow(RangeError);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ') }), (s) => {
        const r = parseCsv(s);
        expect(E.isLeft(r) || E.isRight(r)).toBe(true);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});

describe('parseLabelTextCsv', () => {
  it('reads label,text files with or without the header', () => {
    const body = 'food,"rice, beans"\nanimal,a dog\n';
    const expected = { labels: ['food', 'animal'], texts: ['rice, beans', 'a dog'] };
    expect(right(parseLabelTextCsv(`label,text\n${body}`))).toEqual(expected);
    expect(right(parseLabelTextCsv(body))).toEqual(expected);
  });

  it('rejects unquoted commas and empty labels with the line number', () => {
    const e = left(parseLabelTextCsv('label,text\nfood,rice\nfood,rice, beans\n'));
    expect(e).toMatchObject({ code: 'csv-ragged-row', line: 3, found: '3 fields' });
    expect(e.message).toContain('quote a text that contains commas');
    expect(left(parseLabelTextCsv('food,x\n ,y\n'))).toMatchObject({ code: 'empty-field', line: 2 });
  });
});

describe('parseNumericColumn', () => {
  it('reads a named column', () => {
    expect(Array.from(right(parseNumericColumn('year,value\r\n1949,112\r\n1949,-1.5e2\r\n', 'value')))).toEqual([112, -150]);
  });

  it('rejects non-numeric cells with line and value, and a missing column', () => {
    expect(left(parseNumericColumn('a,value\n1,2\n1,NA\n', 'value'))).toMatchObject({ code: 'not-a-number', line: 3, found: 'NA' });
    expect(left(parseNumericColumn('a,value\n1,\n', 'value'))).toMatchObject({ code: 'not-a-number', line: 2, found: '' });
    expect(left(parseNumericColumn('a,value\n1,2\n', 'val'))).toMatchObject({ code: 'csv-missing-column', line: 1 });
    expect(left(parseNumericColumn('a,value\n1,2\n3\n', 'value'))).toMatchObject({ code: 'csv-ragged-row', line: 3 });
  });

  it('parseDecimal accepts plain decimals only', () => {
    for (const ok of ['1', '-2.5', '+.5', '3.', '1e3', ' 7 ', '6.02E+23']) expect(parseDecimal(ok)).toBe(Number(ok));
    for (const bad of ['', 'NA', 'NaN', 'Infinity', '0x10', '1,5', '1e', '.', '--1', '1e999']) expect(parseDecimal(bad)).toBeUndefined();
  });
});

describe('parseTsvPairs', () => {
  it('strips comments, skips blank lines and reads the header when asked', () => {
    const text = 'word\tphonemes\n\naalsmeer\tAA1 L S M IH0 R # place, dutch\r\n# a whole-line comment\nc#\tS IY1 SH AA1 R P\n';
    const r = right(parseTsvPairs(text, { header: true }));
    expect(r.header).toEqual(['word', 'phonemes']);
    expect(r.pairs).toEqual([
      ['aalsmeer', 'AA1 L S M IH0 R'],
      ['c#', 'S IY1 SH AA1 R P'],
    ]);
  });

  it('rejects a line without a tab (or with two) with its line number', () => {
    expect(left(parseTsvPairs('a\tb\n\nno tab here\n'))).toMatchObject({ code: 'tsv-missing-tab', line: 3 });
    expect(left(parseTsvPairs('a\tb\tc\n'))).toMatchObject({ code: 'tsv-extra-tab', line: 1 });
    expect(left(parseTsvPairs('a\t # only a comment\n'))).toMatchObject({ code: 'empty-field', line: 1 });
  });
});
