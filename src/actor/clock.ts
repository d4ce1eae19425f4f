/** A timer that can be cancelled; cancelling twice, or after it fired, does nothing. */
export interface Cancellable {
  cancel(): void;
}

/**
 * Time as the engine sees it. Production code uses {@link systemClock}; specs inject a
 * {@link ManualClock} so that timeouts and periodic triggers happen exactly when the spec says.
 * Only timers go through the clock: nact's own `setImmediate` scheduling stays real.
 */
export interface Clock {
  /** Milliseconds since the epoch (or since the start of a manual clock). */
  now(): number;
  /** Runs `callback` once, after `delayMs`. */
  schedule(delayMs: number, callback: () => void): Cancellable;
}

/**
 * The real clock: `Date.now` and `setTimeout`. A scheduled timer keeps the process alive until it fires or is
 * cancelled, as work the engine waits for must: a running checkpoint scheduler, a deletion to retry. Shutting a
 * coordinator down (or stopping its actor system) cancels its timers.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(delayMs, callback) {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(handle) };
  },
};
