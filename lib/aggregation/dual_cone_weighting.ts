/**
 * What UPGrad and DualProj share: a preference vector and a dual-cone projector, configured by the
 * same options and exposed through the same validated setters (TorchJD's `pref_vector`,
 * `projector`, and the projector's `norm_eps`/`reg_eps`).
 */
import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import {
  checkedProjector,
  projectorOrDefault,
  setProjectorEps,
  type DualConeProjector,
} from '../linalg/dual_cone';
import { GramianWeightedAggregator } from './aggregator_bases';
import { PrefVector } from './pref_vector';
import { GramianWeighting } from './weighting_bases';

/**
 * Options of the weightings and aggregators built on the dual-cone projection: UPGrad and DualProj.
 */
export interface DualConeOptions {
  /** Weights of the projected rows; default `1/m` each. A `tf.Tensor1D` or `number[]`. */
  prefVector?: tf.Tensor1D | number[];
  /**
   * Gramian trace below which the Jacobian counts as zero. Default 1e-4. TorchJD sets it on the
   * projector; here it configures the default projector, and cannot be combined with `projector`.
   */
  normEps?: number;
  /**
   * Added to the diagonal of the normalized Gramian. Default 1e-4. Configures the default
   * projector, like `normEps`; cannot be combined with `projector`.
   */
  regEps?: number;
  /**
   * The dual-cone projector; default `new ActiveSetProjector({ normEps, regEps })`, which gives
   * the solution of TorchJD's `QuadprogProjector` faster. Pass `new QuadprogProjector()` to solve
   * with quadprog itself.
   */
  projector?: DualConeProjector;
}

/** A Gramian weighting that solves dual-cone projections with a preference vector. */
export abstract class DualConeWeighting extends GramianWeighting {
  protected preference: PrefVector;
  protected projectorValue: DualConeProjector;

  /** `method` names the class in the error for a bad `options`. */
  constructor(options: DualConeOptions, method: string) {
    super();
    const { prefVector, normEps, regEps, projector } = readOptions(options, method);
    this.preference = new PrefVector(prefVector);
    this.projectorValue = projectorOrDefault({ projector, normEps, regEps });
  }

  /** The preference vector, or `undefined` for uniform `1/m`; setting it validates it, as TorchJD. */
  get prefVector(): number[] | undefined {
    return this.preference.values === undefined ? undefined : [...this.preference.values];
  }
  set prefVector(value: tf.Tensor1D | number[] | undefined) {
    this.preference = new PrefVector(value);
  }

  /** The dual-cone projector; setting `undefined` restores the default one, as TorchJD. */
  get projector(): DualConeProjector {
    return this.projectorValue;
  }
  set projector(value: DualConeProjector | undefined) {
    this.projectorValue = checkedProjector(value);
  }

  /** The projector's `normEps`; setting it sets (and validates) it on the projector. */
  get normEps(): number | undefined {
    return this.projectorValue.normEps;
  }
  set normEps(value: number) {
    setProjectorEps(this.projectorValue, 'normEps', value);
  }

  /** The projector's `regEps`; setting it sets (and validates) it on the projector. */
  get regEps(): number | undefined {
    return this.projectorValue.regEps;
  }
  set regEps(value: number) {
    setProjectorEps(this.projectorValue, 'regEps', value);
  }
}

/** An aggregator over a {@link DualConeWeighting}, whose settings it reads and writes. */
export abstract class DualConeAggregator extends GramianWeightedAggregator {
  declare readonly gramianWeighting: DualConeWeighting;

  /** The weighting's preference vector; setting it sets the weighting's (as TorchJD). */
  get prefVector(): number[] | undefined {
    return this.gramianWeighting.prefVector;
  }
  set prefVector(value: tf.Tensor1D | number[] | undefined) {
    this.gramianWeighting.prefVector = value;
  }

  /** The weighting's dual-cone projector; setting it sets the weighting's (as TorchJD). */
  get projector(): DualConeProjector {
    return this.gramianWeighting.projector;
  }
  set projector(value: DualConeProjector | undefined) {
    this.gramianWeighting.projector = value;
  }

  /** The projector's `normEps`; setting it sets it on the weighting's projector. */
  get normEps(): number | undefined {
    return this.gramianWeighting.normEps;
  }
  set normEps(value: number) {
    this.gramianWeighting.normEps = value;
  }

  /** The projector's `regEps`; setting it sets it on the weighting's projector. */
  get regEps(): number | undefined {
    return this.gramianWeighting.regEps;
  }
  set regEps(value: number) {
    this.gramianWeighting.regEps = value;
  }

  /** The short name with the preference vector, if any, as TorchJD (`UPGrad([0.2, 0.8])`). */
  protected nameWithPreference(name: string): string {
    return `${name}${new PrefVector(this.prefVector).nameSuffix()}`;
  }
}
