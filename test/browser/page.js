// The consumer page of the browser test, bundled by esbuild (ESM, platform browser) from a
// consumer project's node_modules. `?backend=cpu|webgl|wasm` trains on that backend;
// `?backend=fastest` lets useFastestBackend() choose. The result lands in `window.__result`.
import * as tf from '@tensorflow/tfjs';
import {
  autograd,
  chooseFastestBackend,
  Engine,
  gradsMap,
  mtlGrads,
  record,
  UPGrad,
  UPGradWeighting,
  useFastestBackend,
  zeroGrad,
} from 'tfjs-jd';

// What a bundled app passes: where the .wasm files are served, and the wasm backend's module
// (a dynamic import the bundler resolves).
const options = {
  wasmPaths: '/wasm/',
  modules: { wasm: () => import('@tensorflow/tfjs-backend-wasm') },
};

function train(steps) {
  const init = (seed) => tf.initializers.glorotUniform({ seed });
  const dense = (units, seed, extra = {}) =>
    tf.layers.dense({ units, kernelInitializer: init(seed), ...extra });
  const trunk = tf.sequential({ layers: [dense(5, 1, { inputShape: [10], activation: 'relu' })] });
  const head1 = tf.sequential({ layers: [dense(1, 2, { inputShape: [5] })] });
  const head2 = tf.sequential({ layers: [dense(1, 3, { inputShape: [5] })] });
  const optimizer = tf.train.sgd(0.1);
  const aggregator = new UPGrad();
  const x = tf.randomNormal([16, 10], 0, 1, 'float32', 4);
  const y1 = tf.randomNormal([16, 1], 0, 1, 'float32', 5);
  const y2 = tf.randomNormal([16, 1], 0, 1, 'float32', 6);
  const history = [];
  for (let step = 0; step < steps; step++) {
    const { losses, grads } = mtlGrads(
      () => {
        const features = trunk.apply(x);
        const loss1 = tf.losses.meanSquaredError(y1, head1.apply(features));
        const loss2 = tf.losses.meanSquaredError(y2, head2.apply(features));
        return { features, losses: [loss1, loss2] };
      },
      { aggregator },
    );
    optimizer.applyGradients(grads);
    history.push(losses.map((l) => l.dataSync()[0]));
    tf.dispose([losses, grads]);
  }
  tf.dispose([x, y1, y2]);
  return history;
}

function engineGramianShape() {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 4, inputShape: [3], activation: 'tanh' }),
      tf.layers.dense({ units: 1 }),
    ],
  });
  const x = tf.randomNormal([5, 3], 0, 1, 'float32', 7);
  const losses = record(() => tf.sum(tf.square(model.apply(x)), 1));
  const gramian = new Engine(model).computeGramian(losses);
  autograd.backward(losses, { gradient: new UPGradWeighting().apply(gramian) });
  const gradients = Object.keys(gradsMap()).length;
  zeroGrad();
  const shape = gramian.shape;
  tf.dispose([x, losses, gramian]);
  return { shape, gradients, weights: model.trainableWeights.length };
}

async function main() {
  const which = new URLSearchParams(location.search).get('backend');
  let choice;
  if (which === 'fastest') {
    const name = await useFastestBackend(options);
    choice = { ...(await chooseFastestBackend(options)), returned: name };
  } else {
    choice = await chooseFastestBackend({ ...options, backends: [which] });
  }
  const history = train(10);
  window.__result = {
    backend: tf.getBackend(),
    choice,
    history,
    engine: engineGramianShape(),
    kernelFixes: tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined,
    // Registered by the first Gramian on wasm once its SIMD loops link to the backend's memory.
    rowProducts: tf.getKernel('TfjsJdRowGramian', 'wasm') !== undefined,
    hasProcess: typeof globalThis.process !== 'undefined',
    tfjs: tf.version.tfjs,
  };
}

main().catch((error) => {
  window.__result = { error: String(error && error.stack ? error.stack : error) };
});
