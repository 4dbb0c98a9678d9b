// Packs tfjs-jd as `npm pack` would publish it, and installs the tarball into throwaway consumer
// projects (in the system temp directory) that bring their own tfjs, as a user's project would.
// A consumer is reused while the tarball and its dependencies are the same (a second run, or the
// browser test after the package test), since installing is most of the time these tests take.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const workDir = join(tmpdir(), 'tfjs-jd-package-test');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export function run(command, args, options = {}) {
  return execFileSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    ...options,
  });
}

let packed;
/** Builds (through `prepack`) and packs the library once per process; returns the tarball's path. */
export function packLibrary() {
  if (packed !== undefined) return packed;
  mkdirSync(workDir, { recursive: true });
  const [info] = JSON.parse(
    run(npm, ['pack', '--json', '--pack-destination', workDir], { cwd: repoRoot }),
  );
  packed = { tarball: join(workDir, info.filename), files: info.files.map((f) => f.path) };
  return packed;
}

/**
 * A consumer project with the packed tfjs-jd and `dependencies` (package specs such as
 * `@tensorflow/tfjs@4.21.0`) installed from the npm registry; returns its directory.
 */
export function makeConsumer(name, dependencies) {
  const { tarball } = packLibrary();
  const key = createHash('sha256')
    .update(readFileSync(tarball))
    .update(JSON.stringify(dependencies))
    .digest('hex')
    .slice(0, 12);
  const dir = join(workDir, `${name}-${key}`);
  if (existsSync(join(dir, '.installed'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `tfjs-jd-consumer-${name}`, version: '1.0.0', private: true }, null, 2),
  );
  const started = Date.now();
  run(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...dependencies], {
    cwd: dir,
  });
  console.log(
    `  installed ${name} (${dependencies.join(', ')}) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  writeFileSync(join(dir, '.installed'), '');
  return dir;
}

/** The version of `pkg` installed in a consumer. */
export function installedVersion(dir, pkg) {
  return JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}
