/**
 * The repository explains itself: comments and docs point only at what is in it. A comment
 * citing a document that lives elsewhere (research notes by section number) or a link to a
 * `docs/*.md#anchor` that does not exist fails here, with every offending line named.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const THIS_FILE = relative(ROOT, fileURLToPath(import.meta.url));

/** Where comments and docs live; everything text-like below these is scanned. */
const SCANNED_DIRS = ['src', 'core-wasm', 'scripts', 'test', 'types', 'deploy', 'native', 'docs'];
const SCANNED_FILES = ['README.md'];
const TEXT_FILE = /\.(?:[cm]?[jt]s|go|md|sh|ya?ml|json|conf|c|cc|h|gyp)$|(?:^|\/)Dockerfile$/;
const SKIPPED_DIRS = new Set(['node_modules', 'build', 'dist']);

/** Documents that lived outside this repository while it was built; their names, to catch cites of them. */
const OUTSIDE_DOCS = ['runtime-notes', 'core-storage-bridge', 'openim-server-subset', 'coverage-audit'];

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(?:```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = heading[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

/** A cite of a document outside the repository, or undefined. */
function outsideCite(line: string, isMarkdown: boolean): string | undefined {
  if (line.includes('§')) return 'cites a section (§) of a document outside the repository';
  const name = OUTSIDE_DOCS.find((d) => line.includes(d));
  if (name !== undefined) return `names ${name}, a document outside the repository`;
  if (/\bspecs?\b[^\n]*\b(?:appendix|section)\b|\bthe spec\b|shared\/spec/i.test(line)) return 'cites "the spec", which is not in the repository';
  // Our own client-protocol.md is in docs/; in code a bare name is the outside document of that name
  // (Markdown links are resolved and checked below instead).
  if (!isMarkdown && /(?<![\w/.-])client-protocol(?:\.md)?\b/.test(line) && !/docs\/client-protocol\.md/.test(line)) {
    return 'names client-protocol without docs/: our document is docs/client-protocol.md';
  }
  return undefined;
}

/** What the checks need to know of the repository. */
interface Repo {
  /** Each Markdown file (`docs/x.md`) with its anchors. */
  readonly docs: ReadonlyMap<string, ReadonlySet<string>>;
  /** Whether a file or folder exists at this repository path. */
  exists(path: string): boolean;
}

/** A code span in Markdown that names a path in the repository (`src/limits.ts`, `deploy/`). */
const REPO_PATH = /`((?:src|core-wasm|scripts|test|types|docs|native|deploy)\/[\w./-]*)`/g;

/**
 * Every problem in one file's text. Links resolve from the repository root in code and from
 * the file's own folder in Markdown; in Markdown, every repository path named in a code span
 * must exist, so that a moved or renamed file cannot leave a document pointing at nothing.
 */
function checkText(file: string, text: string, repo: Repo): Finding[] {
  const { docs } = repo;
  const out: Finding[] = [];
  const isMarkdown = file.endsWith('.md');
  const folder = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
  const lines = text.split('\n');
  const checkTarget = (line: number, target: string, anchor: string | undefined): void => {
    const anchors = docs.get(target);
    if (anchors === undefined) out.push({ file, line, problem: `links to ${target}, which does not exist` });
    else if (anchor !== undefined && !anchors.has(anchor)) out.push({ file, line, problem: `links to ${target}#${anchor}, which has no such heading` });
  };
  lines.forEach((content, i) => {
    const line = i + 1;
    const cite = outsideCite(content, isMarkdown);
    if (cite !== undefined) out.push({ file, line, problem: cite });
    if (isMarkdown) {
      for (const [, path] of content.matchAll(REPO_PATH)) {
        if (!repo.exists(path!)) out.push({ file, line, problem: `names ${path!}, which does not exist` });
      }
      for (const m of content.matchAll(/\]\(([^)\s#]*)(?:#([^)\s]+))?\)/g)) {
        const [, path = '', anchor] = m;
        if (/^[a-z]+:/i.test(path)) continue; // http:, mailto:
        if (path === '') checkTarget(line, file, anchor);
        else if (path.endsWith('.md')) checkTarget(line, normalize(folder === '' ? path : `${folder}/${path}`), anchor);
      }
    } else {
      for (const m of content.matchAll(/\bdocs\/([\w.-]+\.md)(?:#([\w-]+))?/g)) checkTarget(line, `docs/${m[1]!}`, m[2]);
    }
  });
  return out;
}

function normalize(path: string): string {
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.' && p !== '') parts.push(p);
  }
  return parts.join('/');
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...listFiles(path));
    } else if (entry.isFile() && TEXT_FILE.test(path)) {
      out.push(path);
    }
  }
  return out;
}

