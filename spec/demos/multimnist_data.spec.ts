import * as tf from '@tensorflow/tfjs';
import {
  buildMultiMnist,
  DIGIT_SIZE,
  loadMnistDigits,
  makeBatch,
  renderPairs,
  samplePairs,
  seededRandom,
  splitDigits,
} from '../../demos/multimnist/data';

const digits = loadMnistDigits();

describe('loadMnistDigits', () => {
  it('reads the 10,000 digits of the mnist package with their classes', () => {
    // The package's README promises 10,000 digits; its per-class files hold 1001, 1127, 991, …
    expect(digits.count).toBe(10000);
    expect(digits.images.length).toBe(10000 * 784);
    const perClass = new Array(10).fill(0);
    digits.labels.forEach((label) => perClass[label]++);
    expect(perClass).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of digits.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it('caches: a second call returns the same arrays', () => {
    expect(loadMnistDigits().images).toBe(digits.images);
  });
});

describe('splitDigits', () => {
  it('partitions every digit into disjoint train and test pools, stratified by class', () => {
    const { train, test } = splitDigits(digits.labels, 0.2, 7);
    const trainSet = new Set(train);
    expect(trainSet.size).toBe(train.length);
    expect(test.some((i) => trainSet.has(i))).toBe(false);
    expect(train.length + test.length).toBe(digits.count);
    for (let digit = 0; digit < 10; digit++) {
      const total = digits.labels.filter((l) => l === digit).length;
      const inTest = test.filter((i) => digits.labels[i] === digit).length;
      expect(inTest).toBe(Math.round(total * 0.2));
    }
  });

  it('depends on the seed, reproducibly', () => {
    expect(splitDigits(digits.labels, 0.2, 1).test).toEqual(
      splitDigits(digits.labels, 0.2, 1).test,
    );
    expect(splitDigits(digits.labels, 0.2, 1).test).not.toEqual(
      splitDigits(digits.labels, 0.2, 2).test,
    );
  });

  it('rejects a fraction outside (0, 1)', () => {
    expect(() => splitDigits(digits.labels, 0, 1)).toThrow(/testFraction/);
    expect(() => splitDigits(digits.labels, 1, 1)).toThrow(/testFraction/);
  });
});

describe('samplePairs', () => {
  const pool = splitDigits(digits.labels, 0.2, 3).train;
  const layout = { canvasSize: 36, jitter: 1 };
  const set = samplePairs(digits, pool, 300, 11, layout);

  it('labels each pair with the classes of the digits it places, never twice the same class', () => {
    expect(set.pairs).toHaveLength(300);
    set.pairs.forEach((pair, i) => {
      expect(set.leftLabels[i]).toBe(digits.labels[pair.left]);
      expect(set.rightLabels[i]).toBe(digits.labels[pair.right]);
      expect(set.leftLabels[i]).not.toBe(set.rightLabels[i]);
    });
  });

  it('draws only from the pool and puts the left digit top-left, the right one bottom-right', () => {
    const allowed = new Set(pool);
    for (const pair of set.pairs) {
      expect(allowed.has(pair.left) && allowed.has(pair.right)).toBe(true);
      // Canvas 36, digit 28: the far corner is at 8; jitter 1 moves each digit by 0 or 1.
      for (const v of pair.leftOffset) expect([0, 1]).toContain(v);
      for (const v of pair.rightOffset) expect([7, 8]).toContain(v);
    }
    // With 600 draws of 0/1 every offset value occurs.
    expect(new Set(set.pairs.map((p) => p.leftOffset[0])).size).toBe(2);
  });

  it('is reproducible for a seed and covers every class on both sides', () => {
    expect(samplePairs(digits, pool, 300, 11, layout)).toEqual(set);
    expect(new Set(set.leftLabels).size).toBe(10);
    expect(new Set(set.rightLabels).size).toBe(10);
  });

  it('rejects a layout that does not fit', () => {
    expect(() => samplePairs(digits, pool, 1, 0, { canvasSize: 27, jitter: 0 })).toThrow(
      /canvasSize/,
    );
    expect(() => samplePairs(digits, pool, 1, 0, { canvasSize: 36, jitter: 5 })).toThrow(/jitter/);
  });
});

describe('renderPairs', () => {
  it('overlays the two digits with max, checked pixel by pixel against a direct lookup', () => {
    const pool = splitDigits(digits.labels, 0.2, 3).test;
    const set = samplePairs(digits, pool, 5, 4, { canvasSize: 36, jitter: 2 });
    const images = renderPairs(digits, set.pairs, 36);
    expect(images.length).toBe(5 * 36 * 36);
    // Reference: for each canvas pixel, look up which source pixel of each digit lands there.
    const pixelOf = (digit: number, [top, left]: [number, number], row: number, column: number) => {
      const r = row - top;
      const c = column - left;
      if (r < 0 || r >= DIGIT_SIZE || c < 0 || c >= DIGIT_SIZE) return 0;
      return digits.images[digit * 784 + r * DIGIT_SIZE + c];
    };
    set.pairs.forEach((pair, n) => {
      for (let row = 0; row < 36; row++) {
        for (let column = 0; column < 36; column++) {
          const expected = Math.max(
            pixelOf(pair.left, pair.leftOffset, row, column),
            pixelOf(pair.right, pair.rightOffset, row, column),
          );
          expect(images[n * 1296 + row * 36 + column]).toBe(expected);
        }
      }
    });
  });

  it('renders a sub-range', () => {
    const set = samplePairs(digits, [0, 2000, 4000], 4, 1);
    expect(renderPairs(digits, set.pairs, 36, 1, 3)).toEqual(
      renderPairs(digits, set.pairs, 36).subarray(1296, 3 * 1296),
    );
  });
});

describe('buildMultiMnist and makeBatch', () => {
  const data = buildMultiMnist({ trainPairs: 200, testPairs: 50, seed: 5 });

  it('builds train and test pairs from disjoint digits', () => {
    const testDigits = new Set(data.testDigits);
    expect(data.trainDigits.some((i) => testDigits.has(i))).toBe(false);
    const trainUsed = data.train.pairs.flatMap((p) => [p.left, p.right]);
    const testUsed = data.test.pairs.flatMap((p) => [p.left, p.right]);
    expect(trainUsed.some((i) => testDigits.has(i))).toBe(false);
    expect(testUsed.every((i) => testDigits.has(i))).toBe(true);
  });

  it('makes image and one-hot label tensors of the right shapes and values', () => {
    const batch = makeBatch(data.digits, data.train, 36, 10, 42);
    try {
      expect(batch.images.shape).toEqual([32, 36, 36, 1]);
      expect(batch.leftLabels.shape).toEqual([32, 10]);
      const pixels = batch.images.dataSync();
      expect(Math.min(...pixels)).toBe(0);
      expect(Math.max(...pixels)).toBeLessThanOrEqual(1);
      expect(Array.from(tf.argMax(batch.leftLabels, 1).dataSync())).toEqual(
        Array.from(data.train.leftLabels.subarray(10, 42)),
      );
      expect(Array.from(tf.argMax(batch.rightLabels, 1).dataSync())).toEqual(
        Array.from(data.train.rightLabels.subarray(10, 42)),
      );
      expect(tf.sum(batch.rightLabels).dataSync()[0]).toBe(32);
    } finally {
      tf.dispose([batch.images, batch.leftLabels, batch.rightLabels]);
    }
  });

  it('leaks no tensors over many batches', () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      const batch = makeBatch(data.digits, data.train, 36, i, i + 8);
      tf.dispose([batch.images, batch.leftLabels, batch.rightLabels]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('seededRandom', () => {
  it('is reproducible, in [0, 1) and roughly uniform', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const values = Array.from({ length: 10000 }, () => a());
    expect(values.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    // Mean of 10,000 uniforms: 0.5 ± 0.003 (one standard deviation); 0.02 is > 6σ.
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });
});
