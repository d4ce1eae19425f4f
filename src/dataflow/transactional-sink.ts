import type { CheckpointId } from '../core/ids.js';
import type { CommittedOutput } from './committed-output.js';
import type { OperatorContext, OperatorFactory, StreamOperator } from './stream-operator.js';

/** A transaction pre-committed at a checkpoint and not yet known to be committed. */
export type PendingTransaction = {
  readonly transactionId: string;
  readonly checkpointId: number;
};

/** A transactional sink's checkpointed state: the transactions pre-committed and not yet committed when it snapshotted (its own included). */
export type TransactionalSinkState = {
  readonly pending: readonly PendingTransaction[];
};

/**
 * A two-phase-commit sink (Flink's TwoPhaseCommitSinkFunction). Records go into the open transaction; on the
 * snapshot of checkpoint n the open transaction is pre-committed (staged in the CommittedOutput as
 * `<taskId>@<n>`) and becomes part of the sink's state; when a checkpoint completes, every pending transaction up to
 * it is committed (the subsuming contract: a lost or late notification is covered by the next one). A restored
 * sink commits the transactions of its restored state (the checkpoint they belong to completed; committing one that
 * was committed before the failure is a no-op), aborts every other staged transaction of its own, and opens a new one.
 */
export class TransactionalSink<T> implements StreamOperator<T, never, TransactionalSinkState> {
  private open: T[] = [];
  private pending: PendingTransaction[] = [];

  constructor(private readonly output: CommittedOutput<T>, private readonly taskId: string) {}

  processRecord(record: T): void {
    this.open.push(record);
  }

  snapshotState(checkpointId: CheckpointId): TransactionalSinkState {
    const transactionId = `${this.taskId}@${checkpointId}`;
    this.output.preCommit(transactionId, this.taskId, checkpointId, this.open);
    this.open = [];
    this.pending.push({ transactionId, checkpointId });
    return { pending: this.pending.slice() };
  }

  notifyCheckpointComplete(checkpointId: CheckpointId): void {
    let committed = 0;
    for (const transaction of this.pending) {
      if (transaction.checkpointId > checkpointId) break;
      this.output.commit(transaction.transactionId);
      committed += 1;
    }
    if (committed > 0) this.pending = this.pending.slice(committed);
  }

  /** Keeps the aborted checkpoint's transaction pending: its records were processed and will not be replayed, so the next completed checkpoint commits them. */
  notifyCheckpointAborted(_checkpointId: CheckpointId): void {}

  restoreState(state: TransactionalSinkState | null): void {
    this.open = [];
    this.pending = [];
    for (const transaction of state?.pending ?? []) this.output.commit(transaction.transactionId);
    this.output.abortStaged(this.taskId);
  }
}

/** The factory of a transactional sink writing to `output`, for `JobGraphBuilder.sink`. */
export function transactionalSink<T>(output: CommittedOutput<T>): OperatorFactory<T, never, TransactionalSinkState> {
  return (context: OperatorContext) => new TransactionalSink<T>(output, context.taskId);
}