function repoOf(files: readonly string[]): Repo {
  const docs = new Map<string, Set<string>>();
  for (const f of files) if (f.endsWith('.md')) docs.set(f, headingAnchors(readFileSync(join(ROOT, f), 'utf8')));
  return { docs, exists: (path) => existsSync(join(ROOT, path)) };
}

describe('headingAnchors', () => {
  it('derives anchors as GitHub does, ignoring fenced code and numbering repeats', () => {
    const md = ['# Title', '## Version bridging', '### Parse token', '## Go GC', '```', '# not a heading', '```', '## Go GC', '## `code` & more!'].join('\n');
    expect([...headingAnchors(md)]).toEqual(['title', 'version-bridging', 'parse-token', 'go-gc', 'go-gc-1', 'code--more']);
  });
});

describe('checkText', () => {
  const docs = new Map([
    ['docs/runtime.md', new Set(['hangs', 'panics'])],
    ['docs/client-protocol.md', new Set(['handshake'])],
  ]);
  const repo: Repo = { docs, exists: (path) => path === 'src/limits.ts' || path === 'deploy/' };
  const problems = (file: string, text: string): string[] => checkText(file, text, repo).map((f) => `${f.line}: ${f.problem}`);

  it('refuses cites of documents outside the repository', () => {
    expect(problems('src/a.ts', '// see spec §3.2\n/** (openim-server-subset §1) */\n// as the spec says\n// ok line')).toEqual([
      '1: cites a section (§) of a document outside the repository',
      '2: cites a section (§) of a document outside the repository',
      '3: cites "the spec", which is not in the repository',
    ]);
    expect(problems('src/a.ts', '// runtime-notes fact 5')).toEqual(['1: names runtime-notes, a document outside the repository']);
    expect(problems('src/a.ts', '// (client-protocol spec, events)')).toEqual(['1: names client-protocol without docs/: our document is docs/client-protocol.md']);
  });

  it('accepts links to headings that exist, and names the ones that do not', () => {
    expect(problems('src/a.ts', '// docs/runtime.md#hangs and docs/client-protocol.md#handshake')).toEqual([]);
    expect(problems('src/a.ts', '// docs/runtime.md#hang\n// docs/nothing.md')).toEqual([
      '1: links to docs/runtime.md#hang, which has no such heading',
      '2: links to docs/nothing.md, which does not exist',
    ]);
  });

  it('requires every repository path a document names to exist', () => {
    expect(problems('docs/runtime.md', 'see `src/limits.ts`, `deploy/`, `users/<user>/x.db` and `npm test`')).toEqual([]);
    expect(problems('docs/runtime.md', 'moved: `src/pool/limits.ts`')).toEqual(['1: names src/pool/limits.ts, which does not exist']);
    expect(problems('src/a.ts', '// `src/pool/limits.ts` in code is not checked')).toEqual([]);
  });

  it('resolves Markdown links from the linking file, and in-page anchors against that file', () => {
    expect(problems('docs/client-protocol.md', '[a](runtime.md#panics) [b](#handshake) [c](https://x.y/#z)')).toEqual([]);
    expect(problems('docs/client-protocol.md', '[a](runtime.md#panic) [b](#nothing)')).toEqual([
      '1: links to docs/runtime.md#panic, which has no such heading',
      '1: links to docs/client-protocol.md#nothing, which has no such heading',
    ]);
    expect(problems('README.md', '[a](docs/runtime.md#hangs) [b](docs/runtime.md#x)')).toEqual(['1: links to docs/runtime.md#x, which has no such heading']);
  });
});

describe('the repository', () => {
  const files = [...SCANNED_DIRS.flatMap((d) => listFiles(d)), ...SCANNED_FILES.filter((f) => statSync(join(ROOT, f)).isFile())].filter((f) => f !== THIS_FILE);
  const repo = repoOf(files);

  it('has the documents comments point to', () => {
    for (const doc of ['docs/client-protocol.md', 'docs/core-storage.md', 'docs/im-server.md', 'docs/runtime.md']) {
      expect(repo.docs.get(doc)?.size ?? 0, doc).toBeGreaterThan(3);
    }
  });

  it('cites nothing outside itself and links only to headings that exist', () => {
    const findings = files.flatMap((f) => checkText(f, readFileSync(join(ROOT, f), 'utf8'), repo));
    expect(findings.map((f) => `${f.file}:${f.line}: ${f.problem}`)).toEqual([]);
  });
});
