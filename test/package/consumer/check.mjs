// ES-module consumer: import from 'tfjs-jd' next to the consumer's own tfjs.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import * as jd from 'tfjs-jd';
import { mtlGrads, UPGrad, Engine } from 'tfjs-jd';
import common from './common.cjs';

// One copy of tfjs-jd in the process whichever way it is reached (one gradient store).
const required = createRequire(import.meta.url)('tfjs-jd');
assert.equal(UPGrad, required.UPGrad);
assert.equal(typeof mtlGrads, 'function');
assert.equal(typeof Engine, 'function');
const names = (module) =>
  Object.keys(module)
    .filter((k) => k !== 'default' && k !== '__esModule')
    .sort();
assert.deepEqual(names(jd), names(required));
const result = await common.check(tf, jd, { backend: process.argv[2] });
console.log(JSON.stringify(result));
