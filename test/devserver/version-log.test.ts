import { describe, expect, it } from 'vitest';
import { FIRST_VERSION, VersionLog, newVersionID, planIncremental } from '../../src/devserver/store/version-log.ts';

describe('version logs (incremental sync)', () => {
  it('IDs look like Mongo ObjectIDs', () => {
    expect(newVersionID(Date.now())).toMatch(/^[0-9a-f]{24}$/);
  });

  it('no pair, another ID, version 0 or a future version → full', () => {
    const log = new VersionLog(newVersionID(0));
    log.record('g1', 'insert');
    for (const [id, v] of [
      ['', 0],
      [newVersionID(0), 1],
      [log.id, 0],
      [log.id, log.version + 1],
    ] as const) {
      expect(planIncremental(log, id, v)).toMatchObject({ full: true, insert: [], version: log.version, versionID: log.id });
    }
  });

  it('starts at version 1 whether read or written first, as the real logs do', () => {
    const readFirst = new VersionLog('a'.repeat(24));
    expect(planIncremental(readFirst, '', 0).version).toBe(FIRST_VERSION);
    readFirst.record('x', 'insert');
    expect(readFirst.version).toBe(FIRST_VERSION + 1);
    const writtenFirst = new VersionLog('b'.repeat(24));
    writtenFirst.record('x', 'insert');
    expect(writtenFirst.version).toBe(FIRST_VERSION);
  });

  it('a known pair gets the latest state of each element changed since', () => {
    const log = new VersionLog(newVersionID(0));
    const start = planIncremental(log, '', 0);
    log.record('a', 'insert');
    log.record('b', 'insert');
    const mid = log.version;
    log.record('a', 'update');
    log.record('c', 'insert');
    log.record('b', 'delete');
    expect(planIncremental(log, start.versionID, start.version)).toMatchObject({ full: false, insert: ['c'], update: ['a'], delete: ['b'] });
    expect(planIncremental(log, log.id, mid)).toMatchObject({ full: false, insert: ['c'], update: ['a'], delete: ['b'] });
    expect(planIncremental(log, log.id, log.version)).toMatchObject({ full: false, insert: [], update: [], delete: [] });
  });

  it('more than 200 changes → full', () => {
    const log = new VersionLog(newVersionID(0));
    const start = planIncremental(log, '', 0);
    for (let i = 0; i < 201; i++) log.record(`e${i}`, 'insert');
    expect(planIncremental(log, start.versionID, start.version).full).toBe(true);
  });
});
