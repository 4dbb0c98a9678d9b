// Builds what the package ships (run by `npm run build` and by `prepack`):
//   dist/cjs: CommonJS, one file per module, with declarations and source maps (tsc);
//   dist/esm/**.js: ES modules for bundlers and browsers, one per source file (esbuild; tfjs and
//     quadprog stay imports), with source maps;
//   dist/esm/node.js: Node's `import` entry, re-exporting the CommonJS build, so that a Node
//     process loads one copy of tfjs-jd (one gradient store) whichever way it is reached.
// tsc alone cannot emit an ES module Node accepts without rewriting every extensionless import in
// lib/; esbuild bundles instead, and tsc stays the type-checker and declaration emitter.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

// One ES module per source file, as tsc's CommonJS build: a bundler then drops the modules an app
// does not reach (`sideEffects: false`), which it cannot do inside one concatenated file (the
// README example bundled 149 kB of a single-file build against 58 kB of the modules it uses).
// esbuild compiles each file alone; relative imports get the `.js` (or `/index.js`) ES modules
// require.
const sources = [];
const walk = (folder) => {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) sources.push(path);
  }
};
walk(join(root, 'lib'));
const explicitExtensions = {
  name: 'explicit-extensions',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\.?(\/|$)/ }, ({ path, resolveDir, kind }) => {
      if (kind === 'entry-point') return undefined;
      const target = join(resolveDir, path);
      const file = existsSync(`${target}.ts`) ? `${path}.js` : `${path}/index.js`;
      return { path: file, external: true };
    });
  },
};
await build({
  entryPoints: sources,
  outdir: join(dist, 'esm'),
  outbase: join(root, 'lib'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  packages: 'external',
  plugins: [explicitExtensions],
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
mkdirSync(join(dist, 'esm'), { recursive: true });
writeFileSync(join(dist, 'esm/package.json'), JSON.stringify({ type: 'module' }) + '\n');
writeFileSync(join(dist, 'esm/node.js'), "export * from '../cjs/index.js';\n");
writeFileSync(join(dist, 'esm/index.d.ts'), "export * from '../cjs/index.js';\n");
