/**
 * Builds the live page into site/dist/: the page's script bundled by esbuild as a consumer's app
 * would be, `tfjs-jd` taken from the package's ESM build (dist/esm/index.js, what the `exports`
 * map gives a browser bundle; `npm run build` makes it) and never from lib/; the HTML and CSS; and
 * tfjs's wasm binaries for `?backend=wasm`.
 *
 * Run: npm run build:site   (runs `npm run build` first)
 */
import * as fs from 'fs';
import * as path from 'path';
import { build } from 'esbuild';

const SITE = __dirname;
export const DIST = path.join(SITE, 'dist');
/** The package's browser build: `exports['.'].import.default` of package.json. */
const PACKAGE_ESM = path.join(SITE, '..', 'dist', 'esm', 'index.js');

/** Bundles the page into `outDir` and returns the bundle's size in bytes. */
export async function buildSite(outDir = DIST): Promise<number> {
  if (!fs.existsSync(PACKAGE_ESM)) {
    throw new Error(`${PACKAGE_ESM} is missing: run \`npm run build\` first.`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const result = await build({
    entryPoints: [path.join(SITE, 'main.ts')],
    outfile: path.join(outDir, 'main.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2020',
    minify: process.env.SITE_MINIFY !== '0',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    // The page imports 'tfjs-jd' as an app would; here that is this checkout's package build.
    alias: { 'tfjs-jd': PACKAGE_ESM },
  });
  const sources = Object.keys(result.metafile.inputs);
  const fromLib = sources.filter((f) => /(^|\/)lib\//.test(f) && !f.includes('node_modules'));
  if (fromLib.length > 0 || !sources.some((f) => f.endsWith('dist/esm/index.js'))) {
    throw new Error(
      `the page must bundle tfjs-jd's dist/esm build, not lib/: ${fromLib.join(', ')}`,
    );
  }
  for (const file of ['index.html', 'style.css']) {
    fs.copyFileSync(path.join(SITE, file), path.join(outDir, file));
  }
  const wasmDir = path.dirname(
    require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
  );
  for (const file of fs.readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) {
    fs.copyFileSync(path.join(wasmDir, file), path.join(outDir, file));
  }
  return (
    result.metafile.outputs[path.relative(process.cwd(), path.join(outDir, 'main.js'))]?.bytes ?? 0
  );
}

if (require.main === module) {
  buildSite().then(
    (bytes) => console.log(`site/dist/ built (main.js ${(bytes / 1e6).toFixed(1)} MB)`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
