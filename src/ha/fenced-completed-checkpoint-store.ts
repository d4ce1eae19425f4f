import { discardEach } from '../checkpoint/discard-each.js';
import { randomUUID } from 'node:crypto';
import { validateLogger } from '../core/logger.js';
import { CheckpointStoreShutDownError } from '../checkpoint/checkpoint-store-shut-down-error.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { CheckpointAddOutcomeUnknownError, keepEverything, type CompletedCheckpointDiscarder, type CompletedCheckpointStore, type DiscardCause } from '../checkpoint/completed-checkpoint-store.js';
import {
  warnAboutDiscardFailure,
  type CompletedCheckpointDiscardFailure,
  type CompletedCheckpointStoreOptions,
} from '../checkpoint/standalone-completed-checkpoint-store.js';
import type { CheckpointId, JobId } from '../core/ids.js';
import { isGloballyTerminal, type JobStatus } from '../core/job-status.js';
import type { CheckpointEntry, CheckpointRecordTable } from './high-availability-backend.js';
import { HighAvailabilityStorageError, WriteOutcome } from './high-availability-storage-error.js';
import type { LeaderSession } from './leader-session.js';
import { RetainedCheckpointPlan } from './retained-checkpoint-plan.js';
import { StaleLeaderError } from './stale-leader-error.js';

/** What {@link FencedCompletedCheckpointStore.recover} needs besides the table. */
export interface FencedCompletedCheckpointStoreOptions extends CompletedCheckpointStoreOptions {
  /** The leadership every write of the store carries. */
  readonly session: LeaderSession;
  /**
   * Called once with every checkpoint recovered (the retained ones and the subsumed ones still held by another
   * instance), ascending, before anything is discarded: re-register their shared state here, as with
   * DefaultCompletedCheckpointStore.recover. Throwing here fails the recovery before anything changed.
   */
  readonly onRecovered?: (checkpoints: readonly CompletedCheckpoint[]) => void;
}

/**
 * A job's completed checkpoint store kept in high-availability storage (the issue's `PostgresCompletedCheckpointStore`
 * in postgres mode; the filesystem mode's fenced record of completed checkpoints). It follows the rules of
 * StandaloneCompletedCheckpointStore (id order, savepoints beside the chain, subsumption beyond `maxRetained`,
 * retention on shutdown, discard failures reported and never failing an add), and in addition:
 *
 * - Every change is one atomic, fenced write: add-and-subsume happen together, and a stale leader's write is rejected
 *   with StaleLeaderError (its new checkpoint's state is discarded, nothing else changes).
 * - Each store instance holds a lock on the checkpoints it retains (Flink's ZooKeeper lock nodes). A subsumed
 *   checkpoint that another live instance still holds is kept (row and state: "pinned") until every holder released
 *   it or died; the store retries at each add and at {@link discardReleasedCheckpoints}. Only the leader discards.
 * - A write whose outcome is unknown (the connection broke while committing) is reconciled with storage at the next call.
 */
