import * as tf from '@tensorflow/tfjs';
import { backward, grad, record, zeroGrad } from '../../lib/autograd';
import { InvalidArgumentError, NotRecordedError, UnsupportedTfjsError } from '../../lib/errors';
import { checkEngineInternals } from '../../lib/autograd/tfjs_internals';

describe('bad input', () => {
  const w = tf.variable(tf.tensor1d([1, 2]));
  afterAll(() => w.dispose());
  afterEach(() => zeroGrad());

  it('backward of a non-scalar without gradient names `gradient`', () => {
    const y = record(() => tf.mul(w, 2));
    expect(() => backward(y)).toThrow(InvalidArgumentError);
    expect(() => backward(y)).toThrow(/`gradient`.*non-scalar/);
    y.dispose();
  });

  it('a gradient of the wrong shape names both shapes', () => {
    const y = record(() => tf.mul(w, 2));
    expect(() => backward(y, { gradient: tf.ones([3]) })).toThrow(/shape \[3\].*shape \[2\]/);
    y.dispose();
  });

  it('a tensor that was not recorded throws NotRecordedError', () => {
    const y = tf.sum(w);
    expect(() => backward(y)).toThrow(NotRecordedError);
    expect(() => grad(y, w)).toThrow(/record/);
    y.dispose();
  });

  it('an empty list of outputs or inputs names the argument', () => {
    const y = record(() => tf.sum(w));
    expect(() => backward([])).toThrow(/`tensor`/);
    expect(() => grad([], w)).toThrow(/`outputs`/);
    expect(() => grad(y, [])).toThrow(/`inputs`/);
    expect(() => backward(y, { inputs: [] })).toThrow(/`inputs`/);
    y.dispose();
  });

  it('a disposed output is rejected with a clear message', () => {
    const y = record(() => tf.sum(w));
    y.dispose();
    expect(() => backward(y)).toThrow(/disposed/);
  });
});

describe('the tfjs internals guard', () => {
  it('accepts the installed tfjs engine', () => {
    expect(() => checkEngineInternals(tf.engine())).not.toThrow();
  });

  it('names what a tfjs without the tape internals lacks', () => {
    const stripped = { state: { gradientDepth: 0 }, startTape: () => undefined };
    expect(() => checkEngineInternals(stripped)).toThrow(UnsupportedTfjsError);
    expect(() => checkEngineInternals(stripped)).toThrow(
      /engine\.endTape\(\), engine\.addTapeNode\(\), engine\.state\.kernelDepth\./,
    );
  });
});
