// Type-checked, never run: the public types resolve (not to `any`) and accept the consumer's tfjs
// types, in every module setting this is compiled with.
import * as tf from '@tensorflow/tfjs';
import {
  autograd,
  chooseFastestBackend,
  Engine,
  InvalidArgumentError,
  mtlGrads,
  record,
  scalarization,
  UPGrad,
  UPGradWeighting,
  useFastestBackend,
  type BackendChoice,
  type BackendName,
} from 'tfjs-jd';

export async function usage(model: tf.LayersModel, x: tf.Tensor2D): Promise<BackendName> {
  const name: BackendName = await useFastestBackend({ wasmPaths: '/wasm/' });
  const choice: BackendChoice = await chooseFastestBackend({ backends: ['wasm', 'cpu'] });
  const J: tf.Tensor2D = tf.tensor2d([
    [1, 0],
    [0, 1],
  ]);
  const v: tf.Tensor1D = new UPGrad({ prefVector: [1, 1] }).apply(J);
  const { losses, grads } = mtlGrads(
    () => {
      const features = model.apply(x) as tf.Tensor;
      return { features, losses: [tf.mean(features) as tf.Scalar, tf.sum(features) as tf.Scalar] };
    },
    { aggregator: new UPGrad() },
  );
  tf.train.sgd(0.1).applyGradients(grads);
  const engine = new Engine(model, { batchDim: 0 });
  const perInstance = record(() => tf.sum(model.apply(x) as tf.Tensor, 1));
  const G: tf.Tensor2D = engine.computeGramian(perInstance);
  autograd.backward(perInstance, { gradient: new UPGradWeighting().apply(G) });
  const s: tf.Scalar = new scalarization.STCH({ mu: 0.1 }).apply(tf.stack(losses));
  const error: InvalidArgumentError = new InvalidArgumentError('x', 'y');
  // @ts-expect-error: an Engine needs a model or layers
  new Engine(42);
  // @ts-expect-error: normEps is a number
  new UPGrad({ normEps: 'small' });
  // @ts-expect-error: not a backend tfjs-jd knows
  const wrong: BackendName = 'opengl';
  tf.dispose([J, v, G, s]);
  void [error, wrong];
  return choice.backend === name ? name : choice.backend;
}
