/** What {@link CommittedOutput.commit} did. */
export const CommitResult = {
  COMMITTED: 'committed',
  /** The transaction was committed before: nothing changed. */
  ALREADY_COMMITTED: 'already-committed',
} as const;
export type CommitResult = (typeof CommitResult)[keyof typeof CommitResult];

interface StagedTransaction<T> {
  readonly sinkTaskId: string;
  readonly checkpointId: number;
  readonly records: readonly T[];
}

/**
 * The external system a transactional sink writes to, kept in memory so specs and demos can read it: records are
 * staged per transaction (invisible), and become visible, in commit order, when their transaction commits.
 * Commits are idempotent by transaction id: committing a transaction twice (a restored sink re-committing what was
 * committed before the failure) changes nothing and is counted in `repeatedCommits`.
 */
export class CommittedOutput<T> {
  private readonly staged = new Map<string, StagedTransaction<T>>();
  private readonly committedIds = new Set<string>();
  private readonly committedBatches: (readonly T[])[] = [];
  private readonly committedThrough = new Map<string, number>();
  private committedCount = 0;
  private repeated = 0;
  private aborted = 0;

  /** Stages `records` as transaction `transactionId` of sink task `sinkTaskId`, pre-committed for checkpoint `checkpointId`. @throws Error when the id was staged or committed before. */
  preCommit(transactionId: string, sinkTaskId: string, checkpointId: number, records: readonly T[]): void {
    if (this.staged.has(transactionId) || this.committedIds.has(transactionId)) {
      throw new Error(`transaction '${transactionId}' was pre-committed before: transaction ids must be unique (checkpoint ids are never reused)`);
    }
    this.staged.set(transactionId, { sinkTaskId, checkpointId, records });
  }

  /** Makes a staged transaction visible. @throws Error when the transaction was neither staged nor committed: its records would be lost. */
  commit(transactionId: string): CommitResult {
    if (this.committedIds.has(transactionId)) {
      this.repeated += 1;
      return CommitResult.ALREADY_COMMITTED;
    }
    const transaction = this.staged.get(transactionId);
    if (transaction === undefined) throw new Error(`cannot commit transaction '${transactionId}': it was never pre-committed, or was aborted`);
    this.staged.delete(transactionId);
    this.committedIds.add(transactionId);
    this.committedBatches.push(transaction.records);
    this.committedCount += transaction.records.length;
    const through = this.committedThrough.get(transaction.sinkTaskId) ?? 0;
    if (transaction.checkpointId > through) this.committedThrough.set(transaction.sinkTaskId, transaction.checkpointId);
    return CommitResult.COMMITTED;
  }

  /** Drops every staged (uncommitted) transaction of a sink task; returns how many. A restored sink calls it for transactions no checkpoint will complete. */
  abortStaged(sinkTaskId: string): number {
    let count = 0;
    for (const [id, transaction] of this.staged) {
      if (transaction.sinkTaskId !== sinkTaskId) continue;
      this.staged.delete(id);
      count += 1;
    }
    this.aborted += count;
    return count;
  }

  /** Every committed record, in commit order. */
  records(): T[] {
    return this.committedBatches.flat() as T[];
  }

  /** How many records are committed. */
  get size(): number {
    return this.committedCount;
  }

  /** The newest checkpoint whose transaction of sink task `sinkTaskId` committed, or 0. */
  committedCheckpointOf(sinkTaskId: string): number {
    return this.committedThrough.get(sinkTaskId) ?? 0;
  }

  isCommitted(transactionId: string): boolean {
    return this.committedIds.has(transactionId);
  }

  /** Counters: transactions committed, commits of an already committed transaction (no-ops), staged transactions aborted, transactions staged now. */
  stats(): { readonly committedTransactions: number; readonly repeatedCommits: number; readonly abortedTransactions: number; readonly stagedTransactions: number } {
    return { committedTransactions: this.committedIds.size, repeatedCommits: this.repeated, abortedTransactions: this.aborted, stagedTransactions: this.staged.size };
  }
}
