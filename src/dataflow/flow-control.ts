import { InvalidOptionError } from '../core/invalid-option-error.js';
/**
 * Credit-based backpressure for sources running flat out: counts the channel messages of the current restore
 * round that were sent and not yet handled, and parks sources while too many are in flight, waking them once half
 * have drained. Messages of older rounds are not counted (they are dropped on arrival), and a new round starts from
 * zero, so messages lost with a dead attempt never leak credits for long.
 */
export class FlowControl {
  private round = 0;
  private inFlight = 0;
  private parked: (() => void)[] = [];

  constructor(private readonly maxInFlight: number) {
    if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) throw new InvalidOptionError('DataflowJobOptions.maxInFlightMessages', `must be an integer of at least 1, got ${maxInFlight}`);
  }

  /** Channel messages of the current round in flight. */
  get messagesInFlight(): number {
    return this.inFlight;
  }

  /**
   * A task restored into `round`: when it is newer than the current one, the round starts (every older message is
   * stale, and parked sources will be restarted by their RestoreState); the other tasks of the round change nothing.
   */
  enterRound(round: number): void {
    if (round <= this.round) return;
    this.round = round;
    this.inFlight = 0;
    this.parked = [];
  }

  sent(epoch: number): void {
    if (epoch === this.round) this.inFlight += 1;
  }

  handled(epoch: number): void {
    if (epoch !== this.round || this.inFlight === 0) return;
    this.inFlight -= 1;
    if (this.parked.length > 0 && this.inFlight <= this.maxInFlight >> 1) {
      const wake = this.parked;
      this.parked = [];
      for (const resume of wake) resume();
    }
  }

  /**
   * True when a source at `epoch` may emit now. Otherwise `resume` is remembered and called once enough messages
   * drained. A source of another round is never held back (its output is dropped anyway, and its restore is due).
   */
  mayEmit(epoch: number, resume: () => void): boolean {
    if (epoch !== this.round || this.inFlight < this.maxInFlight) return true;
    this.parked.push(resume);
    return false;
  }
}
