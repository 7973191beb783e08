import { describe, expectTypeOf, test } from 'vitest';
import type {
  Add,
  ArithError,
  Compare,
  Div,
  DivMod,
  Eq,
  Gt,
  Gte,
  Lt,
  Lte,
  Max,
  Min,
  Mod,
  Mul,
  Product,
  Sub,
  Sum,
} from '../src/shape/arith';

const MAX_SAFE = 9007199254740991;
type MaxSafe = typeof MAX_SAFE;

describe('sizes that tuple counting cannot reach', () => {
  test('products of real tensor sizes', () => {
    expectTypeOf<Mul<224, 224>>().toEqualTypeOf<50176>();
    expectTypeOf<Product<[32, 224, 224, 3]>>().toEqualTypeOf<4816896>();
    expectTypeOf<Mul<4096, 4096>>().toEqualTypeOf<16777216>();
    expectTypeOf<Mul<50257, 768>>().toEqualTypeOf<38597376>();
    expectTypeOf<Product<[7, 7, 64]>>().toEqualTypeOf<3136>();
    expectTypeOf<Sum<[50257, 1, 9999]>>().toEqualTypeOf<60257>();
  });

  test('values near 2^53 - 1', () => {
    expectTypeOf<Add<9007199254740990, 1>>().toEqualTypeOf<MaxSafe>();
    expectTypeOf<Sub<MaxSafe, MaxSafe>>().toEqualTypeOf<0>();
    expectTypeOf<Sub<MaxSafe, 9007199254740990>>().toEqualTypeOf<1>();
    expectTypeOf<Sub<MaxSafe, 1000000000000000>>().toEqualTypeOf<8007199254740991>();
    // 94906265^2 is the largest square below 2^53
    expectTypeOf<Mul<94906265, 94906265>>().toEqualTypeOf<9007199136250225>();
    expectTypeOf<DivMod<MaxSafe, 94906265>>().toEqualTypeOf<[94906266, 23584501]>();
    expectTypeOf<Div<MaxSafe, 7>>().toEqualTypeOf<1286742750677284>();
    expectTypeOf<Mod<MaxSafe, 7>>().toEqualTypeOf<3>();
    expectTypeOf<Mul<4503599627370496, 2>>().toEqualTypeOf<9007199254740992>();
    expectTypeOf<Compare<MaxSafe, 9007199254740990>>().toEqualTypeOf<1>();
    expectTypeOf<Product<[131072, 131072, 524287]>>().toEqualTypeOf<9007182074871808>();
  });

  test('results beyond what a number literal can spell widen to number', () => {
    expectTypeOf<Mul<MaxSafe, MaxSafe>>().toEqualTypeOf<number>();
    // still exact when the decimal string round-trips (2^54 - 2 is a double)
    expectTypeOf<Mul<MaxSafe, 2>>().toEqualTypeOf<18014398509481982>();
  });
});

