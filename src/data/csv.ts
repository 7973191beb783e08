/**
 * Text readers: RFC 4180 CSV, `label,text` classification files, numeric columns, and
 * tab-separated pairs. Every reader returns Either: bad input becomes a Left naming the
 * 1-based line (and column where useful), what was expected and what was found. No row is
 * ever dropped silently; the only things skipped are blank lines (and, in TSV, comments).
 *
 * Throwing contract: the *text* never makes a reader throw (any string gives a Left or a
 * Right, in time linear in its length). Only a programming error in the *options* throws:
 * parseCsv / parseNumericColumn throw a RangeError for a delimiter or quote that is not one
 * character other than CR/LF, or for delimiter === quote. parseLabelTextCsv and
 * parseTsvPairs have no such options and never throw.
 */
import { either as E } from 'fp-ts';
import { dataError, preview, type DataError } from './types';

/** Options of parseCsv. */
export interface CsvOptions {
  /** Field separator, one character (default ','). */
  readonly delimiter?: string;
  /** Treat the first record as the header (default false). */
  readonly header?: boolean;
  /** Quote character, one character (default '"'); a doubled quote inside quotes is a literal quote. */
  readonly quote?: string;
}

/** A parsed CSV file. Every row has the same number of fields as the header (or the first row). */
export interface CsvTable {
  readonly header?: string[];
  readonly rows: string[][];
}

/** A record with the 1-based line on which it starts (records can span lines inside quotes). */
interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

const LF = 10;
const CR = 13;

function checkChar(name: string, c: string): number {
  if (c.length !== 1 || c === '\n' || c === '\r') throw new RangeError(`parseCsv: ${name} must be one character other than CR/LF, got ${JSON.stringify(c)}`);
  return c.charCodeAt(0);
}

/**
 * The scanner. Rules: fields are separated by the delimiter and records by LF, CRLF or a lone
 * CR; a field that starts with the quote is quoted and may contain delimiters, line breaks and
 * doubled quotes; after its closing quote only a delimiter or a line break may follow. A quote
 * inside an unquoted field is an error (RFC 4180), as is a quote left open at end of input.
 * Lines with no characters at all are skipped (as Python's csv module and pandas do); an
 * empty single-column value must be written as "". A leading byte-order mark is ignored.
 */
function scanCsv(input: string, delimiter: string, quote: string): E.Either<DataError, CsvRecord[]> {
  const D = checkChar('delimiter', delimiter);
  const Q = checkChar('quote', quote);
  if (D === Q) throw new RangeError('parseCsv: delimiter and quote must differ');
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const len = text.length;
  const records: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const col = (at: number): number => at - lineStart + 1;

  while (i < len) {
    const first = text.charCodeAt(i);
    if (first === LF || first === CR) {
      i += first === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      lineStart = i;
      continue;
    }
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      if (text.charCodeAt(i) === Q) {
        const openLine = line;
        const openCol = col(i);
        i++;
        let value = '';
        for (;;) {
          const j = text.indexOf(quote, i);
          if (j < 0) {
            return E.left(
              dataError('csv-unterminated-quote', `line ${openLine}, column ${openCol}: quoted field is never closed (reached end of input)`, {
                line: openLine,
                column: openCol,
                expected: `a closing ${quote}`,
                found: 'end of input',
              }),
            );
          }
          for (let k = i; k < j; k++) {
            const c = text.charCodeAt(k);
            if (c === LF || (c === CR && text.charCodeAt(k + 1) !== LF)) {
              line++;
              lineStart = k + 1;
            }
          }
          value += text.slice(i, j);
          if (text.charCodeAt(j + 1) === Q) {
            value += quote;
            i = j + 2;
            continue;
          }
          i = j + 1;
          break;
        }
        const next = text.charCodeAt(i);
        if (i < len && next !== D && next !== LF && next !== CR) {
          return E.left(
            dataError('csv-stray-quote', `line ${line}, column ${col(i)}: expected ${JSON.stringify(delimiter)} or end of line after a closing quote, found ${preview(text[i] as string)}`, {
              line,
              column: col(i),
              expected: `${JSON.stringify(delimiter)} or end of line`,
              found: text[i] as string,
            }),
          );
        }
        fields.push(value);
      } else {
        const start = i;
        while (i < len) {
          const c = text.charCodeAt(i);
          if (c === D || c === LF || c === CR) break;
          if (c === Q) {
            return E.left(
              dataError('csv-stray-quote', `line ${line}, column ${col(i)}: quote inside an unquoted field ${preview(text.slice(start, i + 1))}; quote the whole field and double inner quotes`, {
                line,
                column: col(i),
                expected: 'no quote inside an unquoted field',
                found: quote,
              }),
            );
          }
          i++;
        }
        fields.push(text.slice(start, i));
      }
      if (i < len && text.charCodeAt(i) === D) {
        i++;
        continue;
      }
      break;
    }
    records.push({ fields, line: recordLine });
    if (i < len) {
      i += text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      lineStart = i;
    }
  }
  return E.right(records);
}

