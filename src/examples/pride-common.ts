/**
 * The text pipeline shared by the language-model examples on Pride and Prejudice (and on a
 * user's --data file): read the text, split it 90/10 in reading order, pick a prompt.
 *
 * Split rule: the text's Unicode code points (CRLF and CR read as one newline), the first
 * floor(0.9·n) train, the rest validate — the same characters ngram-pride scores, so
 * bits/char of the n-gram models and of the neural model are directly comparable.
 */
import { either as E } from 'fp-ts';
import { join } from 'node:path';
import { readTextFileEither } from '../data/node';
import { trainSize } from '../data/splits';
import type { ExampleContext } from './example';

/** fraction of the characters that train (the rest validate) */
export const TRAIN_FRACTION = 0.9;

/** The novel (or ctx.dataFile), line endings normalised to '\n'. */
export function loadText(ctx: Pick<ExampleContext, 'dataFile' | 'dataDir'>): { text: string; source: string } {
  const path = ctx.dataFile ?? join(ctx.dataDir, 'text', 'pride-and-prejudice.txt');
  const read = readTextFileEither(path);
  if (E.isLeft(read)) throw new Error(read.left.message);
  // Line endings are not part of the language: CRLF and CR count as one newline.
  return { text: read.right.replace(/\r\n?/g, '\n'), source: path };
}

export interface TextSplit {
  readonly train: string;
  readonly val: string;
  /** code points in each part */
  readonly trainChars: number;
  readonly valChars: number;
}

/**
 * The first floor(0.9·n) code points train, the rest validate (in reading order: the
 * validation text is the end of the book, never seen in training). `maxChars` keeps only
 * the start of the text first (quick runs), with the same rule on what is kept.
 */
export function splitText(text: string, source: string, maxChars = Infinity): TextSplit {
  const all = Array.from(text);
  const chars = all.length > maxChars ? all.slice(0, maxChars) : all;
  const n = trainSize(chars.length, TRAIN_FRACTION);
  if (n < 2 || chars.length - n < 10) throw new Error(`${source}: too short for a 90/10 split (${chars.length} characters)`);
  return { train: chars.slice(0, n).join(''), val: chars.slice(n).join(''), trainChars: n, valChars: chars.length - n };
}

/** A prompt from the start of the validation text: whole words, about 40 characters, one line. */
export function promptFrom(val: string): string {
  const start = val.search(/\s\S/) + 1; // the first word that starts inside the text
  const head = Array.from(val.slice(start).replace(/\s+/g, ' ')).slice(0, 40).join('');
  const cut = head.lastIndexOf(' ');
  return cut > 0 ? head.slice(0, cut + 1) : head;
}
