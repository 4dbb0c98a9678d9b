/**
 * tfjs-jd's scalarizers against TorchJD: value and gradient with respect to the losses, on a
 * vector, a matrix, losses ~1e3 and losses ~1e-4 (spec/fixtures/torchjd/scalarization.json), and
 * the stateful ones over 10 calls: FAMO (apply, then update with the losses after the step), DWA
 * (two batches per epoch, step() after each second), UW and IMTLL trained by SGD(lr = 0.1) on
 * their own output.
 *
 * Tolerances: tfjs-jd computes in float32, TorchJD here in float64: 2e-6 of the value and 1e-5 of
 * the gradient's size (a few float32 roundings through an exp/log; STCH with μ = 1e-3 divides by μ
 * before its logsumexp). The Random scalarizer's weights come from torch's random stream: its
 * properties are tested in random_stream_properties.spec.ts instead.
 */
import * as tf from '@tensorflow/tfjs';
import { buildScalarizer, relativeError, scalarizationFixture } from './_torchjd';

const { entries, stateful } = scalarizationFixture;
const flat = (x: number[] | number[][]): number[] => (x as number[][]).flat() as number[];

function valueAndGradient(apply: (x: tf.Tensor) => tf.Scalar, values: number[] | number[][]) {
  return tf.tidy(() => {
    const x = tf.tensor(values);
    const { value, grad } = tf.valueAndGrad(apply)(x);
    return { value: value.dataSync()[0], gradient: Array.from(grad.dataSync()) };
  });
}

function expectClose(
  where: string,
  got: { value: number; gradient: number[] },
  expected: { output: number; gradient: number[] | number[][] },
) {
  const valueError =
    Math.abs(got.value - expected.output) / Math.max(Math.abs(expected.output), 1e-30);
  const gradientError = relativeError(got.gradient, flat(expected.gradient), 1e-30);
  expect([where, valueError <= 2e-6, gradientError <= 1e-5]).toEqual([where, true, true]);
  return Math.max(valueError, gradientError);
}

describe('TorchJD reference values: scalarizers', () => {
  it('covers every scalarizer but Random (random stream)', () => {
    const names = new Set([...entries, ...stateful].map((e) => e.method));
    for (const name of [
      'Mean',
      'Sum',
      'GeometricMean',
      'Constant',
      'STCH',
      'PBI',
      'COSMOS',
      'UW',
      'IMTLL',
      'FAMO',
      'DWA',
    ]) {
      expect(names).toContain(name);
    }
  });

  for (const method of [...new Set(entries.map((e) => e.method))]) {
    it(`${method}: value and gradient as TorchJD`, () => {
      for (const e of entries.filter((x) => x.method === method)) {
        const scalarizer = buildScalarizer(e.method, e.options);
        const got = valueAndGradient((x) => scalarizer.apply(x), e.values);
        expectClose(
          `${method}(${JSON.stringify(e.options)}) on ${JSON.stringify(e.values)}`,
          got,
          e,
        );
      }
    });
  }

  for (const e of stateful) {
    it(`${e.method}(${JSON.stringify(e.options)}) over ${e.steps.length} calls (${e.protocol})`, () => {
      const scalarizer = buildScalarizer(e.method, e.options) as ReturnType<
        typeof buildScalarizer
      > & {
        update(x: tf.Tensor): void;
        step(): void;
        reset(): void;
        trainableVariables: tf.Variable[];
      };
      const optimizer = e.protocol === 'sgd0.1' ? tf.train.sgd(0.1) : undefined;
      const before = tf.memory().numTensors;
      e.steps.forEach((step, k) => {
        const got = valueAndGradient((x) => scalarizer.apply(x), step.values);
        expectClose(`call ${k}`, got, step);
        if (e.protocol === 'famo') {
          const after = tf.tensor(step.after!);
          scalarizer.update(after);
          after.dispose();
        } else if (e.protocol === 'dwa') {
          if (step.stepAfter) scalarizer.step();
        } else {
          const x = tf.tensor(step.values);
          optimizer!.minimize(() => scalarizer.apply(x), false, scalarizer.trainableVariables);
          x.dispose();
        }
      });
      // SGD keeps no slots: the tensor count is flat over the calls.
      expect(tf.memory().numTensors).toBe(before);
      scalarizer.reset();
    });
  }
});
