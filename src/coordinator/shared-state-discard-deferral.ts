import type { TaskStateSnapshot } from '../state/state-handles.js';

interface DeferredDiscard {
  waitFor: Set<number>;
  readonly states: readonly TaskStateSnapshot[];
  /** Whether it already waits a second time, on the checkpoints in flight when its first wait ended. */
  waitingTwice: boolean;
}

/**
 * Holds back the deletion of shared files of task states that belong to no completed checkpoint (FLINK-24611).
 * An incremental backend re-sends its unconfirmed uploads until it hears their checkpoint completed or was aborted,
 * so such files may also be carried by checkpoints still in flight. They are deleted after two waits: first for the
 * checkpoints in flight when the states were given up, then for those in flight when that first wait ends. The
 * second group may have been triggered before the checkpoint that uploaded a file was aborted. Every checkpoint
 * triggered later reaches the tasks after that abort notification and cannot carry the file. Files a completed
 * checkpoint registered are kept by the registry, whatever this decides.
 */
export class SharedStateDiscardDeferral {
  private deferred: DeferredDiscard[] = [];

  /** `discard` deletes the shared files of the states that no registered checkpoint references. */
  constructor(
    private readonly inFlight: () => Set<number>,
    private readonly discard: (states: readonly TaskStateSnapshot[]) => void,
  ) {}

  /** Gives up the shared state of `states`, which belonged to checkpoint `checkpointId`. */
  giveUp(checkpointId: number, states: readonly TaskStateSnapshot[]): void {
    const waitFor = this.inFlight();
    waitFor.delete(checkpointId);
    if (waitFor.size === 0) this.discard(states);
    else this.deferred.push({ waitFor, states, waitingTwice: false });
  }

  /** A checkpoint completed or failed: discards that waited for it may run now, or start their second wait. */
  settled(checkpointId: number): void {
    if (this.deferred.length === 0) return;
    const stillWaiting: DeferredDiscard[] = [];
    for (const entry of this.deferred) {
      entry.waitFor.delete(checkpointId);
      if (entry.waitFor.size === 0 && !entry.waitingTwice) {
        entry.waitingTwice = true;
        entry.waitFor = this.inFlight();
      }
      if (entry.waitFor.size === 0) this.discard(entry.states);
      else stillWaiting.push(entry);
    }
    this.deferred = stillWaiting;
  }
}
