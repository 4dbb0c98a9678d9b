/**
 * The shared part found from the model graph: the layers whose weights reach several outputs, the
 * features where the outputs' paths split; the override; the error when nothing is shared.
 */
import * as tf from '@tensorflow/tfjs';
import { Sum, UPGrad } from '../../lib/aggregation';
import { InvalidArgumentError } from '../../lib/errors';
import { findSharedPart, jdFit } from '../../lib/training';
import { twoTaskModel, weightDistance } from './models';

const init = (seed: number) => tf.initializers.glorotUniform({ seed });
const dense = (units: number, seed: number, name?: string) =>
  tf.layers.dense({ units, activation: 'tanh', kernelInitializer: init(seed), name });

/** input → d1 → d2 → out1, out2; d1 → out3: the outputs leave the trunk at two depths. */
function nestedModel(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const d1 = dense(6, 1).apply(input) as tf.SymbolicTensor;
  const d2 = dense(5, 2).apply(d1) as tf.SymbolicTensor;
  const outputs = [
    dense(1, 3).apply(d2),
    dense(1, 4).apply(d2),
    dense(1, 5).apply(d1),
  ] as tf.SymbolicTensor[];
  const model = tf.model({ inputs: input, outputs });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
  return model;
}

describe('findSharedPart', () => {
  it('finds the trunk of a two-head model, its output as the feature', () => {
    const model = twoTaskModel();
    const part = findSharedPart(model);
    expect(part.sharedLayers.map((l) => l.name)).toEqual(['trunk']);
    expect(part.features.map((f) => f.sourceLayer.name)).toEqual(['trunk']);
    expect(part.sharedWeights.map((v) => v.name).sort()).toEqual(
      model
        .getLayer('trunk')
        .trainableWeights.map((w) => (w.read() as tf.Variable).name)
        .sort(),
    );
    expect(part.tasksWeights).toBeUndefined();
    const x = tf.ones([3, 4]);
    const { features, outputs } = part.forward([x]);
    expect(features[0].shape).toEqual([3, 6]);
    expect(outputs.map((o) => o.shape)).toEqual([
      [3, 1],
      [3, 3],
    ]);
    tf.dispose([x, features, outputs]);
    model.dispose();
  });

  it('goes past weightless layers that still reach several outputs (flatten, dropout)', () => {
    const input = tf.input({ shape: [2, 3] });
    const trunk = dense(4, 1, 'shared_dense').apply(input) as tf.SymbolicTensor;
    const flat = tf.layers.flatten({ name: 'shared_flat' }).apply(trunk) as tf.SymbolicTensor;
    const drop = tf.layers
      .dropout({ rate: 0.1, name: 'shared_drop' })
      .apply(flat) as tf.SymbolicTensor;
    const skip = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate().apply([drop, skip]) as tf.SymbolicTensor;
    const out1 = dense(1, 2).apply(joined) as tf.SymbolicTensor;
    const out2 = dense(2, 3).apply(drop) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [out1, out2] });
    const part = findSharedPart(model);
    expect(part.sharedLayers.map((l) => l.name)).toEqual(['shared_dense']);
    // The concatenation only feeds out1: the feature is the dropout's output, not the input.
    expect(part.features.map((f) => f.sourceLayer.name)).toEqual(['shared_drop']);
    model.dispose();
  });

  it('with outputs leaving the trunk at two depths uses the outputs as features; Sum is still fit', async () => {
    const model = nestedModel();
    const part = findSharedPart(model);
    expect(part.sharedLayers.length).toBe(2);
    expect(part.features.length).toBe(3);
    expect(part.tasksWeights!.map((w) => w.length)).toEqual([2, 2, 2]);
    const reference = nestedModel();
    const x = tf.randomNormal([16, 4], 0, 1, 'float32', 1);
    const ys = [2, 3, 4].map((s) => tf.randomNormal([16, 1], 0, 1, 'float32', s));
    const args = { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 as const };
    await reference.fit(x, ys, args);
    await jdFit(model, x, ys, { ...args, aggregator: new Sum() });
    expect(weightDistance(model, reference)).toBeLessThan(1e-6);
    tf.dispose([x, ys]);
    model.dispose();
    reference.dispose();
  });

  it('handles several inputs (x as a map by input name), one layer applied in both heads after task layers', async () => {
    const build = () => {
      const a = tf.input({ shape: [3], name: 'in_a' });
      const b = tf.input({ shape: [2], name: 'in_b' });
      const joined = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
      const trunk = dense(4, 1).apply(joined) as tf.SymbolicTensor;
      const tied = dense(4, 2); // one layer, used by both heads: its weights are shared too
      const out1 = dense(1, 3).apply(tied.apply(trunk) as tf.SymbolicTensor);
      const side = dense(4, 5).apply(b) as tf.SymbolicTensor;
      const out2 = dense(1, 4).apply(tied.apply(side) as tf.SymbolicTensor);
      const model = tf.model({ inputs: [a, b], outputs: [out1, out2] as tf.SymbolicTensor[] });
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      return model;
    };
    const model = build();
    const reference = build();
    expect(findSharedPart(model).sharedLayers.length).toBe(1);
    const xa = tf.randomNormal([12, 3], 0, 1, 'float32', 1);
    const xb = tf.randomNormal([12, 2], 0, 1, 'float32', 2);
    const ys = [3, 4].map((s) => tf.randomNormal([12, 1], 0, 1, 'float32', s));
    const args = { epochs: 2, batchSize: 6, shuffle: false, verbose: 0 as const };
    await reference.fit([xa, xb], ys, args);
    await jdFit(model, { in_b: xb, in_a: xa }, ys, { ...args, aggregator: new Sum() });
    expect(weightDistance(model, reference)).toBeLessThan(1e-6);
    tf.dispose([xa, xb, ys]);
    model.dispose();
    reference.dispose();
  });

  it('the Gramian fast path and the Jacobian path give the same UPGrad steps, features split or not', async () => {
    for (const build of [nestedModel, () => twoTaskModel({ seed: 9 })]) {
      const fast = build();
      const slow = build();
      const outputs = fast.outputs.length;
      const x = tf.randomNormal([16, 4], 0, 1, 'float32', 1);
      const ys =
        outputs === 3
          ? [2, 3, 4].map((s) => tf.randomNormal([16, 1], 0, 1, 'float32', s))
          : [
              tf.randomNormal([16, 1], 0, 1, 'float32', 2),
              tf.oneHot(
                tf.tensor1d(
                  Array.from({ length: 16 }, (_, i) => i % 3),
                  'int32',
                ),
                3,
              ),
            ];
      const args = { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 as const };
      // A hook on the aggregator itself makes mtlGrads form the Jacobian.
      const withHook = new UPGrad();
      withHook.registerForwardHook(() => undefined);
      await jdFit(fast, x, ys, { ...args, aggregator: new UPGrad() });
      await jdFit(slow, x, ys, { ...args, aggregator: withHook });
      expect(weightDistance(fast, slow)).toBeLessThan(1e-5);
      tf.dispose([x, ys]);
      fast.dispose();
      slow.dispose();
    }
  });

  it('takes sharedLayers by name or by layer', () => {
    const input = tf.input({ shape: [4] });
    const a = dense(5, 1, 'a_layer').apply(input) as tf.SymbolicTensor;
    const b = dense(5, 2, 'b_layer').apply(a) as tf.SymbolicTensor;
    const model = tf.model({
      inputs: input,
      outputs: [dense(1, 3).apply(b), dense(1, 4).apply(b)] as tf.SymbolicTensor[],
    });
    expect(findSharedPart(model).features.map((f) => f.sourceLayer.name)).toEqual(['b_layer']);
    const byName = findSharedPart(model, ['a_layer']);
    expect(byName.sharedLayers.map((l) => l.name)).toEqual(['a_layer']);
    expect(byName.features.map((f) => f.sourceLayer.name)).toEqual(['a_layer']);
    const byLayer = findSharedPart(model, [model.getLayer('a_layer'), model.getLayer('b_layer')]);
    expect(byLayer.sharedLayers.length).toBe(2);
    expect(() => findSharedPart(model, ['nope'])).toThrow(/args.sharedLayers.*not a layer/);
    model.dispose();
  });

  it('a layer left out of sharedLayers that serves both outputs gets the sum of their gradients', async () => {
    const build = () => {
      const input = tf.input({ shape: [4] });
      const a = dense(5, 1).apply(input) as tf.SymbolicTensor;
      const b = dense(5, 2).apply(a) as tf.SymbolicTensor;
      const outputs = [dense(1, 3).apply(b), dense(1, 4).apply(b)] as tf.SymbolicTensor[];
      const model = tf.model({ inputs: input, outputs });
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      return model;
    };
    const model = build();
    const reference = build();
    const x = tf.randomNormal([8, 4], 0, 1, 'float32', 1);
    const ys = [2, 3].map((s) => tf.randomNormal([8, 1], 0, 1, 'float32', s));
    const args = { epochs: 1, batchSize: 8, verbose: 0 as const };
    await reference.fit(x, ys, args);
    await jdFit(model, x, ys, { ...args, aggregator: new Sum(), sharedLayers: [model.layers[1]] });
    expect(weightDistance(model, reference)).toBeLessThan(1e-6);
    tf.dispose([x, ys]);
    model.dispose();
    reference.dispose();
  });

  it('throws an InvalidArgumentError naming the model when no weights are shared', () => {
    const input = tf.input({ shape: [4] });
    const model = tf.model({
      inputs: input,
      outputs: [dense(1, 1).apply(input), dense(1, 2).apply(input)] as tf.SymbolicTensor[],
    });
    expect(() => findSharedPart(model)).toThrow(InvalidArgumentError);
    expect(() => findSharedPart(model)).toThrow(/`model`.*no layer with trainable weights/);
    model.dispose();
  });
});