function ragged(rec: CsvRecord, expected: number, basis: string): DataError {
  return dataError(
    'csv-ragged-row',
    `line ${rec.line}: expected ${expected} fields (${basis}), found ${rec.fields.length}`,
    { line: rec.line, expected: `${expected} fields`, found: `${rec.fields.length} fields` },
  );
}

/** Scans and checks that all records have the same width; returns records with their lines. */
function scanTable(text: string, options: CsvOptions): E.Either<DataError, { header?: CsvRecord; rows: CsvRecord[] }> {
  const scanned = scanCsv(text, options.delimiter ?? ',', options.quote ?? '"');
  if (E.isLeft(scanned)) return scanned;
  const records = scanned.right;
  const useHeader = options.header === true;
  if (useHeader && records.length === 0) {
    return E.left(dataError('csv-empty', 'line 1: expected a header line, found no records', { line: 1, expected: 'a header line', found: 'no records' }));
  }
  const header = useHeader ? records[0] : undefined;
  const rows = useHeader ? records.slice(1) : records;
  const width = header?.fields.length ?? rows[0]?.fields.length ?? 0;
  const basis = header !== undefined ? `as in the header on line ${header.line}` : `as in the first row on line ${rows[0]?.line ?? 1}`;
  for (const r of rows) if (r.fields.length !== width) return E.left(ragged(r, width, basis));
  return E.right(header === undefined ? { rows } : { header, rows });
}

/**
 * Parses CSV text (RFC 4180 quoting, LF/CRLF/CR line ends). Left on a ragged row (its line),
 * an unterminated quote (the line where it opened), or a stray quote (line and column).
 * Throws RangeError only for invalid `delimiter` / `quote` options (a programming error).
 */
export function parseCsv(text: string, options: CsvOptions = {}): E.Either<DataError, CsvTable> {
  return E.map(({ header, rows }: { header?: CsvRecord; rows: CsvRecord[] }): CsvTable => {
    const plain = rows.map((r) => r.fields);
    return header === undefined ? { rows: plain } : { header: header.fields, rows: plain };
  })(scanTable(text, options));
}

/**
 * Reads a `label,text` file (quoted text may contain commas). A first record that is exactly
 * `label,text` is taken as the header and skipped. Left on a record without exactly two
 * fields or with an empty label.
 */
export function parseLabelTextCsv(text: string): E.Either<DataError, { labels: string[]; texts: string[] }> {
  const scanned = scanCsv(text, ',', '"');
  if (E.isLeft(scanned)) return scanned;
  let records = scanned.right;
  const first = records[0];
  if (first !== undefined && first.fields.length === 2 && first.fields[0] === 'label' && first.fields[1] === 'text') records = records.slice(1);
  const labels: string[] = [];
  const texts: string[] = [];
  for (const r of records) {
    if (r.fields.length !== 2) {
      const e = ragged(r, 2, 'label,text; quote a text that contains commas');
      return E.left(e);
    }
    const [label, body] = r.fields as [string, string];
    if (label.trim() === '') {
      return E.left(dataError('empty-field', `line ${r.line}: empty label`, { line: r.line, expected: 'a label', found: preview(label) }));
    }
    labels.push(label);
    texts.push(body);
  }
  return E.right({ labels, texts });
}

// Unambiguous (each character has one way to match), so the test is linear in the length: the
// older `\d+\.?\d*` split a digit run in n ways and backtracked quadratically on '1111…x'.
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a decimal number strictly: optional sign, digits with an optional point, optional
 * exponent, surrounding spaces allowed. Rejects '', 'NA', 'NaN', 'Infinity', hex and '1,5'
 * (where `Number()` would give 0, NaN-as-a-value or a hex reading). Undefined if not a number.
 */