describe('division, subtraction, comparison', () => {
  test('Div/Mod with remainders', () => {
    expectTypeOf<Div<50257, 64>>().toEqualTypeOf<785>();
    expectTypeOf<Mod<50257, 64>>().toEqualTypeOf<17>();
    expectTypeOf<Div<217, 2>>().toEqualTypeOf<108>();
    expectTypeOf<Mod<217, 2>>().toEqualTypeOf<1>();
    expectTypeOf<Div<3, 5>>().toEqualTypeOf<0>();
    expectTypeOf<Mod<3, 5>>().toEqualTypeOf<3>();
    expectTypeOf<Div<0, 5>>().toEqualTypeOf<0>();
    expectTypeOf<Div<1000000, 1000>>().toEqualTypeOf<1000>();
    expectTypeOf<Mod<1000000, 1000>>().toEqualTypeOf<0>();
    expectTypeOf<Div<9999, 9999>>().toEqualTypeOf<1>();
  });

  test('division by zero is a marker, not never', () => {
    expectTypeOf<Div<7, 0>>().toEqualTypeOf<ArithError<'7 / 0 divides by zero'>>();
    expectTypeOf<Mod<7, 0>>().toEqualTypeOf<ArithError<'7 / 0 divides by zero'>>();
  });

  test('Sub down to 0, with borrows, and below 0', () => {
    expectTypeOf<Sub<50257, 50257>>().toEqualTypeOf<0>();
    expectTypeOf<Sub<1000, 1>>().toEqualTypeOf<999>();
    expectTypeOf<Sub<10000, 9999>>().toEqualTypeOf<1>();
    expectTypeOf<Sub<0, 0>>().toEqualTypeOf<0>();
    expectTypeOf<Sub<3, 5>>().toEqualTypeOf<ArithError<'3 - 5 is negative'>>();
    expectTypeOf<Sub<999, 1000>>().toEqualTypeOf<ArithError<'999 - 1000 is negative'>>();
  });

  test('Compare and friends across different lengths', () => {
    expectTypeOf<Compare<999, 1000>>().toEqualTypeOf<-1>();
    expectTypeOf<Compare<10000, 9999>>().toEqualTypeOf<1>();
    expectTypeOf<Compare<0, 0>>().toEqualTypeOf<0>();
    expectTypeOf<Compare<123456, 123465>>().toEqualTypeOf<-1>();
    expectTypeOf<Compare<9, 10>>().toEqualTypeOf<-1>();
    expectTypeOf<Lt<9, 10>>().toEqualTypeOf<true>();
    expectTypeOf<Lt<10, 10>>().toEqualTypeOf<false>();
    expectTypeOf<Lte<10, 10>>().toEqualTypeOf<true>();
    expectTypeOf<Lte<11, 10>>().toEqualTypeOf<false>();
    expectTypeOf<Gt<100, 99>>().toEqualTypeOf<true>();
    expectTypeOf<Gt<99, 100>>().toEqualTypeOf<false>();
    expectTypeOf<Gte<99, 99>>().toEqualTypeOf<true>();
    expectTypeOf<Gte<98, 99>>().toEqualTypeOf<false>();
    expectTypeOf<Eq<50257, 50257>>().toEqualTypeOf<true>();
    expectTypeOf<Eq<50257, 50258>>().toEqualTypeOf<false>();
    expectTypeOf<Max<512, 64>>().toEqualTypeOf<512>();
    expectTypeOf<Min<512, 64>>().toEqualTypeOf<64>();
  });

  test('the conv output formula at real sizes', () => {
    // valid: floor((n - d(k-1) - 1) / s) + 1 with n = 224, k = 7, s = 2, d = 1
    type Valid<N extends number, K extends number, S extends number, D extends number> = Add<
      Div<Sub<N, Add<Mul<D, Sub<K, 1> & number>, 1>> & number, S> & number,
      1
    >;
    expectTypeOf<Valid<224, 7, 2, 1>>().toEqualTypeOf<109>();
    expectTypeOf<Valid<1000, 3, 1, 4>>().toEqualTypeOf<992>();
    expectTypeOf<Valid<50257, 5, 3, 2>>().toEqualTypeOf<16750>();
    // same: floor((n - 1) / s) + 1 = ceil(n / s)
    expectTypeOf<Add<Div<Sub<224, 1> & number, 2> & number, 1>>().toEqualTypeOf<112>();
    expectTypeOf<Add<Div<Sub<50257, 1> & number, 4> & number, 1>>().toEqualTypeOf<12565>();
  });
});

describe('dynamic and out-of-domain operands', () => {
  test('the wide number type is dynamic', () => {
    expectTypeOf<Add<number, 3>>().toEqualTypeOf<number>();
    expectTypeOf<Mul<224, number>>().toEqualTypeOf<number>();
    expectTypeOf<Sub<number, 3>>().toEqualTypeOf<number>();
    expectTypeOf<Div<number, 3>>().toEqualTypeOf<number>();
    expectTypeOf<Product<[2, number, 3]>>().toEqualTypeOf<number>();
    expectTypeOf<Product<number[]>>().toEqualTypeOf<number>();
    expectTypeOf<Sum<number[]>>().toEqualTypeOf<number>();
    expectTypeOf<Compare<number, 3>>().toEqualTypeOf<-1 | 0 | 1>();
    expectTypeOf<Lt<number, 3>>().toEqualTypeOf<boolean>();
    expectTypeOf<Eq<3, number>>().toEqualTypeOf<boolean>();
  });

  test('negative or fractional operands are treated as dynamic', () => {
    expectTypeOf<Add<-1, 2>>().toEqualTypeOf<number>();
    expectTypeOf<Mul<1.5, 2>>().toEqualTypeOf<number>();
    expectTypeOf<Lt<1.5, 2>>().toEqualTypeOf<boolean>();
  });

  test('unions distribute', () => {
    expectTypeOf<Add<1 | 2, 10>>().toEqualTypeOf<11 | 12>();
    expectTypeOf<Lt<1 | 5, 3>>().toEqualTypeOf<boolean>();
  });

  test('empty products and sums', () => {
    expectTypeOf<Product<[]>>().toEqualTypeOf<1>();
    expectTypeOf<Sum<[]>>().toEqualTypeOf<0>();
    expectTypeOf<Product<readonly [5, 0, 7]>>().toEqualTypeOf<0>();
  });
});

