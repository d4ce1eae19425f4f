import type { CheckpointId } from '../core/ids.js';
import { BarrierProgress } from './barrier-progress.js';
import type { BarrierHandlerTarget, CheckpointBarrierHandler } from './checkpoint-barrier-handler.js';
import type { ChannelMessage } from './dataflow-message.js';

/**
 * Exactly-once barrier alignment (Flink's CheckpointBarrierAligner). Once barrier n arrived on a channel, later
 * messages of that channel are held back; when barrier n arrived on every channel the target snapshots, and the
 * held messages are released in arrival order. A barrier of a newer checkpoint abandons the alignment in progress
 * (the coordinator subsumes or times out the older checkpoint), and so does an abort of the checkpoint being aligned.
 */
export class AligningBarrierHandler implements CheckpointBarrierHandler {
  private readonly progress: BarrierProgress;
  private held: ChannelMessage[] = [];

  constructor(channels: number, private readonly target: BarrierHandlerTarget) {
    this.progress = new BarrierProgress(channels);
  }

  get pendingCheckpoint(): CheckpointId | null {
    return this.progress.pending;
  }

  get heldMessages(): number {
    return this.held.length;
  }

  receive(message: ChannelMessage): void {
    if (this.progress.hasArrived(message.channel)) {
      this.held.push(message);
      return;
    }
    if (message.type === 'Records') {
      this.target.processRecords(message);
      return;
    }
    const { checkpointId, channel } = message;
    while (this.progress.supersedesPending(checkpointId)) {
      this.progress.finish();
      this.release();
    }
    if (this.progress.isOutdated(checkpointId)) return;
    if (this.progress.arrive(checkpointId, channel)) {
      this.progress.finish();
      this.target.snapshot(checkpointId);
      this.release();
    }
  }

  abort(checkpointId: CheckpointId): void {
    if (this.progress.abort(checkpointId)) this.release();
  }

  reset(): void {
    this.progress.reset();
    this.held = [];
  }

  /** Hands the held messages back to `receive` in arrival order; a barrier among them may start (and hold for) a new alignment. */
  private release(): void {
    const queue = this.held;
    this.held = [];
    for (const message of queue) this.receive(message);
  }
}