export function parseDecimal(s: string): number | undefined {
  const t = s.trim();
  if (!NUMBER.test(t)) return undefined;
  const x = Number(t);
  return Number.isFinite(x) ? x : undefined;
}

/**
 * Reads one named column of a CSV file with a header as numbers (e.g. `value` of
 * AirPassengers.csv). Left when the column is missing, a row is ragged, or a cell is not a
 * finite decimal number (with its line and value). Throws RangeError only for invalid
 * `delimiter` / `quote` options, as parseCsv.
 */
export function parseNumericColumn(text: string, column: string, options: Omit<CsvOptions, 'header'> = {}): E.Either<DataError, Float64Array> {
  const table = scanTable(text, { ...options, header: true });
  if (E.isLeft(table)) return table;
  const { header, rows } = table.right;
  const names = header?.fields ?? [];
  const c = names.indexOf(column);
  if (c < 0) {
    return E.left(
      dataError('csv-missing-column', `line ${header?.line ?? 1}: no column ${JSON.stringify(column)} in header [${names.map((n) => JSON.stringify(n)).join(', ')}]`, {
        line: header?.line ?? 1,
        expected: `a column named ${JSON.stringify(column)}`,
        found: names.join(','),
      }),
    );
  }
  const out = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const rec = rows[r] as CsvRecord;
    const cell = rec.fields[c] as string;
    const x = parseDecimal(cell);
    if (x === undefined) {
      return E.left(
        dataError('not-a-number', `line ${rec.line}: column ${JSON.stringify(column)} has ${preview(cell)}, expected a finite decimal number`, {
          line: rec.line,
          expected: 'a finite decimal number',
          found: cell,
        }),
      );
    }
    out[r] = x;
  }
  return E.right(out);
}

/** Options of parseTsvPairs. */
export interface TsvPairsOptions {
  /** The first non-blank line is a header and is returned separately (default false). */
  readonly header?: boolean;
}

/** Tab-separated pairs such as word→phonemes or English→French. */
export interface TsvPairs {
  readonly header?: readonly [string, string];
  readonly pairs: ReadonlyArray<readonly [source: string, target: string]>;
}

// A comment starts at a '#' at the start of the line or after whitespace, so "c#" is data, and
// runs to the end of the line. [\s\S], not '.': '.' stops at U+2028 / U+2029, so such a comment
// was kept, and the failed match was retried at every later '#' (quadratic in the line length).
const COMMENT = /(?:^|\s)#[\s\S]*$/;

/**
 * Reads `source<TAB>target` lines. Rules: a `#` at line start or after whitespace begins a
 * comment, which is stripped; lines that are then blank are skipped; both sides are trimmed.
 * Left (with the line number) on a line without a tab, with more than one tab, or with an
 * empty side.
 */
export function parseTsvPairs(text: string, options: TsvPairsOptions = {}): E.Either<DataError, TsvPairs> {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\n|\r/);
  const pairs: (readonly [string, string])[] = [];
  let header: readonly [string, string] | undefined;
  let wantHeader = options.header === true;
  for (let k = 0; k < lines.length; k++) {
    const lineNo = k + 1;
    const raw = lines[k] as string;
    const content = raw.replace(COMMENT, '');
    if (content.trim() === '') continue;
    const parts = content.split('\t');
    if (parts.length !== 2) {
      const code = parts.length < 2 ? 'tsv-missing-tab' : 'tsv-extra-tab';
      return E.left(
        dataError(code, `line ${lineNo}: expected source<TAB>target (1 tab), found ${parts.length - 1} tabs in ${preview(raw)}`, {
          line: lineNo,
          expected: '1 tab',
          found: `${parts.length - 1} tabs`,
        }),
      );
    }
    const source = (parts[0] as string).trim();
    const target = (parts[1] as string).trim();
    if (source === '' || target === '') {
      return E.left(
        dataError('empty-field', `line ${lineNo}: empty ${source === '' ? 'source' : 'target'} in ${preview(raw)}`, {
          line: lineNo,
          expected: 'non-empty source and target',
          found: preview(raw),
        }),
      );
    }
    if (wantHeader) {
      header = [source, target];
      wantHeader = false;
    } else pairs.push([source, target]);
  }
  return E.right(header === undefined ? { pairs } : { header, pairs });
}
