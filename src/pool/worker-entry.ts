/**
 * Where the core worker's code is. From a build (`dist/`) it is plain JavaScript; when
 * the project runs from its TypeScript sources (tests, `tsx`), the worker needs the same
 * TypeScript loader, passed to the thread by absolute URL so it resolves from any cwd.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export function coreWorkerEntry(): { filename: string; execArgv: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const filename = new URL(`../../workers/core-worker.${fromSources ? 'ts' : 'js'}`, import.meta.url).href;
  if (!fromSources) return { filename, execArgv: [] };
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  return { filename, execArgv: ['--import', pathToFileURL(join(tsxDir, 'dist', 'loader.mjs')).href] };
}
