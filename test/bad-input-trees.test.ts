/**
 * Named tree errors (issue 16 / 19): optimizers, applyUpdates and safetensors loading compare
 * pytrees leaf by leaf and report the first differing path with both shapes, in the library's
 * error types (TreeMismatchError / ArgumentError, both ShapeErrors), never a broadcast result.
 */
import { describe, expect, it } from 'vitest';
import { either as E } from 'fp-ts';
import { adam, adamw, applyUpdates, chain, clipByGlobalNorm, rmsprop, scale, sgd, addDecayedWeights, type GradientTransformation } from '../src/optim';
import { formatPath } from '../src/optim/trees';
import { ArgumentError, ShapeError, TreeMismatchError } from '../src/shape/dims';
import { zeros, ones } from '../src/tensor/create';
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors';

/** What `f` throws (fails the test when it returns). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw, got a result');
}

const mlp = (hidden: number) => [
  { kernel: zeros([4, hidden]), bias: zeros([hidden]) },
  { kernel: zeros([hidden, 3]), bias: zeros([3]) },
];

const optimizers: Record<string, () => GradientTransformation> = {
  sgd: () => sgd({ learningRate: 0.1 }),
  sgdMomentum: () => sgd({ learningRate: 0.1, momentum: 0.9 }),
  adam: () => adam({ learningRate: 0.1 }),
  adamw: () => adamw({ learningRate: 0.1 }),
  rmsprop: () => rmsprop({ learningRate: 0.1, momentum: 0.5, centered: true }),
  scale: () => scale(2),
  addDecayedWeights: () => addDecayedWeights(0.1),
};

describe('key paths as code spells them', () => {
  it('formatPath', () => {
    expect(formatPath('2.kernel')).toBe('[2].kernel');
    expect(formatPath('layers.0.bias')).toBe('layers[0].bias');
    expect(formatPath('w')).toBe('w');
    expect(formatPath('')).toBe('(root)');
  });
});

describe('optimizers check grads against params and state leaf by leaf', () => {
  for (const [name, make] of Object.entries(optimizers)) {
    it(`${name}: grads of another model name the first differing path and both shapes`, () => {
      const opt = make();
      const params = mlp(8);
      const state = opt.init(params);
      const e = thrown(() => opt.update(mlp(5), state, params));
      expect(e).toBeInstanceOf(TreeMismatchError);
      const t = e as TreeMismatchError;
      expect(t.message).toBe(`${opt.name}.update: grads differ from params at [0].kernel: [4, 5] vs [4, 8]`);
      expect(t.path).toBe('[0].kernel');
      expect(t.actual).toEqual([4, 5]);
      expect(t.expected).toEqual([4, 8]);
    });
  }
  it('sgd with [4,3] grads for [3,4] params is an error, not [4,3] updates', () => {
    const opt = sgd({ learningRate: 0.1 });
    const params = { w: zeros([3, 4]) };
    expect(() => opt.update({ w: zeros([4, 3]) } as never, opt.init(params), params)).toThrow('sgd.update: grads differ from params at w: [4, 3] vs [3, 4]');
  });
  it('a state made for another model is named by its slot', () => {
    const opt = adam({ learningRate: 0.1 });
    const e = thrown(() => opt.update(mlp(8), opt.init(mlp(5))));
    expect(e).toBeInstanceOf(TreeMismatchError);
    expect((e as Error).message).toBe("adam.update: state slot 'mu' differ from grads at [0].kernel: [4, 5] vs [4, 8]");
  });
  it('a missing or an extra leaf is named where it is, not where the lists start to shift', () => {
    const opt = sgd({ learningRate: 0.1 });
    const params = { a: zeros([1]), b: zeros([2]), c: zeros([3]) };
    expect(() => opt.update({ a: zeros([1]), c: zeros([3]) } as never, opt.init(params), params)).toThrow('sgd.update: grads differ from params at b: no leaf vs [2] (grads have none there)');
    expect(() => opt.update({ ...params, d: zeros([4]) } as never, opt.init(params), params)).toThrow('sgd.update: grads differ from params at d: [4] vs no leaf (params have none there)');
    expect(() => opt.update({ c: zeros([3]), b: zeros([2]), a: zeros([1]) }, opt.init(params), params)).toThrow(/different order/);
  });
  it('dtypes are compared too', () => {
    const opt = sgd({ learningRate: 0.1 });
    const params = { w: zeros([2]) };
    expect(() => opt.update({ w: zeros([2], 'int32') } as never, opt.init(params), params)).toThrow(ShapeError);
  });
  it('a state that is not a state, or params [{}] against real grads, are library errors', () => {
    const opt = adam({ learningRate: 0.1 });
    for (const bad of [null, 5, 'x', [], { count: 0 }]) {
      const e = thrown(() => opt.update(mlp(2), bad as never));
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as Error).message).toMatch(/^adam\.update: state is not an optimizer state/);
    }
    const e = thrown(() => sgd({ learningRate: 1 }).update(mlp(2), sgd({ learningRate: 1 }).init([{}]), [{}] as never));
    expect(e).toBeInstanceOf(TreeMismatchError);
    expect((e as Error).message).toBe('sgd.update: grads differ from params at [0].kernel: [4, 2] vs no leaf (params have none there)');
  });
  it('chain and clipByGlobalNorm check their state', () => {
    const c = chain(clipByGlobalNorm(1), adam({ learningRate: 0.1 }));
    expect(() => c.update(mlp(2), null as never)).toThrow(ArgumentError);
    expect(() => c.update(mlp(2), c.init(mlp(3)), mlp(3))).toThrow('adam.update: grads differ from params at [0].kernel: [4, 2] vs [4, 3]');
    expect(() => clipByGlobalNorm(1).update(mlp(2), undefined as never)).toThrow(/clipByGlobalNorm\.update: state is not/);
  });
});

describe('applyUpdates checks leaf by leaf', () => {
  it('a [1] update is not broadcast onto a [3, 4] weight', () => {
    const e = thrown(() => applyUpdates({ w: zeros([3, 4]) }, { w: ones([1]) }));
    expect(e).toBeInstanceOf(TreeMismatchError);
    expect((e as Error).message).toBe('optim.applyUpdates: updates differ from params at w: [1] vs [3, 4]');
  });
  it('the path of the first difference in a nested tree', () => {
    expect(() => applyUpdates(mlp(8), [mlp(8)[0], { kernel: zeros([8, 3]), bias: zeros([4]) }])).toThrow('optim.applyUpdates: updates differ from params at [1].bias: [4] vs [3]');
  });
  it('matching trees still add', () => {
    const r = applyUpdates({ w: ones([2]) }, { w: ones([2]) });
    expect(Array.from(r.w.dataSync())).toEqual([2, 2]);
  });
});

describe('safetensors into a params tree of another model', () => {
  it('the first differing tensor is named with both shapes (a Left, not a throw)', () => {
    const bytes = saveSafetensors(mlp(8));
    const r = loadSafetensors(bytes, mlp(5));
    expect(E.isLeft(r)).toBe(true);
    if (E.isLeft(r)) {
      expect(r.left).toMatchObject({ kind: 'shape', name: '0.kernel', expected: [4, 5], actual: [4, 8] });
      expect(r.left.message).toBe('safetensors: tensor "0.kernel" has shape [4, 8] but the template wants [4, 5]');
    }
    const fewer = loadSafetensors(bytes, [mlp(8)[0]]);
    expect(E.isLeft(fewer) && fewer.left.kind).toBe('unexpected');
    const more = loadSafetensors(bytes, [...mlp(8), { w: zeros([1]) }]);
    expect(E.isLeft(more) && more.left).toMatchObject({ kind: 'missing', name: '2.w' });
  });
});
