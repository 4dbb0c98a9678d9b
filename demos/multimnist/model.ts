/**
 * The MultiMNIST network: a small LeNet-like shared trunk (conv → pool → conv → pool → dense) and
 * one linear 10-way classifier head per task, the usual hard-parameter-sharing setup of the
 * multi-task benchmarks (Sener & Koltun 2018). The convolutions are {@link WasmTrainableConv2D}, which
 * the wasm backend can differentiate.
 */
import * as tf from '@tensorflow/tfjs';
import { WasmTrainableConv2D } from './conv_layer';
import { Batch, NUM_CLASSES } from './data';

/** The trunk and the two heads. */
export interface MultiMnistModel {
  trunk: tf.Sequential;
  leftHead: tf.Sequential;
  rightHead: tf.Sequential;
}

/** Sizes of the network. */
export interface ModelOptions {
  canvasSize: number;
  /** Seed of every initializer, for reproducible runs. */
  seed: number;
  /** Filters of the two convolutions. Default [10, 20]. */
  filters?: [number, number];
  /** Width of the shared feature vector. Default 50. */
  featureUnits?: number;
}

/** Builds the network with seeded Glorot-uniform kernels and zero biases. */
export function createModel({
  canvasSize,
  seed,
  filters = [10, 20],
  featureUnits = 50,
}: ModelOptions): MultiMnistModel {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed * 16 + offset });
  const trunk = tf.sequential({
    name: 'trunk',
    layers: [
      new WasmTrainableConv2D({
        inputShape: [canvasSize, canvasSize, 1],
        inputGradient: false,
        filters: filters[0],
        kernelSize: 5,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      new WasmTrainableConv2D({
        filters: filters[1],
        kernelSize: 5,
        activation: 'relu',
        kernelInitializer: init(2),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: featureUnits, activation: 'relu', kernelInitializer: init(3) }),
    ],
  });
  // Heads output logits: the softmax is folded into the cross-entropy, which is more stable.
  const head = (name: string, offset: number) =>
    tf.sequential({
      name,
      layers: [
        tf.layers.dense({
          inputShape: [featureUnits],
          units: NUM_CLASSES,
          kernelInitializer: init(offset),
        }),
      ],
    });
  return { trunk, leftHead: head('left_head', 4), rightHead: head('right_head', 5) };
}

/** Every trainable variable of the model: what the optimizer updates. */
export function modelVariables(model: MultiMnistModel): tf.Variable[] {
  return [model.trunk, model.leftHead, model.rightHead].flatMap((part) =>
    part.trainableWeights.map((weight) => weight.read() as tf.Variable),
  );
}

/**
 * The forward pass of one batch in the shape `mtlGrads` expects: the shared features and the
 * two tasks' mean softmax cross-entropies.
 */
export function forward(
  model: MultiMnistModel,
  batch: Batch,
): { features: tf.Tensor; losses: [tf.Scalar, tf.Scalar] } {
  const features = model.trunk.apply(batch.images, { training: true }) as tf.Tensor;
  const leftLogits = model.leftHead.apply(features) as tf.Tensor;
  const rightLogits = model.rightHead.apply(features) as tf.Tensor;
  return {
    features,
    losses: [
      tf.losses.softmaxCrossEntropy(batch.leftLabels, leftLogits) as tf.Scalar,
      tf.losses.softmaxCrossEntropy(batch.rightLabels, rightLogits) as tf.Scalar,
    ],
  };
}

/** The number of correct predictions of each task on a batch. */
export function countCorrect(model: MultiMnistModel, batch: Batch): [number, number] {
  return tf.tidy(() => {
    const features = model.trunk.predict(batch.images) as tf.Tensor;
    const correct = (head: tf.Sequential, labels: tf.Tensor2D) =>
      tf
        .sum(
          tf.cast(
            tf.equal(tf.argMax(head.predict(features) as tf.Tensor, 1), tf.argMax(labels, 1)),
            'int32',
          ),
        )
        .dataSync()[0];
    return [correct(model.leftHead, batch.leftLabels), correct(model.rightHead, batch.rightLabels)];
  });
}

/** Frees the model's weights. */
export function disposeModel(model: MultiMnistModel): void {
  model.trunk.dispose();
  model.leftHead.dispose();
  model.rightHead.dispose();
}
