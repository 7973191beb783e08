import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIGIT_TABLES_PATH, digitTablesSource } from '../src/shape/build/digit-tables';

describe('digit tables of the type-level arithmetic', () => {
  it('the committed src/shape/digit-tables.ts is what the generator writes (run npm run build:tables)', () => {
    expect(readFileSync(DIGIT_TABLES_PATH, 'utf8')).toBe(digitTablesSource());
  });
  it('every entry is the digit arithmetic it names', () => {
    const src = digitTablesSource();
    const entries = (name: string) => {
      const body = src.slice(src.indexOf(`export type ${name} = {`), src.indexOf('};', src.indexOf(`export type ${name} = {`)));
      return [...body.matchAll(/'(\d+)': '?(-?\d+)'?;/g)].map((m) => [m[1]!, m[2]!] as const);
    };
    const d = (s: string, i: number) => Number(s[i]);
    expect(entries('ADD')).toHaveLength(200);
    for (const [k, v] of entries('ADD')) expect(Number(v)).toBe(d(k, 0) + d(k, 1) + d(k, 2));
    for (const [k, v] of entries('SUB')) expect(d(v, 1) - 10 * d(v, 0)).toBe(d(k, 1) - d(k, 2) - d(k, 0));
    expect(entries('MULC')).toHaveLength(1000);
    for (const [k, v] of entries('MULC')) expect(Number(v)).toBe(d(k, 1) * d(k, 2) + d(k, 0));
    for (const [k, v] of entries('CMP')) expect(Number(v)).toBe(Math.sign(d(k, 0) - d(k, 1)));
    expect(entries('DIV1')).toHaveLength(450);
    for (const [k, v] of entries('DIV1')) {
      const n = 10 * d(k, 0) + d(k, 1);
      expect([d(v, 0), d(v, 1)]).toEqual([Math.floor(n / d(k, 2)), n % d(k, 2)]);
    }
  });
});
