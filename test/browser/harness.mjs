// What the browser tests share (test/browser/run.mjs, the consumer page; site/test.ts, the live
// page) and what `npm run site` serves with: a static file server on 127.0.0.1 only, headless
// Chromium (Debian's chromium through puppeteer-core, WebGL on SwiftShader), and the collection of
// a page's errors, including any request that leaves the server.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import puppeteer from 'puppeteer-core';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The file under `dir` that `relative` names, or undefined if it would leave `dir`. */
function inside(dir, relative) {
  const root = resolve(dir);
  const file = resolve(root, `.${sep}${relative}`);
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

/**
 * Serves the files under `root` (and under each directory of `mounts`, URL prefix → directory) on
 * 127.0.0.1:`port` (0: a free port). `/` and any path ending in `/` serve its index.html.
 * Resolves with the server, its origin (`http://127.0.0.1:PORT`) and `close()`.
 */
export function startStaticServer({ root, mounts = {}, port = 0 }) {
  const server = createServer((request, response) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      response.writeHead(400).end();
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const prefix = Object.keys(mounts).find((p) => pathname.startsWith(p));
    const file =
      prefix === undefined
        ? inside(root, pathname)
        : inside(mounts[prefix], pathname.slice(prefix.length));
    if (file === undefined || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolvePromise({
        server,
        origin,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

/** Chromium's path: `CHROMIUM` or `CHROMIUM_PATH`, else Debian's chromium. */
export function chromiumPath() {
  const found =
    process.env.CHROMIUM ??
    process.env.CHROMIUM_PATH ??
    ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error('no Chromium found: apt-get install chromium, or set CHROMIUM=/path/to/chrome');
  }
  return found;
}

/** Headless Chromium with WebGL on SwiftShader (Chromium's software renderer: no GPU needed). */
export function launchChromium() {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
    ],
  });
}

/**
 * Collects what goes wrong on `page` into the returned array: uncaught errors, `console.error`
 * messages, and any request for something not served by `origin` (a page must load nothing from
 * anywhere else).
 */
export function collectPageErrors(page, origin) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) {
      errors.push(`request outside ${origin}: ${url}`);
    }
  });
  return errors;
}
