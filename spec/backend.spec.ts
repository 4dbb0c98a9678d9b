import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '../lib/backend';

describe('useFastestBackend', () => {
  const saved = process.env.TFJS_JD_BACKEND;
  afterEach(async () => {
    if (saved === undefined) delete process.env.TFJS_JD_BACKEND;
    else process.env.TFJS_JD_BACKEND = saved;
    await tf.setBackend('cpu');
  });

  it('picks tfjs-node when it loads, else wasm, and says which', async () => {
    delete process.env.TFJS_JD_BACKEND;
    let nodeAvailable = true;
    try {
      require('@tensorflow/tfjs-node');
    } catch {
      nodeAvailable = false;
    }
    const name = await useFastestBackend();
    expect(name).toBe(nodeAvailable ? 'tensorflow' : 'wasm');
    expect(tf.getBackend()).toBe(name);
  });

  it('obeys TFJS_JD_BACKEND', async () => {
    process.env.TFJS_JD_BACKEND = 'cpu';
    expect(await useFastestBackend()).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects an unknown TFJS_JD_BACKEND with a message naming the choices', async () => {
    process.env.TFJS_JD_BACKEND = 'webgpu';
    await expect(useFastestBackend()).rejects.toThrow(/tensorflow, wasm, cpu/);
  });
});
