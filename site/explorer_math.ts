/**
 * The aggregator explorer's math, apart from the page (so a spec can run it in Node): every
 * aggregator's output for the matrix whose rows are two or three gradients in the plane, and the
 * gradients' dual cone.
 */
import * as tf from '@tensorflow/tfjs';
import {
  Aggregator,
  AlignedMTL,
  CAGrad,
  ConFIG,
  DualProj,
  IMTLG,
  Mean,
  MGDA,
  PCGrad,
  UPGrad,
} from 'tfjs-jd';

/** A vector of the plane. */
export type Vec = [number, number];

/** Relative slack of the dual-cone test: x·gᵢ ≥ −TOLERANCE ‖x‖ ‖gᵢ‖. */
export const TOLERANCE = 2e-3;

/** The aggregators shown, each built afresh per drawing so stateful or seeded ones repeat. */
export const EXPLORER_AGGREGATORS: [string, () => Aggregator][] = [
  ['UPGrad', () => new UPGrad()],
  ['DualProj', () => new DualProj()],
  ['MGDA', () => new MGDA()],
  ['PCGrad', () => new PCGrad({ seed: 0 })],
  ['CAGrad (c = 0.5)', () => new CAGrad({ c: 0.5 })],
  ['IMTLG', () => new IMTLG()],
  ['AlignedMTL', () => new AlignedMTL()],
  ['ConFIG', () => new ConFIG()],
  ['Mean', () => new Mean()],
];

/** One aggregator's output for the current gradients, or the message of the error it threw. */
export interface ExplorerResult {
  name: string;
  output: Vec | null;
  error?: string;
  /** Inner products of the output with each gradient. */
  products: number[];
  /** Whether every inner product is ≥ 0 (to {@link TOLERANCE}): the output conflicts with no gradient. */
  inDualCone: boolean;
}

/** Every aggregator's output for the matrix whose rows are `gradients`. */
export function aggregateAll(gradients: Vec[]): ExplorerResult[] {
  const matrix = tf.tensor2d(gradients);
  try {
    return EXPLORER_AGGREGATORS.map(([name, make]) => {
      try {
        const out = make().apply(matrix);
        const output = Array.from(out.dataSync()) as Vec;
        out.dispose();
        const products = gradients.map((g) => g[0] * output[0] + g[1] * output[1]);
        const norm = Math.hypot(...output);
        // UPGrad and DualProj regularize the Gramian (regEps 1e-4), so an output on the cone's
        // edge can miss it by about that much relative to the norms.
        const inDualCone = products.every(
          (p, i) => p >= -TOLERANCE * norm * Math.hypot(...gradients[i]),
        );
        return { name, output, products, inDualCone };
      } catch (error) {
        return { name, output: null, products: [], inDualCone: false, error: String(error) };
      }
    });
  } finally {
    matrix.dispose();
  }
}

/**
 * The dual cone {x : x·gᵢ ≥ 0 for all i} as a polygon (origin, then points at `radius` along its
 * arc), or null when it is only the origin. Found by scanning directions: in the plane the cone
 * is one arc of directions, possibly the whole circle's half or none.
 */
export function dualConePolygon(gradients: Vec[], radius: number): Vec[] | null {
  const samples = 1440;
  const feasible = Array.from({ length: samples }, (_, k) => {
    const t = (2 * Math.PI * k) / samples;
    const d: Vec = [Math.cos(t), Math.sin(t)];
    return gradients.every((g) => g[0] * d[0] + g[1] * d[1] >= -1e-9 * Math.hypot(...g));
  });
  if (!feasible.includes(true)) return null;
  // Start the arc just after an infeasible direction, so it is one contiguous run.
  const start = feasible.indexOf(false);
  const arc: Vec[] = [];
  for (let j = 0; j < samples; j++) {
    const k = (start + 1 + j + samples) % samples;
    if (!feasible[k]) {
      if (arc.length > 0) break;
      continue;
    }
    const t = (2 * Math.PI * k) / samples;
    arc.push([radius * Math.cos(t), radius * Math.sin(t)]);
  }
  return [[0, 0], ...arc];
}
