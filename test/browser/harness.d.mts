// Types of harness.mjs, for site/test.ts and site/serve.ts.
import type { Server } from 'node:http';
import type { Browser, Page } from 'puppeteer-core';

export interface StaticServer {
  server: Server;
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  origin: string;
  close(): Promise<void>;
}

export function startStaticServer(options: {
  root: string;
  mounts?: Record<string, string>;
  port?: number;
}): Promise<StaticServer>;

export function chromiumPath(): string;

export function launchChromium(): Promise<Browser>;

export function collectPageErrors(page: Page, origin: string): string[];
