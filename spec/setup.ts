import * as tf from '@tensorflow/tfjs';

// Specs run on the exact, deterministic `cpu` backend. PROD only silences tfjs's "install
// tfjs-node" banner; it does not change any numerics.
tf.env().set('PROD', true);
tf.setBackend('cpu');
