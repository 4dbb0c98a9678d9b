/**
 * Serves site/dist/ on 127.0.0.1 (port 8080, or `PORT`; 0 picks a free one) and prints the
 * address. Static files only (the browser tests' server); nothing is sent anywhere else.
 *
 * Run: npm run site   (after `npm run build:site`)
 */
import * as fs from 'fs';
import * as path from 'path';
import { startStaticServer } from '../test/browser/harness.mjs';
import { DIST } from './build';

if (!fs.existsSync(path.join(DIST, 'main.js'))) {
  console.error('site/dist/ is not built: run `npm run build:site` first.');
  process.exit(1);
}
startStaticServer({ root: DIST, port: Number(process.env.PORT ?? 8080) }).then(
  ({ origin }) => console.log(`tfjs-jd live page: ${origin}/  (Ctrl-C stops)`),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
