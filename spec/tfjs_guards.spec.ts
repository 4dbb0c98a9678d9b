import * as tf from '@tensorflow/tfjs';
import { isLayer, isLayersModel, isTensor, isVariable } from '../lib/tfjs_guards';

describe('tfjs guards', () => {
  it('recognize tensors and variables, disposed or not, and nothing else', () => {
    const t = tf.tensor1d([1, 2]);
    const v = tf.variable(tf.zeros([2]), false);
    expect(isTensor(t)).toBe(true);
    expect(isTensor(v)).toBe(true);
    expect(isVariable(v)).toBe(true);
    expect(isVariable(t)).toBe(false);
    t.dispose();
    expect(isTensor(t)).toBe(true);
    for (const other of [null, undefined, 1, [1, 2], { shape: [2], dtype: 'float32' }]) {
      expect(isTensor(other)).toBe(false);
      expect(isVariable(other)).toBe(false);
    }
    v.dispose();
  });

  it('recognize a tensor of another tfjs copy by its members', () => {
    // What a second copy's tensor looks like to this copy: the same members, another class.
    const t = tf.tensor1d([1, 2]);
    const foreign = Object.setPrototypeOf(
      { ...t },
      {
        dataSync: () => new Float32Array(2),
        dispose: () => undefined,
      },
    );
    expect(foreign instanceof tf.Tensor).toBe(false);
    expect(isTensor(foreign)).toBe(true);
    t.dispose();
  });

  it('recognize layers and models', () => {
    const dense = tf.layers.dense({ units: 1 });
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    const input = tf.input({ shape: [2] });
    const functional = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor,
    });
    expect(isLayer(dense)).toBe(true);
    expect(isLayersModel(dense)).toBe(false);
    expect(isLayer(model)).toBe(true);
    expect(isLayersModel(model)).toBe(true);
    expect(isLayersModel(functional)).toBe(true);
    expect(isLayer({ name: 'x' })).toBe(false);
    expect(isLayersModel([dense])).toBe(false);
    model.dispose();
    functional.dispose();
  });
});
