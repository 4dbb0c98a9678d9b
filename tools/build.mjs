// Builds what the package ships (run by `npm run build` and by `prepack`):
//   dist/cjs: CommonJS, one file per module, with declarations and source maps (tsc);
//   dist/esm/index.js: one ES module for bundlers and browsers (esbuild; tfjs and quadprog stay
//     imports), with its source map;
//   dist/esm/node.js: Node's `import` entry, re-exporting the CommonJS build, so that a Node
//     process loads one copy of tfjs-jd (one gradient store) whichever way it is reached.
// tsc alone cannot emit an ES module Node accepts without rewriting every extensionless import in
// lib/; esbuild bundles instead, and tsc stays the type-checker and declaration emitter.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
  {
    stdio: 'inherit',
  },
);
writeFileSync(join(dist, 'cjs/package.json'), JSON.stringify({ type: 'commonjs' }) + '\n');

await build({
  entryPoints: [join(root, 'lib/index.ts')],
  outfile: join(dist, 'esm/index.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  packages: 'external',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
mkdirSync(join(dist, 'esm'), { recursive: true });
writeFileSync(join(dist, 'esm/package.json'), JSON.stringify({ type: 'module' }) + '\n');
writeFileSync(join(dist, 'esm/node.js'), "export * from '../cjs/index.js';\n");
writeFileSync(join(dist, 'esm/index.d.ts'), "export * from '../cjs/index.js';\n");
