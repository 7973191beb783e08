import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import type { Key } from '../src/random';
import { sequential, chain } from '../src/nn/sequential';
import { dense, flatten } from '../src/nn/layers/core';
import { applyLayer, initLayer } from '../src/nn/layer';
import { gru, gruScan, lstm, lstmScan, simpleRnn, simpleRnnScan, type LstmParams, type LstmState } from '../src/nn/layers/recurrent';

declare const key: Key;
declare const xb: Tensor<['batch', 50, 1]>;
declare const x32: Tensor<[32, 50, 1]>;
declare const xs: Tensor<['batch', 'time', 3]>;
declare const x2: Tensor<[32, 50]>;
declare const p16: LstmParams<3, 16>;
declare const h16: Tensor<['batch', 16]>;
declare const h8: Tensor<['batch', 8]>;
declare const h16b: Tensor<[4, 16]>;
declare const x4: Tensor<['batch', 'time', 4]>;

describe('recurrent layers in models', () => {
  it('the benchmark model: lstm(50) then dense(1) → [batch, 1]', () => {
    const m = sequential(['batch', 50, 1], lstm(50), dense(1));
    const p = m.init(key);
    expectTypeOf(p[0]).toEqualTypeOf<{ kernel: Tensor<[1, 200]>; recurrentKernel: Tensor<[50, 200]>; bias: Tensor<[200]> }>();
    expectTypeOf(p[1].kernel).toEqualTypeOf<Tensor<[50, 1]>>();
    expectTypeOf(m.apply(p, xb)).toEqualTypeOf<Tensor<['batch', 1]>>();
    expectTypeOf(m.apply(p, x32)).toEqualTypeOf<Tensor<[32, 1]>>();
  });

  it('returnSequences keeps the time dim', () => {
    const m = sequential(['batch', 50, 1], lstm(50, { returnSequences: true }));
    expectTypeOf(m.apply(m.init(key), xb)).toEqualTypeOf<Tensor<['batch', 50, 50]>>();
    const stacked = sequential(['batch', 'time', 3], lstm(32, { returnSequences: true }), gru(16, { returnSequences: true }), simpleRnn(8), dense(1));
    expectTypeOf(stacked.apply(stacked.init(key), xs)).toEqualTypeOf<Tensor<['batch', 1]>>();
    const perStep = sequential(['batch', 'time', 3], simpleRnn(8, { returnSequences: true }), dense(2));
    expectTypeOf(perStep.apply(perStep.init(key), xs)).toEqualTypeOf<Tensor<['batch', 'time', 2]>>();
  });

  it('params follow the Keras layout: gate blocks side by side, GRU resetAfter bias [2, 3u]', () => {
    const pg = initLayer(gru(16), key, ['batch', 10, 4]);
    expectTypeOf(pg).toEqualTypeOf<{ kernel: Tensor<[4, 48]>; recurrentKernel: Tensor<[16, 48]>; bias: Tensor<[2, 48]> }>();
    const pg1 = initLayer(gru(16, { resetAfter: false }), key, ['batch', 10, 4]);
    expectTypeOf(pg1.bias).toEqualTypeOf<Tensor<[48]>>();
    const pr = initLayer(simpleRnn(5, { useBias: false }), key, ['batch', 10, 4]);
    expectTypeOf(pr).toEqualTypeOf<{ kernel: Tensor<[4, 5]>; recurrentKernel: Tensor<[5, 5]> }>();
    const pl = initLayer(lstm(128), key, [8, 20, 300]);
    expectTypeOf(pl.kernel).toEqualTypeOf<Tensor<[300, 512]>>();
    expectTypeOf(applyLayer(lstm(128), pl, x32 as unknown as Tensor<[8, 20, 300]>)).toEqualTypeOf<Tensor<[8, 128]>>();
  });

  it('recurrent layers nest in chains', () => {
    const encoder = chain(lstm(16, { returnSequences: true }), lstm(8));
    const m = sequential(['batch', 'time', 3], encoder, dense(1));
    expectTypeOf(m.apply(m.init(key), xs)).toEqualTypeOf<Tensor<['batch', 1]>>();
  });

  it('reports a dense with a different explicit inputDim after an LSTM at the dense', () => {
    sequential(
      ['batch', 50, 1],
      lstm(50),
      // @ts-expect-error layer 1 (dense): dense: input dim differs (expected 40, got 50)
      dense(1, { inputDim: 40 }),
    );
    sequential(['batch', 50, 1], lstm(50), dense(1, { inputDim: 50 }));
  });

  it('reports an LSTM on a rank-2 input at the LSTM', () => {
    sequential(
      ['batch', 50],
      dense(8),
      // @ts-expect-error layer 1 (lstm): lstm: expects a rank-3 input [batch, time, features] (got rank 2)
      lstm(4),
      dense(1),
    );
    sequential(
      ['batch', 50, 1],
      lstm(8),
      // @ts-expect-error layer 1 (gru): gru: expects a rank-3 input [batch, time, features] (got rank 2)
      gru(4),
    );
    sequential(['batch', 50, 1], lstm(8, { returnSequences: true }), gru(4));
    sequential(
      ['batch', 28, 28],
      flatten(),
      // @ts-expect-error layer 1 (simpleRnn): simpleRnn: expects a rank-3 input
      simpleRnn(4),
    );
  });

  it('reports a recurrent layer whose explicit inputDim differs at that layer', () => {
    sequential(
      ['batch', 50, 1],
      // @ts-expect-error layer 0 (lstm): lstm: input dim differs (expected 3, got 1)
      lstm(8, { inputDim: 3 }),
    );
    sequential(['batch', 50, 1], lstm(8, { inputDim: 1 }));
  });

  it('returnState is not a layer option; model inputs are checked', () => {
    // @ts-expect-error returnState: true is not a layer option (use lstmScan)
    lstm(8, { returnState: true });
    lstm(8, { returnState: false });
    const m = sequential(['batch', 50, 1], lstm(8), dense(1));
    // @ts-expect-error model input: rank differs
    m.apply(m.init(key), x2);
  });
});

