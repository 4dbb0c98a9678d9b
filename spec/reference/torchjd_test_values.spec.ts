/**
 * Every fixed value of TorchJD's tests/unit/aggregation/test_values.py, with its tolerance
 * (assert_close(rtol=0, atol=1e-4)): 18 aggregator values and 14 weighting values (those behind
 * TorchJD's optional dependencies included: DualProj, UPGrad, FairGrad, CAGrad, NashMTL).
 *
 * Three of them come from torch's random stream (TorchJD's tests seed it with
 * torch.manual_seed(0)): GradDrop, Random and RandomWeighting. tfjs-jd has its own seeded stream,
 * so for those the properties that hold for every draw are tested instead, and the TorchJD value
 * is checked to be one such draw.
 */
import * as tf from '@tensorflow/tfjs';
import * as jd from '../../lib/aggregation';
import { applyTo, gramianOf, type Rows } from './_torchjd';

const J_BASE: Rows = [
  [-4, 1, 1],
  [6, 1, 1],
];
const J_KRUM: Rows = [
  [1, 1, 1],
  [1, 0, 1],
  [75, -666, 23], // adversarial row
  [1, 2, 3],
  [2, 0, 1],
];
const J_TRIMMED_MEAN: Rows = [
  [1e11, 3],
  [1, -1e11],
  [-1e10, 1e10],
  [2, 2],
];
const G_BASE = gramianOf(J_BASE);
const G_KRUM = gramianOf(J_KRUM);

const AGGREGATORS: [string, () => jd.Aggregator, Rows, number[]][] = [
  ['AlignedMTL', () => new jd.AlignedMTL(), J_BASE, [0.2133, 0.9673, 0.9673]],
  ['ConFIG', () => new jd.ConFIG(), J_BASE, [0.1588, 2.0706, 2.0706]],
  ['Constant([1, 2])', () => new jd.Constant([1, 2]), J_BASE, [8, 3, 3]],
  ['GradVac', () => new jd.GradVac(), J_BASE, [0.5848, 3.8012, 3.8012]],
  ['IMTLG', () => new jd.IMTLG(), J_BASE, [0.0767, 1, 1]],
  ['Krum(1, 4)', () => new jd.Krum({ nByzantine: 1, nSelected: 4 }), J_KRUM, [1.25, 0.75, 1.5]],
  ['Mean', () => new jd.Mean(), J_BASE, [1, 1, 1]],
  ['MGDA', () => new jd.MGDA(), J_BASE, [0, 1, 1]],
  ['PCGrad', () => new jd.PCGrad(), J_BASE, [0.5848, 3.8012, 3.8012]],
  ['Sum', () => new jd.Sum(), J_BASE, [2, 2, 2]],
  ['TrimmedMean(1)', () => new jd.TrimmedMean({ trimNumber: 1 }), J_TRIMMED_MEAN, [1.5, 2.5]],
  ['DualProj', () => new jd.DualProj(), J_BASE, [0.5563, 1.1109, 1.1109]],
  ['UPGrad', () => new jd.UPGrad(), J_BASE, [0.2929, 1.9004, 1.9004]],
  ['FairGrad(1)', () => new jd.FairGrad({ alpha: 1 }), J_BASE, [0.0766, 0.9985, 0.9985]],
  ['CAGrad(0.5)', () => new jd.CAGrad({ c: 0.5 }), J_BASE, [0.1835, 1.2041, 1.2041]],
  ['NashMTL(2)', () => new jd.NashMTL({ nTasks: 2 }), J_BASE, [0.0542, 0.7061, 0.7061]],
];

