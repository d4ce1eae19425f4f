interface DeferredDiscard {
  waitFor: Set<number>;
  readonly discard: () => void;
  /** Whether it already waits a second time, on the checkpoints in flight when its first wait ended. */
  waitingTwice: boolean;
}

/**
 * Holds back the deletion of files that a checkpoint still in flight may carry (FLINK-24611). An incremental backend
 * re-sends its unconfirmed uploads until it hears their checkpoint completed or was aborted, so the files of a
 * checkpoint that ended without completing may also be carried by checkpoints still in flight. They are deleted after
 * two waits: first for the checkpoints in flight when they were given up, then for those in flight when that first wait
 * ends. The second group may have been triggered before the checkpoint that uploaded a file was aborted. Every
 * checkpoint triggered later reaches the tasks after that abort notification and cannot carry the file. A checkpoint
 * that is being finalized counts as in flight.
 */
export class DiscardDeferral {
  private deferred: DeferredDiscard[] = [];

  constructor(private readonly inFlight: () => Set<number>) {}

  /**
   * Runs `discard` (which decides, when it runs, what may go) once no checkpoint in flight can carry the files. The files
   * of a checkpoint that ended are given up by that checkpoint, which is not waited for; the files of an unclaimed
   * acknowledgement (`waitForOwn`) also wait for the checkpoint they name, which may still be in flight.
   */
  giveUp(checkpointId: number, discard: () => void, waitForOwn = false): void {
    const waitFor = this.inFlight();
    if (!waitForOwn) waitFor.delete(checkpointId);
    if (waitFor.size === 0) discard();
    else this.deferred.push({ waitFor, discard, waitingTwice: false });
  }

  /** A checkpoint completed or failed: discards that waited for it may run now, or start their second wait. */
  settled(checkpointId: number): void {
    if (this.deferred.length === 0) return;
    const stillWaiting: DeferredDiscard[] = [];
    const due: DeferredDiscard[] = [];
    for (const entry of this.deferred) {
      entry.waitFor.delete(checkpointId);
      if (entry.waitFor.size === 0 && !entry.waitingTwice) {
        entry.waitingTwice = true;
        entry.waitFor = this.inFlight();
      }
      if (entry.waitFor.size === 0) due.push(entry);
      else stillWaiting.push(entry);
    }
    this.deferred = stillWaiting;
    for (const entry of due) entry.discard();
  }
}
