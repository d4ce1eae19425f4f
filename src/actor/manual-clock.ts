import type { Cancellable, Clock } from './clock.js';

interface ScheduledTimer {
  readonly dueAt: number;
  readonly sequence: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. Timers fire synchronously inside {@link advance},
 * in due-time order (ties in scheduling order), each seeing `now()` equal to its due time.
 */
export class ManualClock implements Clock {
  private current: number;
  private sequence = 0;
  private timers: ScheduledTimer[] = [];

  constructor(startAt = 0) {
    this.current = startAt;
  }

  now(): number {
    return this.current;
  }

  schedule(delayMs: number, callback: () => void): Cancellable {
    const timer: ScheduledTimer = { dueAt: this.current + Math.max(0, delayMs), sequence: this.sequence++, callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => { timer.cancelled = true; } };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, including timers those timers schedule. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance(ms) needs a non-negative number of milliseconds, got ${ms}`);
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next.dueAt > target) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.current = next.dueAt;
      next.callback();
    }
    this.current = target;
  }

  /** How many timers are scheduled and not cancelled. */
  pendingTimers(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }

  private nextDue(): ScheduledTimer | undefined {
    this.timers = this.timers.filter((timer) => !timer.cancelled);
    let best: ScheduledTimer | undefined;
    for (const timer of this.timers) {
      if (best === undefined || timer.dueAt < best.dueAt || (timer.dueAt === best.dueAt && timer.sequence < best.sequence)) best = timer;
    }
    return best;
  }
}