// [a, b, a + b, a - b, a * b, floor(a / b), a mod b, compare(a, b)], computed with BigInt from a
// fixed seed (digit lengths 1..16); `number` where the exact product is not a round-tripping double.
type Cases = [
  [716997689703, 85401, 716997775104, 716997604302, number, 8395659, 15444, 1],
  [191366242, 19, 191366261, 191366223, 3635958598, 10071907, 9, 1],
  [5264055637, 6, 5264055643, 5264055631, 31584333822, 877342606, 1, 1],
  [3065580, 552, 3066132, 3065028, 1692200160, 5553, 324, 1],
  [132, 4628578, 4628710, ArithError<'132 - 4628578 is negative'>, 610972296, 0, 132, -1],
  [1417, 70063455, 70064872, ArithError<'1417 - 70063455 is negative'>, 99279915735, 0, 1417, -1],
  [312758729984, 2899, 312758732883, 312758727085, 906687558223616, 107885039, 1923, 1],
  [405, 432266, 432671, ArithError<'405 - 432266 is negative'>, 175067730, 0, 405, -1],
  [9104193733, 21287, 9104215020, 9104172446, 193800971994371, 427687, 20564, 1],
  [359886876, 7, 359886883, 359886869, 2519208132, 51412410, 6, 1],
  [8776554800707247, 9, 8776554800707256, 8776554800707238, number, 975172755634138, 5, 1],
  [79493035, 980683691, 1060176726, ArithError<'79493035 - 980683691 is negative'>, number, 0, 79493035, -1],
  [55, 5331141, 5331196, ArithError<'55 - 5331141 is negative'>, 293212755, 0, 55, -1],
  [52564, 329, 52893, 52235, 17293556, 159, 253, 1],
  [6739, 58992426561, 58992433300, ArithError<'6739 - 58992426561 is negative'>, 397549962594579, 0, 6739, -1],
  [84765, 5, 84770, 84760, 423825, 16953, 0, 1],
  [4450342517, 259326, 4450601843, 4450083191, 1154089523563542, 17161, 49031, 1],
  [1997920841, 20, 1997920861, 1997920821, 39958416820, 99896042, 1, 1],
  [55361564, 24768627, 80130191, 30592937, 1371229928852628, 2, 5824310, 1],
  [2254883804, 297, 2254884101, 2254883507, 669700489788, 7592201, 107, 1],
  [24, 680318610, 680318634, ArithError<'24 - 680318610 is negative'>, 16327646640, 0, 24, -1],
  [27340346, 818077, 28158423, 26522269, 22366508234642, 33, 343805, 1],
  [5461801453849, 528, 5461801454377, 5461801453321, 2883831167632272, 10344320935, 169, 1],
  [26709351, 431102, 27140453, 26278249, 11514454634802, 61, 412129, 1],
];
type Row = readonly [number, number, ...unknown[]];
type Computed<C extends readonly Row[]> = {
  [K in keyof C]: [
    C[K][0],
    C[K][1],
    Add<C[K][0], C[K][1]>,
    Sub<C[K][0], C[K][1]>,
    Mul<C[K][0], C[K][1]>,
    Div<C[K][0], C[K][1]>,
    Mod<C[K][0], C[K][1]>,
    Compare<C[K][0], C[K][1]>,
  ];
};

test('random operands of every digit length agree with BigInt', () => {
  expectTypeOf<Computed<Cases>>().toEqualTypeOf<Cases>();
});