export class FencedCompletedCheckpointStore implements CompletedCheckpointStore {
  readonly maxRetained: number;
  /** This instance's lock name. */
  readonly storeInstance: string = randomUUID();
  readonly session: LeaderSession;
  private readonly discarder: CompletedCheckpointDiscarder;
  private readonly onDiscardFailure: (failure: CompletedCheckpointDiscardFailure) => void;
  private view: RetainedCheckpointPlan;
  /** Subsumed checkpoints another instance still holds, ascending; discarded once released. */
  private pinned: CompletedCheckpoint[] = [];
  /** An added checkpoint whose commit outcome is unknown; reconciled before the next change. */
  private uncertain: CompletedCheckpoint | null = null;
  private shutDownWith: JobStatus | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly table: CheckpointRecordTable,
    readonly jobId: JobId,
    options: FencedCompletedCheckpointStoreOptions,
  ) {
    this.view = RetainedCheckpointPlan.of(options.maxRetained, []).plan;
    this.maxRetained = options.maxRetained;
    this.session = options.session;
    this.discarder = options.discarder ?? keepEverything;
    const logger = validateLogger(options.logger, 'FencedCompletedCheckpointStoreOptions.logger');
    this.onDiscardFailure = options.onDiscardFailure ?? ((failure) => warnAboutDiscardFailure(failure, logger));
  }

  /**
   * Reads the job's checkpoints (fenced), hands all of them to `onRecovered`, locks the newest `maxRetained`
   * checkpoints and every savepoint for this instance, subsumes older ones, and discards the subsumed checkpoints no
   * live instance holds. Use `CheckpointRecoveryFactory.createCompletedCheckpointStore`.
   * @throws RangeError naming `maxRetained` before touching storage; CorruptStateError naming an unreadable entry
   *   (nothing changed, nothing discarded); StaleLeaderError; HighAvailabilityStorageError.
   */
  static async recover(table: CheckpointRecordTable, jobId: JobId, options: FencedCompletedCheckpointStoreOptions): Promise<FencedCompletedCheckpointStore> {
    const store = new FencedCompletedCheckpointStore(table, jobId, options);
    const entries = await table.read(options.session, jobId);
    options.onRecovered?.(Object.freeze(entries.map((entry) => entry.checkpoint)));
    const { plan, subsumed } = RetainedCheckpointPlan.of(options.maxRetained, entries.filter((entry) => !entry.subsumed).map((entry) => entry.checkpoint));
    const freed = await table.apply(options.session, jobId, store.storeInstance, {
      lock: plan.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId),
      subsume: subsumed.map((checkpoint) => checkpoint.checkpointId),
    });
    store.view = plan;
    store.pinned = byId([...entries.filter((entry) => entry.subsumed).map((entry) => entry.checkpoint), ...subsumed]);
    await store.discardEach(store.takeFreed(freed), 'subsumed');
    return store;
  }

  /**
   * Adds a checkpoint and subsumes the oldest beyond `maxRetained` in one fenced write; resolves to the subsumed
   * checkpoints (no longer retained), after discarding those no other instance holds.
   * Rejects like the standalone store (CheckpointIdOrderError, CheckpointStoreShutDownError), with StaleLeaderError
   * when the session is no longer current, and with HighAvailabilityStorageError when storage failed; then the new
   * checkpoint's state is the caller's to discard and nothing else changed. When the outcome of the write is unknown
   * it rejects with CheckpointAddOutcomeUnknownError instead: the state stays the store's until its next call finds out.
   */
  addCheckpointAndSubsumeOldestOne(checkpoint: CompletedCheckpoint): Promise<readonly CompletedCheckpoint[]> {
    return this.serially(async () => {
      if (this.shutDownWith !== null) throw new CheckpointStoreShutDownError(checkpoint.checkpointId, this.shutDownWith);
      await this.reconcileUncertainAdd();
      const trial = this.view.copy();
      const subsumed = await trial.addCheckpointAndSubsumeOldestOne(checkpoint);
      let freed: CheckpointId[];
      try {
        freed = await this.table.apply(this.session, this.jobId, this.storeInstance, { insert: checkpoint, subsume: subsumed.map((old) => old.checkpointId) });
      } catch (error) {
        if (certainlyNotApplied(error)) throw error;
        this.uncertain = checkpoint;
        throw new CheckpointAddOutcomeUnknownError(checkpoint.checkpointId, error);
      }
      this.view = trial;
      this.pinned = byId([...this.pinned, ...subsumed]);
      await this.discardEach(this.takeFreed(freed), 'subsumed');
      return Object.freeze([...subsumed]);
    });
  }

  getLatestCheckpoint(): CompletedCheckpoint | null {
    return this.view.getLatestCheckpoint();
  }

  getAllCheckpoints(): readonly CompletedCheckpoint[] {
    return this.view.getAllCheckpoints();
  }

  getNumberOfRetainedCheckpoints(): number {
    return this.view.getNumberOfRetainedCheckpoints();
  }

  /** Subsumed checkpoints kept because another live store instance still holds them, ascending. */
  pinnedCheckpoints(): readonly CompletedCheckpoint[] {
    return Object.freeze([...this.pinned]);
  }

  /**
   * Discards the pinned checkpoints whose other holders released them or died (one fenced write); resolves to them.
   * Adds do this too.
   */
  discardReleasedCheckpoints(): Promise<readonly CompletedCheckpoint[]> {
    return this.serially(async () => {
      if (this.pinned.length === 0) return Object.freeze([]);
      const freed = this.takeFreed(await this.table.apply(this.session, this.jobId, this.storeInstance, {}));
      await this.discardEach(freed, 'subsumed');
      return Object.freeze(freed);
    });
  }

  /**
   * Lets go of everything. SUSPENDED (or RUNNING) keeps every checkpoint for the next leader and only drops this
   * instance's locks. A globally terminal status, in one fenced write, discards the checkpoints whose retention does
   * not keep them for that status (as the standalone store; savepoints are never discarded) and forgets the kept ones,
   * whose state (shared files included) stays where it is. Checkpoints another live instance holds are not
   * discarded. A second shutdown does nothing.
   * @throws StaleLeaderError for a terminal shutdown by a stale leader (nothing is discarded; its locks are dropped).
   */
  shutdown(jobStatus: JobStatus): Promise<void> {
    return this.serially(async () => {
      if (this.shutDownWith !== null) return;
      this.shutDownWith = jobStatus;
      const terminal = isGloballyTerminal(jobStatus);
      let reconcileFailure: unknown = null;
      if (terminal) await this.reconcileUncertainAdd().catch((error: unknown) => { reconcileFailure = error; });
      const before = this.view.getAllCheckpoints();
      const trial = this.view.copy();
      await trial.shutdown(jobStatus);
      this.view = trial;
      if (!terminal) {
        await this.table.release(this.jobId, this.storeInstance);
        return;
      }
      const discarded = trial.released.map((release) => release.checkpoint);
      const kept = before.filter((checkpoint) => !discarded.includes(checkpoint));
      let freed: CheckpointId[];
      try {
        if (reconcileFailure !== null) throw reconcileFailure;
        freed = await this.table.apply(this.session, this.jobId, this.storeInstance, {
          subsume: discarded.map((checkpoint) => checkpoint.checkpointId),
          remove: kept.map((checkpoint) => checkpoint.checkpointId),
        });
      } catch (error) {
        await this.table.release(this.jobId, this.storeInstance).catch(() => undefined);
        throw error;
      }
      const previouslyPinned = new Set(this.pinned);
      this.pinned = byId([...this.pinned, ...discarded]);
      const released = this.takeFreed(freed);
      await this.discardEach(released.filter((checkpoint) => !previouslyPinned.has(checkpoint)), 'shutdown');
      await this.discardEach(released.filter((checkpoint) => previouslyPinned.has(checkpoint)), 'subsumed');
    });
  }

  /**
   * After an add whose commit outcome was unknown, reads the job's checkpoints (fenced: only the leader may settle it)
   * and adopts what storage holds. Checkpoints that vanished were released by that write and are discarded now; an
   * add that did not happen has its checkpoint's state discarded. A stale leader discards nothing.
   */
  private async reconcileUncertainAdd(): Promise<void> {
    const uncertain = this.uncertain;
    if (uncertain === null) return;
    let entries: CheckpointEntry[];
    try {
      entries = await this.table.read(this.session, this.jobId);
    } catch (error) {
      if (error instanceof StaleLeaderError) this.uncertain = null;
      throw error;
    }
    this.uncertain = null;
    const stored = new Set(entries.map((entry) => entry.checkpoint.checkpointId));
    const known = [...this.view.getAllCheckpoints(), ...this.pinned];
    if (!stored.has(uncertain.checkpointId)) {
      await this.discardEach([uncertain], 'not-added');
      return;
    }
    this.view = RetainedCheckpointPlan.of(this.maxRetained, entries.filter((entry) => !entry.subsumed).map((entry) => entry.checkpoint)).plan;
    this.pinned = byId(entries.filter((entry) => entry.subsumed).map((entry) => entry.checkpoint));
    await this.discardEach(known.filter((checkpoint) => !stored.has(checkpoint.checkpointId)), 'subsumed');
  }

  /** Removes the freed ids from the pinned list and returns their checkpoints, ascending. */
  private takeFreed(freed: readonly CheckpointId[]): CompletedCheckpoint[] {
    if (freed.length === 0) return [];
    const ids = new Set<number>(freed);
    const released = this.pinned.filter((checkpoint) => ids.has(checkpoint.checkpointId));
    this.pinned = this.pinned.filter((checkpoint) => !ids.has(checkpoint.checkpointId));
    return released;
  }

  private discardEach(checkpoints: readonly CompletedCheckpoint[], cause: DiscardCause): Promise<void> {
    return discardEach(this.discarder, checkpoints, cause, this.onDiscardFailure);
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(work);
    this.chain = result.catch(() => undefined);
    return result;
  }
}

function certainlyNotApplied(error: unknown): boolean {
  return error instanceof StaleLeaderError || (error instanceof HighAvailabilityStorageError && error.outcome === WriteOutcome.NOT_APPLIED);
}

function byId(checkpoints: readonly CompletedCheckpoint[]): CompletedCheckpoint[] {
  return [...new Map(checkpoints.map((checkpoint) => [checkpoint.checkpointId, checkpoint])).values()].sort((a, b) => a.checkpointId - b.checkpointId);
}
