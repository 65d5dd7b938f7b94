/**
 * The TypeScript loader (tsx) by absolute URL, for child processes and threads that run this
 * project from its sources: `--import <url>` resolves it from any working directory.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export function tsxLoaderUrl(): string {
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  return pathToFileURL(join(tsxDir, 'dist', 'loader.mjs')).href;
}