const WEIGHTINGS: [string, () => jd.Weighting, Rows, number[]][] = [
  ['AlignedMTLWeighting', () => new jd.AlignedMTLWeighting(), G_BASE, [0.5591, 0.4083]],
  ['ConstantWeighting([1, 2])', () => new jd.ConstantWeighting([1, 2]), G_BASE, [1, 2]],
  ['IMTLGWeighting', () => new jd.IMTLGWeighting(), G_BASE, [0.5923, 0.4077]],
  [
    'KrumWeighting(1, 4)',
    () => new jd.KrumWeighting({ nByzantine: 1, nSelected: 4 }),
    G_KRUM,
    [0.25, 0.25, 0, 0.25, 0.25],
  ],
  ['GradVacWeighting', () => new jd.GradVacWeighting(), G_BASE, [2.2222, 1.5789]],
  ['MeanWeighting', () => new jd.MeanWeighting(), G_BASE, [0.5, 0.5]],
  ['MGDAWeighting', () => new jd.MGDAWeighting(), G_BASE, [0.6, 0.4]],
  ['PCGradWeighting', () => new jd.PCGradWeighting(), G_BASE, [2.2222, 1.5789]],
  ['SumWeighting', () => new jd.SumWeighting(), G_BASE, [1, 1]],
  ['DualProjWeighting', () => new jd.DualProjWeighting(), G_BASE, [0.6109, 0.5]],
  ['UPGradWeighting', () => new jd.UPGradWeighting(), G_BASE, [1.1109, 0.7894]],
  ['FairGradWeighting(1)', () => new jd.FairGradWeighting({ alpha: 1 }), G_BASE, [0.5915, 0.4071]],
  ['CAGradWeighting(0.5)', () => new jd.CAGradWeighting({ c: 0.5 }), G_BASE, [0.7041, 0.5]],
];

const expectWithin = (got: number[], expected: number[], atol: number) => {
  expect(got).toHaveLength(expected.length);
  got.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(atol));
};

describe("TorchJD's test_values.py", () => {
  it('ports all 32 fixed values (29 deterministic, 3 from the random stream)', () => {
    expect(AGGREGATORS.length + WEIGHTINGS.length).toBe(29);
  });

  for (const [name, make, J, expected] of AGGREGATORS) {
    it(`${name} on its fixed matrix: ${JSON.stringify(expected)} (atol 1e-4)`, () => {
      expectWithin(applyTo(make(), J), expected, 1e-4);
    });
  }

  for (const [name, make, G, expected] of WEIGHTINGS) {
    it(`${name} on its fixed Gramian: ${JSON.stringify(expected)} (atol 1e-4)`, () => {
      expectWithin(applyTo(make(), G), expected, 1e-4);
    });
  }

  it('GradDrop (random stream): each column keeps its positive or its negative part', () => {
    // TorchJD (seed 0): [6, 2, 2]. Column 0 holds −4 and 6: the draw keeps 6 (positive part) or
    // −4; columns 1 and 2 are all positive (purity 1): always kept, sum 2. Over many seeds both
    // outcomes of column 0 occur, at the purity's odds ½(1 + 2/10) = 0.6 for the positive part.
    let positive = 0;
    const runs = 400;
    for (let seed = 0; seed < runs; seed++) {
      const out = applyTo(new jd.GradDrop({ seed }), J_BASE);
      expect(out[1]).toBe(2);
      expect(out[2]).toBe(2);
      expect([6, -4]).toContain(out[0]);
      if (out[0] === 6) positive += 1;
    }
    expect(positive / runs).toBeGreaterThan(0.5);
    expect(positive / runs).toBeLessThan(0.7);
  });

  it('Random and RandomWeighting (random stream): convex weights, TorchJD value one such draw', () => {
    // TorchJD (seed 0): Random → [−2.6229, 1, 1], RandomWeighting(G) → [0.8623, 0.1377]. Every
    // draw is a softmax of normals: positive weights summing to 1, so columns 1 and 2 of J_BASE
    // (all ones) give exactly 1 and column 0 is −4 w₀ + 6 w₁ ∈ (−4, 6).
    const torchWeights = [0.8623, 0.1377];
    expect(torchWeights[0] + torchWeights[1]).toBeCloseTo(1, 4);
    expect(-4 * torchWeights[0] + 6 * torchWeights[1]).toBeCloseTo(-2.6229, 3);
    for (let seed = 0; seed < 50; seed++) {
      const w = applyTo(new jd.RandomWeighting({ seed }), G_BASE);
      w.forEach((v) => expect(v).toBeGreaterThan(0));
      expect(w[0] + w[1]).toBeCloseTo(1, 6);
      const out = applyTo(new jd.Random({ seed }), J_BASE);
      expect(out[1]).toBeCloseTo(1, 6);
      expect(out[2]).toBeCloseTo(1, 6);
      expect(out[0]).toBeGreaterThan(-4);
      expect(out[0]).toBeLessThan(6);
    }
  });

  it('leaks nothing', () => {
    const before = tf.memory().numTensors;
    for (const [, make, J] of AGGREGATORS) applyTo(make(), J);
    for (const [, make, G] of WEIGHTINGS) applyTo(make(), G);
    expect(tf.memory().numTensors).toBe(before);
  });
});
