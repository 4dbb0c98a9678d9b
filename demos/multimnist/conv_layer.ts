/**
 * A 2-D convolution layer that trains fast on every tfjs backend.
 *
 * Both gradients of a convolution are themselves convolutions, and a backend's forward `Conv2D`
 * is its best-optimized convolution: tfjs's cpu backprop kernels are plain loops (MultiMNIST's spec
 * suite runs four times slower with `tf.layers.conv2d` on cpu), and wasm 4.22 has no
 * `Conv2DBackpropFilter` at all (`useFastestBackend` now installs conv-based gradient kernels
 * there, so `tf.layers.conv2d` does train on wasm, at about this layer's speed). This layer gives
 * `tf.conv2d` a custom gradient made of `tf.conv2d` calls, and skips the input gradient of a first
 * layer fed with data:
 * - input: the "full" convolution of the output gradient with the kernel flipped in space and
 *   with its channel axes swapped;
 * - kernel: the convolution of the input, batch and channel axes swapped, by the output gradient
 *   used as a (large) kernel.
 * Same maths as `tf.layers.conv2d` with `padding: 'valid'`, stride 1, channels last.
 */
import * as tf from '@tensorflow/tfjs';

type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

/** Gradient of a valid, stride-1 `conv2d(x, kernel)` with respect to `x`, as one convolution. */
export function conv2dInputGradient(dy: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const margin = kernel.shape[0] - 1;
    const padded = tf.pad(dy, [
      [0, 0],
      [margin, margin],
      [margin, margin],
      [0, 0],
    ]);
    const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(padded, flipped, 1, 'valid');
  });
}

/** Gradient of a valid, stride-1 `conv2d(x, kernel)` with respect to `kernel`, as one convolution. */
export function conv2dKernelGradient(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    // Σ_b Σ_(y,x) x[b, y+i, x+j, c] dy[b, y, x, f]: channels play the batch, the batch the channels.
    const channelsFirst = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [c, h, w, b]
    const asKernel = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [h', w', b, f]
    const correlated = tf.conv2d(channelsFirst, asKernel, 1, 'valid'); // [c, k, k, f]
    return tf.transpose(correlated, [1, 2, 0, 3]);
  });
}

const convWithConvGradients = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, kernel, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([x, kernel]);
  return {
    value: tf.conv2d(x, kernel, 1, 'valid'),
    gradFunc: (dy: tf.Tensor, [savedX, savedKernel]: tf.Tensor[]) => [
      conv2dInputGradient(dy as tf.Tensor4D, savedKernel as tf.Tensor4D),
      conv2dKernelGradient(savedX as tf.Tensor4D, dy as tf.Tensor4D),
    ],
  };
});

/** `tf.conv2d(x, kernel, 1, 'valid')` with the all-convolution gradient described above. */
export function validConv2d(x: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  return convWithConvGradients(x, kernel) as tf.Tensor4D;
}

/**
 * As {@link validConv2d}, for an `x` that is data: only `kernel` is an input of the custom
 * gradient, so no backward pass computes the (unused, and costly) gradient of the images.
 */
export function validConv2dOfData(x: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  const conv = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [weights, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    // Saving x too keeps the backward pass valid even if the caller disposes the batch first.
    save([x]);
    return {
      value: tf.conv2d(x, weights, 1, 'valid'),
      gradFunc: (dy: tf.Tensor, [savedX]: tf.Tensor[]) =>
        conv2dKernelGradient(savedX as tf.Tensor4D, dy as tf.Tensor4D),
    };
  });
  return conv(kernel) as tf.Tensor4D;
}

/** Options of {@link WasmTrainableConv2D}. */
export interface WasmTrainableConv2DArgs {
  filters: number;
  /** Side of the square kernel. */
  kernelSize: number;
  activation?: 'relu' | 'linear';
  kernelInitializer: Initializer;
  /**
   * False for a first layer fed with data: its input needs no gradient, and skipping it saves a
   * convolution per backward pass. Default true.
   */
  inputGradient?: boolean;
  inputShape?: number[];
  name?: string;
}

/** `tf.layers.conv2d` (valid padding, stride 1) with conv-only gradients; see the file header. */
export class WasmTrainableConv2D extends tf.layers.Layer {
  /** The name tfjs's serialization registry knows this layer by. */
  static readonly className = 'WasmTrainableConv2D';
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;
  private readonly filters: number;
  private readonly kernelSize: number;
  private readonly activation: 'relu' | 'linear';
  private readonly kernelInitializer: Initializer;
  private readonly inputGradient: boolean;

  constructor(args: WasmTrainableConv2DArgs) {
    super({ inputShape: args.inputShape, name: args.name });
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.activation = args.activation ?? 'linear';
    this.kernelInitializer = args.kernelInitializer;
    this.inputGradient = args.inputGradient ?? true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels === null) throw new Error('WasmTrainableConv2D: the channel count must be known.');
    this.kernel = this.addWeight(
      'kernel',
      [this.kernelSize, this.kernelSize, channels, this.filters],
      'float32',
      this.kernelInitializer,
    );
    this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, rows, columns] = (
      Array.isArray(inputShape[0]) ? inputShape[0] : inputShape
    ) as tf.Shape;
    const shrink = (size: number | null) => (size === null ? null : size - this.kernelSize + 1);
    return [batch, shrink(rows), shrink(columns), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const images = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const kernel = this.kernel!.read() as tf.Tensor4D;
      const convolved = this.inputGradient
        ? validConv2d(images, kernel)
        : validConv2dOfData(images, kernel);
      const biased = tf.add(convolved, this.bias!.read());
      return this.activation === 'relu' ? tf.relu(biased) : biased;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      activation: this.activation,
      inputGradient: this.inputGradient,
    };
  }
}

tf.serialization.registerClass(WasmTrainableConv2D);
