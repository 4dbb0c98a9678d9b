/**
 * Builds the live page into site/dist/: the page's script bundled by esbuild from the sources
 * (`lib/index.ts` included, not a package build), the HTML and CSS, and tfjs's wasm binaries for
 * `?backend=wasm`.
 *
 * Run: npm run build:site
 */
import * as fs from 'fs';
import * as path from 'path';
import { build } from 'esbuild';

const SITE = __dirname;
export const DIST = path.join(SITE, 'dist');

/** Bundles the page into `outDir` and returns the bundle's size in bytes. */
export async function buildSite(outDir = DIST): Promise<number> {
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
    // lib/backend.ts's useFastestBackend requires tfjs-node inside a Node-only branch that the
    // page never takes; left unbundled, that require is never reached in the browser.
    external: ['@tensorflow/tfjs-node'],
    mainFields: ['browser', 'module', 'main'],
  });
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
