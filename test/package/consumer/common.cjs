// The checks a consumer script runs, given the tfjs and tfjs-jd it loaded (by require or import):
// the README's training example takes a few steps and its losses go down, an autogram Engine
// builds on the consumer's own model, and nothing leaks.
const assert = require('node:assert/strict');

async function check(tf, jd, expected) {
  const backend = await jd.useFastestBackend();
  assert.equal(backend, expected.backend, `useFastestBackend() picked ${backend}`);
  assert.equal(tf.getBackend(), backend);
  const choice = await jd.chooseFastestBackend();
  assert.equal(choice.environment, 'node');
  assert.deepEqual(choice.tried.at(-1), { backend, outcome: 'used' });
  assert.equal(choice.tried[0].backend, 'tensorflow');

  // The README example, with fixed data so that the losses must go down.
  const init = (seed) => tf.initializers.glorotUniform({ seed });
  const dense = (units, seed, extra = {}) =>
    tf.layers.dense({ units, kernelInitializer: init(seed), ...extra });
  const trunk = tf.sequential({ layers: [dense(5, 1, { inputShape: [10], activation: 'relu' })] });
  const head1 = tf.sequential({ layers: [dense(1, 2, { inputShape: [5] })] });
  const head2 = tf.sequential({ layers: [dense(1, 3, { inputShape: [5] })] });
  const optimizer = tf.train.sgd(0.1);
  const aggregator = new jd.UPGrad();
  const x = tf.randomNormal([16, 10], 0, 1, 'float32', 4);
  const y1 = tf.randomNormal([16, 1], 0, 1, 'float32', 5);
  const y2 = tf.randomNormal([16, 1], 0, 1, 'float32', 6);
  const history = [];
  let tensorsAfterFirstStep;
  for (let step = 0; step < 12; step++) {
    const { losses, grads } = jd.mtlGrads(
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
    if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
  }
  assert.equal(tf.memory().numTensors, tensorsAfterFirstStep, 'a training step leaks tensors');
  const first = history[0];
  const last = history.at(-1);
  for (const i of [0, 1]) {
    assert.ok(last[i] < first[i], `loss ${i + 1} did not go down: ${first[i]} → ${last[i]}`);
  }

  // An autogram Engine on the consumer's model (built by the consumer's tfjs).
  const model = tf.sequential({
    layers: [dense(4, 7, { inputShape: [3], activation: 'tanh' }), dense(1, 8)],
  });
  const engine = new jd.Engine(model);
  const xb = tf.randomNormal([5, 3], 0, 1, 'float32', 9);
  const yb = tf.randomNormal([5, 1], 0, 1, 'float32', 10);
  const perInstance = jd.record(() => tf.sum(tf.squaredDifference(model.apply(xb), yb), 1));
  const gramian = engine.computeGramian(perInstance);
  assert.deepEqual(gramian.shape, [5, 5]);
  const g = gramian.arraySync();
  for (let i = 0; i < 5; i++) {
    assert.ok(g[i][i] >= 0, 'a Gramian has a non-negative diagonal');
    for (let j = 0; j < 5; j++)
      assert.ok(Math.abs(g[i][j] - g[j][i]) <= 1e-5 * (1 + Math.abs(g[i][j])));
  }
  const weights = new jd.UPGradWeighting().apply(gramian);
  jd.autograd.backward(perInstance, { gradient: weights });
  const grads = jd.gradsMap();
  assert.equal(Object.keys(grads).length, model.trainableWeights.length);
  tf.train.sgd(0.01).applyGradients(grads);
  jd.zeroGrad();
  tf.dispose([xb, yb, perInstance, gramian, weights, x, y1, y2]);

  // Errors are the library's typed ones, across the package boundary.
  assert.throws(() => new jd.UPGrad().apply(tf.tensor1d([1, 2])), jd.InvalidArgumentError);
  return { backend, losses: [first, last], tfjs: tf.version.tfjs };
}

module.exports = { check };
