import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm'; // registered, so that a fake module can stand for it below
import {
  BackendUnavailableError,
  backendEnvironment,
  chooseFastestBackend,
  useFastestBackend,
} from '../../lib/backend';

function nodeBackendInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

describe('useFastestBackend', () => {
  const saved = process.env.TFJS_JD_BACKEND;
  afterEach(async () => {
    if (saved === undefined) delete process.env.TFJS_JD_BACKEND;
    else process.env.TFJS_JD_BACKEND = saved;
    await tf.setBackend('cpu');
  });

  it('knows it runs in Node', () => {
    expect(backendEnvironment()).toBe('node');
  });

  it('picks tfjs-node when it loads, else wasm, and says which', async () => {
    delete process.env.TFJS_JD_BACKEND;
    const name = await useFastestBackend();
    expect(name).toBe(nodeBackendInstalled() ? 'tensorflow' : 'wasm');
    expect(tf.getBackend()).toBe(name);
    // The kernel fixes are in: wasm has no Conv2DBackpropFilter of its own.
    if (name === 'wasm') expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('reports every candidate it passed over, with the reason', async () => {
    delete process.env.TFJS_JD_BACKEND;
    const choice = await chooseFastestBackend();
    expect(choice.environment).toBe('node');
    expect(choice.tried[choice.tried.length - 1]).toEqual({
      backend: choice.backend,
      outcome: 'used',
    });
    if (!nodeBackendInstalled()) {
      expect(choice.tried[0].backend).toBe('tensorflow');
      expect(choice.tried[0].outcome).toBe('missing');
      expect(choice.tried[0].reason).toMatch(/@tensorflow\/tfjs-node could not be loaded/);
    }
  });

  it('tries only the candidates it is given, in order', async () => {
    delete process.env.TFJS_JD_BACKEND;
    const choice = await chooseFastestBackend({ backends: ['webgpu', 'cpu'] });
    expect(choice.backend).toBe('cpu');
    expect(choice.tried.map((t) => t.outcome)).toEqual(['missing', 'used']);
    expect(choice.tried[0].reason).toMatch(/navigator\.gpu/);
  });

  it('takes an optional backend from options.modules, and reports a loader that fails', async () => {
    delete process.env.TFJS_JD_BACKEND;
    const choice = await chooseFastestBackend({
      backends: ['tensorflow', 'cpu'],
      modules: { tensorflow: () => Promise.reject(new Error('not in this bundle')) },
    });
    expect(choice.backend).toBe('cpu');
    expect(choice.tried[0].reason).toMatch(/not in this bundle/);
  });

  it('fails when none of the candidates starts, naming each', async () => {
    delete process.env.TFJS_JD_BACKEND;
    await expect(chooseFastestBackend({ backends: ['webgpu'] })).rejects.toThrow(
      /No TensorFlow.js backend could be started: webgpu: navigator\.gpu/,
    );
  });

  it('obeys TFJS_JD_BACKEND, in any case', async () => {
    process.env.TFJS_JD_BACKEND = 'cpu';
    expect(await useFastestBackend()).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    process.env.TFJS_JD_BACKEND = 'WASM';
    expect(await useFastestBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown TFJS_JD_BACKEND with a one-line message naming the choices', async () => {
    process.env.TFJS_JD_BACKEND = 'webgpu';
    const error = await useFastestBackend().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/tensorflow, wasm, cpu/);
    expect((error as Error).stack).not.toMatch(/\n/);
  });

  it('says how to install a requested backend that is missing, in one line', async () => {
    if (nodeBackendInstalled()) return;
    process.env.TFJS_JD_BACKEND = 'tensorflow';
    const error = await useFastestBackend().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/npm install @tensorflow\/tfjs-node/);
    expect((error as Error).message).not.toMatch(/\n/);
    expect((error as Error).stack).not.toMatch(/\n/);
  });
});

describe('useFastestBackend with wasmPaths', () => {
  afterEach(async () => {
    await tf.setBackend('cpu');
  });

  it('hands wasmPaths to the wasm module it is given, and reports what that module refuses', async () => {
    const calls: unknown[] = [];
    const wasm = {
      setWasmPaths: (paths: unknown) => {
        calls.push(paths);
        if (typeof paths !== 'string') throw new Error('There were no entries found');
      },
    };
    const ok = await chooseFastestBackend({
      backends: ['wasm'],
      wasmPaths: '/wasm/',
      modules: { wasm },
    });
    expect(ok.backend).toBe('wasm');
    const refused = await chooseFastestBackend({
      backends: ['wasm', 'cpu'],
      wasmPaths: { 'tfjs-backend-wasm.wasm': '/a.wasm' },
      modules: { wasm: async () => wasm },
    });
    expect(calls).toEqual(['/wasm/', { 'tfjs-backend-wasm.wasm': '/a.wasm' }]);
    expect(refused.backend).toBe('cpu');
    expect(refused.tried[0].reason).toMatch(
      /did not accept wasmPaths \(There were no entries found\)/,
    );
  });
});
