import { expect } from 'chai';
import { KeyLock } from '../../src/blob/key-lock.js';

/** A promise the spec resolves by hand, to hold an operation open. */
function gate(): { readonly opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('KeyLock', () => {
  it('runs operations on one key one after another, in call order, even when one fails', async () => {
    const lock = new KeyLock();
    const log: string[] = [];
    const first = gate();
    const a = lock.run('k', async () => {
      log.push('a starts');
      await first.opened;
      log.push('a ends');
      throw new Error('a failed');
    });
    const b = lock.run('k', async () => {
      log.push('b runs');
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).to.deep.equal(['a starts']);
    first.open();
    await a.catch(() => undefined);
    await b;
    expect(log).to.deep.equal(['a starts', 'a ends', 'b runs']);
  });

  it('runs operations on different keys at the same time', async () => {
    const lock = new KeyLock();
    const held = gate();
    const slow = lock.run('k1', () => held.opened);
    let other = false;
    await lock.run('k2', async () => {
      other = true;
    });
    expect(other).to.equal(true);
    held.open();
    await slow;
  });
});
