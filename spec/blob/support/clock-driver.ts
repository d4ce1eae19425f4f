import type { Cancellable, Clock } from '../../../src/actor/clock.js';
import { ManualClock } from '../../../src/testing/index.js';

/** A manual clock that records every delay it was asked to wait, and can drive a promise to completion by firing due timers. */
export class RecordingManualClock implements Clock {
  readonly delays: number[] = [];
  private readonly clock = new ManualClock();

  now(): number {
    return this.clock.now();
  }

  schedule(delayMs: number, callback: () => void): Cancellable {
    this.delays.push(delayMs);
    return this.clock.schedule(delayMs, callback);
  }

  /**
   * Settles `promise`, moving time forward whenever the code under test waits on the clock (no real time passes for
   * backoff; real I/O runs as usual). Fails when the promise neither settles nor waits within the turn budget.
   */
  async drive<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    const tracked = promise.finally(() => {
      settled = true;
    });
    tracked.catch(() => undefined);
    for (let turn = 0; turn < 1_000_000 && !settled; turn += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.clock.pendingTimers() > 0) this.clock.advance(this.delays[this.delays.length - 1] ?? 0);
    }
    return tracked;
  }
}
