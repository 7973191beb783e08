import { describe, expectTypeOf, it } from 'vitest';
import { key, split } from '../src/random/index';
import type { Key, Keys } from '../src/random/index';

describe('split result types', () => {
  const k = key(0);

  it('is a pair by default and an n-tuple for literal n', () => {
    expectTypeOf(split(k)).toEqualTypeOf<[Key, Key]>();
    expectTypeOf(split(k, 2)).toEqualTypeOf<[Key, Key]>();
    expectTypeOf(split(k, 3)).toEqualTypeOf<[Key, Key, Key]>();
    expectTypeOf(split(k, 1)).toEqualTypeOf<[Key]>();
    expectTypeOf(split(k, 0)).toEqualTypeOf<[]>();
    expectTypeOf(split(k, 99)).toHaveProperty('98');
    expectTypeOf(split(k, 99)['length']).toEqualTypeOf<99>();
  });

  it('destructures without undefined under noUncheckedIndexedAccess', () => {
    const [a, b, c] = split(k, 3);
    expectTypeOf(a).toEqualTypeOf<Key>();
    expectTypeOf(b).toEqualTypeOf<Key>();
    expectTypeOf(c).toEqualTypeOf<Key>();
    // @ts-expect-error: a 2-tuple has no third element
    const [, , d] = split(k);
    void d;
  });

  it('falls back to Key[] for non-literal, large or invalid counts', () => {
    const n: number = 4;
    expectTypeOf(split(k, n)).toEqualTypeOf<Key[]>();
    expectTypeOf(split(k, 100)).toEqualTypeOf<Key[]>();
    expectTypeOf(split(k, 1000)).toEqualTypeOf<Key[]>();
    expectTypeOf(split(k, -1)).toEqualTypeOf<Key[]>();
    expectTypeOf(split(k, 2.5)).toEqualTypeOf<Key[]>();
    expectTypeOf<Keys<2 | 3>>().toEqualTypeOf<[Key, Key] | [Key, Key, Key]>();
  });

  it('keys are opaque: words are readonly and plain objects are not keys', () => {
    // @ts-expect-error: words cannot be reassigned
    k.words = [0, 0, 0, 0];
    // @ts-expect-error: a word cannot be written
    k.words[0] = 1;
    // @ts-expect-error: an object without the brand is not a Key
    split({ words: [1, 2, 3, 4] });
    // @ts-expect-error: split needs a key, not a seed
    split(0);
  });
});
