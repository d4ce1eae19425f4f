import type { CheckpointId } from '../core/ids.js';

/**
 * The barrier bookkeeping both barrier handlers share: which channels delivered the barrier of the checkpoint being
 * collected, and which checkpoints are over (snapshotted or aborted) so their late barriers are ignored. O(1) per
 * barrier.
 */
export class BarrierProgress {
  private current: CheckpointId | null = null;
  private readonly arrived: boolean[];
  private arrivedCount = 0;
  /** Checkpoints up to and including this id are over. */
  private floor = 0;
  /** Aborted checkpoints above the floor. */
  private readonly aborted = new Set<number>();

  constructor(private readonly channels: number) {
    if (!Number.isSafeInteger(channels) || channels < 1) throw new RangeError(`a task needs at least one input channel to handle barriers, got ${channels}`);
    this.arrived = new Array<boolean>(channels).fill(false);
  }

  get pending(): CheckpointId | null {
    return this.current;
  }

  /** True when a barrier for this checkpoint means nothing any more: it is over, or older than the one being collected. */
  isOutdated(checkpointId: CheckpointId): boolean {
    return checkpointId <= this.floor || this.aborted.has(checkpointId) || (this.current !== null && checkpointId < this.current);
  }

  /** True when `checkpointId` is newer than the checkpoint being collected. */
  supersedesPending(checkpointId: CheckpointId): boolean {
    return this.current !== null && checkpointId > this.current;
  }

  hasArrived(channel: number): boolean {
    return this.current !== null && this.arrived[channel] === true;
  }

  /** Records barrier `checkpointId` on `channel` (starting its collection if none is in progress); true when it has now arrived on every channel. */
  arrive(checkpointId: CheckpointId, channel: number): boolean {
    if (channel < 0 || channel >= this.channels || !Number.isInteger(channel)) {
      throw new RangeError(`barrier ${checkpointId} arrived on channel ${channel}, but the task has channels 0..${this.channels - 1}`);
    }
    if (this.current === null) this.current = checkpointId;
    if (!this.arrived[channel]) {
      this.arrived[channel] = true;
      this.arrivedCount += 1;
    }
    return this.arrivedCount === this.channels;
  }

  /** Ends the collection in progress (completed or abandoned): its checkpoint and every older one are over. */
  finish(): void {
    if (this.current !== null) this.raiseFloor(this.current);
    this.clear();
  }

  /** Marks `checkpointId` as aborted. Returns true when it was the checkpoint being collected (whose collection is then over). */
  abort(checkpointId: CheckpointId): boolean {
    if (checkpointId <= this.floor) return false;
    if (this.current === checkpointId) {
      this.finish();
      return true;
    }
    this.aborted.add(checkpointId);
    return false;
  }

  reset(): void {
    this.clear();
  }

  private clear(): void {
    this.current = null;
    this.arrived.fill(false);
    this.arrivedCount = 0;
  }

  private raiseFloor(checkpointId: number): void {
    this.floor = Math.max(this.floor, checkpointId);
    for (const id of this.aborted) if (id <= this.floor) this.aborted.delete(id);
  }
}
