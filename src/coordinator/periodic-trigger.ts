import type { Cancellable, Clock } from '../actor/clock.js';

/**
 * The coordinator's timers for periodic checkpoints: the tick every `interval` (after `initialDelay`), and the wake-up
 * when a minimum pause ends. Each start gets a new generation, so a tick of a stopped timer that was already on its way
 * is recognised and dropped.
 */
export class PeriodicTrigger {
  private running = false;
  private generation = 0;
  private tickTimer: Cancellable | null = null;
  private pauseTimer: { readonly at: number; readonly timer: Cancellable } | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly interval: number,
    private readonly initialDelay: number,
    private readonly sendTick: (generation: number) => void,
    private readonly sendPauseElapsed: () => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts ticking after the initial delay; starting a running trigger does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(this.initialDelay);
  }

  stop(): void {
    this.running = false;
    this.generation += 1;
    this.tickTimer?.cancel();
    this.tickTimer = null;
  }

  /** Whether a tick is the current one; a current tick schedules the next. */
  acceptTick(generation: number): boolean {
    if (!this.running || generation !== this.generation) return false;
    this.schedule(this.interval);
    return true;
  }

  /** Wakes the coordinator at `at` (when a minimum pause ends), unless an earlier wake-up is already set. */
  wakeUpAt(at: number): void {
    if (this.pauseTimer !== null && this.pauseTimer.at <= at) return;
    this.pauseTimer?.timer.cancel();
    this.pauseTimer = { at, timer: this.clock.schedule(at - this.clock.now(), this.sendPauseElapsed) };
  }

  /** The pause wake-up fired. */
  pauseElapsed(): void {
    this.pauseTimer = null;
  }

  /** Stops ticking and cancels the pause wake-up: no timer of this trigger keeps the process alive. */
  cancelAll(): void {
    this.stop();
    this.pauseTimer?.timer.cancel();
    this.pauseTimer = null;
  }

  private schedule(delay: number): void {
    const generation = ++this.generation;
    this.tickTimer?.cancel();
    this.tickTimer = this.clock.schedule(delay, () => this.sendTick(generation));
  }
}
