import { rm } from 'node:fs/promises';
import { errorMessage } from '../core/error-message.js';
import type { CheckpointId } from '../core/ids.js';
import type { JobStatus } from '../core/job-status.js';
import type { CheckpointIDCounter } from '../checkpoint/checkpoint-id-counter.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { CheckpointAddOutcomeUnknownError, type CompletedCheckpointStore } from '../checkpoint/completed-checkpoint-store.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import { writeSelfContainedSavepoint } from '../savepoint/self-contained-savepoint.js';
import type { CoordinatorInternalMessage } from './coordinator-message.js';

/**
 * The coordinator's only asynchronous part: checkpoint ids from the counter, metadata writes and store adds, and the
 * shutdown of store and counter. Nothing here is awaited inside a message handler: each piece of work runs off the
 * mailbox, in order, and reports back to the coordinator as a message to itself.
 */
export class CheckpointFinalizer {
  private counterChain: Promise<unknown> = Promise.resolve();
  private finalizeChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly toSelf: (message: CoordinatorInternalMessage) => void,
    private readonly idCounter: CheckpointIDCounter,
    private readonly storage: CheckpointStorage | null,
    private readonly store: CompletedCheckpointStore,
  ) {}

  /** Asks the counter for the next id; the answer comes back as `CheckpointIdAssigned` or `CheckpointIdFailed` with `token`. */
  assignId(token: number): void {
    const { toSelf, idCounter } = this;
    this.counterChain = this.counterChain
      .then(() => idCounter.getAndIncrement())
      .then(
        (checkpointId) => toSelf({ type: 'CheckpointIdAssigned', token, checkpointId }),
        (error: unknown) => toSelf({ type: 'CheckpointIdFailed', token, error: errorMessage(error) }),
      );
  }

  /** Moves the counter past a restored checkpoint's id, so new checkpoints get higher ids. Rejects with the counter's error. */
  advanceCounterPast(checkpointId: CheckpointId): Promise<void> {
    const counter = this.idCounter;
    const advanced = this.counterChain
      .then(() => counter.get())
      .then((next) => (next <= checkpointId ? counter.setCount(checkpointId + 1) : undefined));
    this.counterChain = advanced.catch(() => undefined);
    return advanced;
  }

  /**
   * Writes a savepoint's self-contained copy into `savepointTarget` (when given), the checkpoint's metadata (when there
   * is storage), and adds it to the store, after every finalization started before it; reports `CheckpointFinalized`,
   * or `CheckpointFinalizeFailed` saying which step failed (a copy already written is then removed again).
   */
  finalize(checkpoint: CompletedCheckpoint, savepointTarget: string | null = null): void {
    const { toSelf } = this;
    this.finalizeChain = this.finalizeChain
      .then(() => this.persist(checkpoint, savepointTarget))
      .then(
        (savepointPath) => toSelf({ type: 'CheckpointFinalized', checkpoint, savepointPath }),
        (error: unknown) => toSelf({
          type: 'CheckpointFinalizeFailed', checkpoint, error: errorMessage(error), storeKeepsState: error instanceof StoreKeepsStateError,
        }),
      );
  }

  /** Runs `work` once every finalization started so far has ended. */
  afterFinalizations(work: () => void): void {
    this.finalizeChain = this.finalizeChain.then(work);
  }

  /** Shuts the store and then the counter down with `jobStatus`, after the finalizations in flight. Rejects with what failed. */
  shutdown(jobStatus: JobStatus): Promise<void> {
    const { store, idCounter } = this;
    const done = this.finalizeChain.then(() => store.shutdown(jobStatus)).then(() => idCounter.shutdown(jobStatus));
    this.finalizeChain = done.catch(() => undefined);
    return done;
  }

  private async persist(checkpoint: CompletedCheckpoint, savepointTarget: string | null): Promise<string | null> {
    const savepointPath = savepointTarget === null ? null : await this.copySavepoint(checkpoint, savepointTarget);
    try {
      await this.persistInJob(checkpoint);
    } catch (error) {
      // The savepoint did not complete: its copy must not look like one that did.
      if (savepointPath !== null) await rm(savepointPath, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
    return savepointPath;
  }

  private async copySavepoint(savepoint: CompletedCheckpoint, targetDirectory: string): Promise<string> {
    const { storage } = this;
    try {
      return await writeSelfContainedSavepoint({
        savepoint,
        targetDirectory,
        readFile: (handle) => {
          if (storage === null) throw new Error(`state file ${handle.path} cannot be read: the coordinator has no checkpoint storage`);
          return storage.readFile(handle);
        },
      });
    } catch (error) {
      throw new Error(`writing the self-contained savepoint into ${targetDirectory} failed: ${errorMessage(error)}`);
    }
  }

  private async persistInJob(checkpoint: CompletedCheckpoint): Promise<void> {
    const { storage, store } = this;
    if (storage !== null) {
      let pointer: string;
      try {
        pointer = await storage.writeMetadata(checkpoint);
      } catch (error) {
        throw new Error(`writing its metadata to ${storage.description} failed: ${errorMessage(error)}`);
      }
      if (pointer !== checkpoint.externalPointer) {
        throw new Error(`${storage.description} wrote its metadata to ${pointer}, not to ${String(checkpoint.externalPointer)} where the layout puts it`);
      }
    }
    try {
      await store.addCheckpointAndSubsumeOldestOne(checkpoint);
    } catch (error) {
      const message = `adding it to the completed checkpoint store failed: ${errorMessage(error)}`;
      throw error instanceof CheckpointAddOutcomeUnknownError ? new StoreKeepsStateError(message) : new Error(message);
    }
  }
}

/** A store add whose outcome is unknown: the checkpoint's state stays the store's, which settles it later. */
class StoreKeepsStateError extends Error {}
