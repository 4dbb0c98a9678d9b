/**
 * Names that survive minification: a browser bundle mangles class names, so every method states
 * its `toString()` and every error its `name` instead of reading them from the constructor.
 */
import * as jd from '../lib/index';
import { AGGREGATORS, LOSS_AWARE_AGGREGATORS, WEIGHTINGS } from './aggregation/_all_methods';
import { SCALARIZERS } from './scalarization/_all_scalarizers';

const release = (method: object) => (method as { dispose?: () => void }).dispose?.();

describe('names that survive minification', () => {
  const methods: [string, () => object][] = [
    ...AGGREGATORS.map((c) => [c.name, () => c.make(4)] as [string, () => object]),
    ...LOSS_AWARE_AGGREGATORS.map((c) => [c.name, () => c.make(4)] as [string, () => object]),
    ...WEIGHTINGS.map((c) => [c.name, () => c.make(4)] as [string, () => object]),
    ...SCALARIZERS.map(
      (c) => [`scalarization.${c.name}`, () => c.make([4])] as [string, () => object],
    ),
  ];

  /** Runs `body` with `cls.name` renamed as a minifier would, then restores it. */
  function mangled(cls: object, body: () => void): void {
    const original = Object.getOwnPropertyDescriptor(cls, 'name')!;
    Object.defineProperty(cls, 'name', { value: 'e', configurable: true });
    try {
      body();
    } finally {
      Object.defineProperty(cls, 'name', original);
    }
  }

  it.each(methods)('%s keeps its toString() when its class name is mangled', (_name, make) => {
    const method = make();
    const name = method.toString();
    mangled(method.constructor, () => expect(method.toString()).toBe(name));
    expect(name).not.toBe('e');
    release(method);
  });

  it('every error keeps its name when its class name is mangled', () => {
    const errors: [string, new (message: string) => Error][] = [
      ['NumericalError', jd.NumericalError],
      ['GraphFreedError', jd.GraphFreedError],
      ['NotRecordedError', jd.NotRecordedError],
      ['UnsupportedTfjsError', jd.UnsupportedTfjsError],
      ['BackendUnavailableError', jd.BackendUnavailableError],
      ['NotDifferentiableError', jd.NotDifferentiableError],
    ];
    for (const [name, ErrorClass] of errors) {
      mangled(ErrorClass, () => expect(new ErrorClass('x').name).toBe(name));
    }
    mangled(jd.InvalidArgumentError, () =>
      expect(new jd.InvalidArgumentError('x', 'y').name).toBe('InvalidArgumentError'),
    );
  });
});
