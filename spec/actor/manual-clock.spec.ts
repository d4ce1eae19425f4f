import { expect } from 'chai';
import { start, stop, spawn } from 'nact';
import { ManualClock } from '../../src/actor/manual-clock.js';
import { ask, AskTimeoutError, typedRef, type TypedRef } from '../../src/actor/typed-ref.js';

describe('ManualClock', () => {
  it('fires timers in due order, each seeing its own due time, including timers scheduled by timers', () => {
    const clock = new ManualClock(100);
    const fired: string[] = [];
    clock.schedule(30, () => fired.push(`b@${clock.now()}`));
    clock.schedule(10, () => {
      fired.push(`a@${clock.now()}`);
      clock.schedule(5, () => fired.push(`c@${clock.now()}`));
    });
    const cancelled = clock.schedule(20, () => fired.push('never'));
    cancelled.cancel();
    clock.advance(29);
    expect(fired).to.deep.equal(['a@110', 'c@115']);
    clock.advance(1);
    expect(fired).to.deep.equal(['a@110', 'c@115', 'b@130']);
    expect(clock.now()).to.equal(130);
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('refuses to move backwards', () => {
    expect(() => new ManualClock().advance(-1)).to.throw(RangeError, 'ManualClock.advance(ms) needs a non-negative number of milliseconds, got -1');
  });
});

describe('ask', () => {
  it('times out with an error naming the request when nothing replies', async () => {
    const system = start();
    try {
      type Silent = { readonly type: 'Hello'; readonly replyTo: TypedRef<string> };
      const silent = typedRef<Silent>(spawn(system, (state: null) => state, undefined, { initialState: null }));
      try {
        await ask(silent, { type: 'Hello' }, 20);
        expect.fail('ask must time out');
      } catch (error) {
        expect(error).to.be.instanceOf(AskTimeoutError);
        expect((error as Error).message).to.equal("no reply to 'Hello' within 20 ms: the actor is stopped, stuck, or never replies to this message");
      }
    } finally {
      stop(system);
    }
  });
});
