/**
 * Where the core worker's code is. From a build (`dist/`) it is plain JavaScript; when
 * the project runs from its TypeScript sources (tests, `tsx`), the worker needs the same
 * TypeScript loader, passed to the thread by absolute URL so it resolves from any cwd.
 */
import { tsxLoaderUrl } from '../../tsx-loader.ts';

export function coreWorkerEntry(): { filename: string; execArgv: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const filename = new URL(`./core-worker.${fromSources ? 'ts' : 'js'}`, import.meta.url).href;
  if (!fromSources) return { filename, execArgv: [] };
  return { filename, execArgv: ['--import', tsxLoaderUrl()] };
}
