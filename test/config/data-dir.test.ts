import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDataDir, createTemporaryDataDir, DATA_DIR_MARKER } from '../../src/config/data-dir.ts';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'jssdk-data-dir-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const kindOf = (dir: string): unknown => (JSON.parse(readFileSync(join(dir, DATA_DIR_MARKER), 'utf8')) as { kind: unknown }).kind;

describe('claimDataDir', () => {
  it('creates a missing directory and marks it with the kind that first used it', () => {
    for (const kind of ['openim', 'dev-server'] as const) {
      const dir = join(root, `new-${kind}`, 'nested');
      expect(claimDataDir(dir, kind)).toEqual({ ok: true, dir });
      expect(kindOf(dir)).toBe(kind);
      // The same kind comes back to it; the other kind is refused.
      expect(claimDataDir(dir, kind).ok).toBe(true);
      expect(claimDataDir(dir, kind === 'openim' ? 'dev-server' : 'openim').ok).toBe(false);
    }
  });

  it('marks an existing empty directory for either kind', () => {
    const dir = join(root, 'empty');
    mkdirSync(dir);
    expect(claimDataDir(dir, 'dev-server').ok).toBe(true);
    expect(kindOf(dir)).toBe('dev-server');
  });

  it('counts files without a marker as real data: refused to the dev server, adopted by a real IM run', () => {
    const dir = join(root, 'legacy');
    mkdirSync(join(dir, 'users', 'alice', '5'), { recursive: true });
    const refused = claimDataDir(dir, 'dev-server');
    expect(refused.ok).toBe(false);
    expect(existsSync(join(dir, DATA_DIR_MARKER))).toBe(false);
    expect(claimDataDir(dir, 'openim').ok).toBe(true);
    expect(kindOf(dir)).toBe('openim');
  });

  it('refuses a file, and a marker it cannot read, in one line naming the flag', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expect(claimDataDir(file, 'openim')).toEqual({ ok: false, message: `--data-dir ${JSON.stringify(file)} is not a directory` });
    const dir = join(root, 'garbled');
    mkdirSync(dir);
    writeFileSync(join(dir, DATA_DIR_MARKER), 'not json');
    const r = claimDataDir(dir, 'openim');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/^--data-dir ".*garbled" has an unreadable \.openim-jssdk-data\.json/);
  });
});

describe('createTemporaryDataDir', () => {
  it('is fresh, marked as dev-server data, and removed on request', () => {
    const a = createTemporaryDataDir();
    const b = createTemporaryDataDir();
    expect(a.dir).not.toBe(b.dir);
    expect(kindOf(a.dir)).toBe('dev-server');
    writeFileSync(join(a.dir, 'x'), 'y');
    a.remove();
    b.remove();
    a.remove();
    expect(existsSync(a.dir) || existsSync(b.dir)).toBe(false);
  });
});
