import { describe, expect, it } from 'vitest';
import { SocketBackground } from '../../src/sessions/socket-background.ts';

/** A background tracker with two sockets and a core that records what it is told. */
function setup(fail = false) {
  const bg = new SocketBackground<string>();
  const told: boolean[] = [];
  const loggedIn = new Set(['tab1', 'tab2']);
  const sync = (): Promise<void> =>
    bg.sync(
      () => loggedIn,
      async (inBackground) => {
        await new Promise((r) => setTimeout(r, 5));
        if (fail) throw new Error('core busy');
        told.push(inBackground);
      },
    );
  return { bg, told, loggedIn, sync };
}

describe('background per socket', () => {
  it('the core goes to background only when every logged-in socket is hidden, back when one is not', async () => {
    const { bg, told, loggedIn, sync } = setup();
    bg.set('tab1', true);
    await sync();
    expect(told, 'one hidden tab of two: nothing to tell').toEqual([]);
    bg.set('tab2', true);
    await sync();
    expect(told).toEqual([true]);
    bg.set('tab1', false);
    await sync();
    expect(told).toEqual([true, false]);
    // the visible tab leaves: the hidden one is all that is left
    loggedIn.delete('tab1');
    bg.forget('tab1');
    await sync();
    expect(told).toEqual([true, false, true]);
    // a new tab counts as visible
    loggedIn.add('tab3');
    await sync();
    expect(told).toEqual([true, false, true, false]);
  });

  it('queued changes are each judged on the sockets when their turn comes, so nothing flaps', async () => {
    const { bg, told, sync } = setup();
    bg.set('tab1', true);
    bg.set('tab2', true);
    const first = sync();
    bg.set('tab2', false);
    const second = sync();
    await Promise.all([first, second]);
    // both ran after the flips: the first saw a visible tab, so nothing flapped
    expect(told).toEqual([]);
  });

  it('with no socket logged in nothing changes; a fresh core starts in the foreground', async () => {
    const { bg, told, loggedIn, sync } = setup();
    bg.set('tab1', true);
    bg.set('tab2', true);
    await sync();
    loggedIn.clear();
    await sync();
    expect(told).toEqual([true]);
    bg.freshCore();
    loggedIn.add('tab1');
    await sync();
    expect(told, 'the new core is told again that its only socket is hidden').toEqual([true, true]);
  });

  it('a failed change is retried by the next sync, and the failure reaches the caller', async () => {
    const failing = setup(true);
    failing.bg.set('tab1', true);
    failing.bg.set('tab2', true);
    await expect(failing.sync()).rejects.toThrow('core busy');
    await expect(failing.sync(), 'still believed in the foreground: tried again').rejects.toThrow('core busy');
  });
});