describe('scans: initial and final states', () => {
  it('lstmScan returns every h and the final [h, c] with exact types', () => {
    const r = lstmScan(p16, xs);
    expectTypeOf(r.outputs).toEqualTypeOf<Tensor<['batch', 'time', 16]>>();
    expectTypeOf(r.state).toEqualTypeOf<LstmState<'batch', 16>>();
    expectTypeOf(r.state[0]).toEqualTypeOf<Tensor<['batch', 16]>>();
    expectTypeOf(r.state[1]).toEqualTypeOf<Tensor<['batch', 16]>>();
    expectTypeOf(r.state).toHaveProperty('length').toEqualTypeOf<2>();
    const r2 = lstmScan(p16, xs, [h16, h16]);
    expectTypeOf(r2.state[1]).toEqualTypeOf<Tensor<['batch', 16]>>();
  });

  it('gruScan / simpleRnnScan take [h0] and the layers params', () => {
    const m = sequential(['batch', 'time', 4], gru(8, { returnSequences: true }), simpleRnn(8));
    const [pg, pr] = m.init(key);
    const g = gruScan(pg, x4, [h8]);
    expectTypeOf(g.outputs).toEqualTypeOf<Tensor<['batch', 'time', 8]>>();
    expectTypeOf(g.state).toEqualTypeOf<[h: Tensor<['batch', 8]>]>();
    const s = simpleRnnScan(pr, g.outputs, g.state);
    expectTypeOf(s.state).toEqualTypeOf<[h: Tensor<['batch', 8]>]>();
  });

  it('rejects inputs and states of the wrong shape at the offending argument', () => {
    // @ts-expect-error lstmScan: input dim differs (expected 3, got 4)
    lstmScan(p16, x4);
    // @ts-expect-error lstmScan: expects a rank-3 input
    lstmScan(p16, x2);
    // @ts-expect-error the state's units differ (8 vs 16)
    lstmScan(p16, xs, [h8, h8]);
    // @ts-expect-error the state's batch dim must be the input's ('batch', not 4)
    lstmScan(p16, xs, [h16b, h16b]);
    // @ts-expect-error an LSTM state is a pair [h, c]
    lstmScan(p16, xs, [h16]);
  });
});
