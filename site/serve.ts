/**
 * Serves site/dist/ on 127.0.0.1 (port 8080, or `PORT`; 0 picks a free one) and prints the
 * address. Static files only; nothing is sent anywhere else.
 *
 * Run: npm run site
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import { DIST } from './build';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Starts the server on 127.0.0.1:`port` and resolves with it and its address. */
export function startServer(
  root = DIST,
  port = 8080,
): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = path.join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    // Only files under root: "../" in a request stays inside.
    if (
      !file.startsWith(root + path.sep) ||
      !fs.existsSync(file) ||
      fs.statSync(file).isDirectory()
    ) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    });
    fs.createReadStream(file).pipe(response);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${actual}/` });
    });
  });
}

if (require.main === module) {
  if (!fs.existsSync(path.join(DIST, 'main.js'))) {
    console.error('site/dist/ is not built: run `npm run build:site` first.');
    process.exit(1);
  }
  startServer(DIST, Number(process.env.PORT ?? 8080)).then(
    ({ url }) => console.log(`tfjs-jd live page: ${url}  (Ctrl-C stops)`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
