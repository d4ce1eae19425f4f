import type { CheckpointId } from '../core/ids.js';
import { BarrierProgress } from './barrier-progress.js';
import type { BarrierHandlerTarget, CheckpointBarrierHandler } from './checkpoint-barrier-handler.js';
import type { ChannelMessage } from './dataflow-message.js';

/**
 * At-least-once barrier handling (Flink's CheckpointBarrierTracker): records are never held back; barriers are only
 * counted, and the target snapshots when the last barrier n arrives. The snapshot may include records that follow
 * barrier n on the channels whose barrier came early, which a restore replays a second time.
 */
export class TrackingBarrierHandler implements CheckpointBarrierHandler {
  private readonly progress: BarrierProgress;

  constructor(channels: number, private readonly target: BarrierHandlerTarget) {
    this.progress = new BarrierProgress(channels);
  }

  get pendingCheckpoint(): CheckpointId | null {
    return this.progress.pending;
  }

  get heldMessages(): number {
    return 0;
  }

  receive(message: ChannelMessage): void {
    if (message.type === 'Records') {
      this.target.processRecords(message);
      return;
    }
    const { checkpointId, channel } = message;
    if (this.progress.isOutdated(checkpointId)) return;
    if (this.progress.supersedesPending(checkpointId)) this.progress.finish();
    if (this.progress.arrive(checkpointId, channel)) {
      this.progress.finish();
      this.target.snapshot(checkpointId);
    }
  }

  abort(checkpointId: CheckpointId): void {
    this.progress.abort(checkpointId);
  }

  reset(): void {
    this.progress.reset();
  }
}
