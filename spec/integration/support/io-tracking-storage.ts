import type { CheckpointId, JobId } from '../../../src/core/ids.js';
import type { PersistedCheckpointHistory } from '../../../src/checkpoint/checkpoint-history.js';
import type { CheckpointIDCounter } from '../../../src/checkpoint/checkpoint-id-counter.js';
import type { CompletedCheckpoint } from '../../../src/checkpoint/completed-checkpoint.js';
import type { FileStateHandle } from '../../../src/state/state-handles.js';
import type { CheckpointStorage, StoredFile } from '../../../src/storage/checkpoint-storage.js';
import type { FileSystemCheckpointStorage } from '../../../src/storage/filesystem-checkpoint-storage.js';

/** Counts storage operations in flight across every {@link IoTrackingStorage} that shares it. */
export class IoTracker {
  /** Operations started so far. */
  started = 0;
  /** Operations finished so far; part of a spec's "has anything moved" fingerprint. */
  finished = 0;
  running = 0;
  private waiters: Array<() => void> = [];

  /** Resolves once no operation is in flight (stalled deletions do not count until they are resumed). */
  quiet(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async track<T>(operation: () => Promise<T>): Promise<T> {
    this.started += 1;
    this.running += 1;
    try {
      return await operation();
    } finally {
      this.running -= 1;
      this.finished += 1;
      if (this.running === 0) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }
}

interface HeldWrite {
  readonly checkpointId: CheckpointId;
  readonly proceed: () => void;
  readonly fail: (error: Error) => void;
}

interface StalledDeletion {
  readonly run: () => Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The filesystem checkpoint storage as one coordinator incarnation (its discarder, its tasks) sees it: counts
 * operations in flight, so a spec can wait until every upload, metadata write and deletion has finished instead of
 * sleeping; can stall deletions, like a slow or backlogged file system; and can be severed, like a process that
 * died: from then on nothing it is asked to do happens, and stalled deletions never run.
 */
export class IoTrackingStorage implements CheckpointStorage {
  readonly description: string;
  private stalling = false;
  private severed = false;
  private readonly stalled: StalledDeletion[] = [];
  private holdingMetadata = false;
  private readonly heldMetadataWrites: HeldWrite[] = [];
  /** Every deletion asked of this storage, in the order asked: `file <path>` or `directory <jobId>/chk-<id>`. */
  readonly deletionLog: string[] = [];

  constructor(readonly inner: FileSystemCheckpointStorage, readonly tracker: IoTracker) {
    this.description = inner.description;
  }

  /** Deletions waiting for {@link resumeDeletions}. */
  get stalledDeletions(): number {
    return this.stalled.length;
  }

  get isStalling(): boolean {
    return this.stalling;
  }

  /** Holds every deletion from now on until {@link resumeDeletions}. */
  stallDeletions(): void {
    this.stalling = true;
  }

  /** Runs the stalled deletions, oldest first, and stops stalling. */
  resumeDeletions(): void {
    this.stalling = false;
    for (const deletion of this.stalled.splice(0)) this.tracker.track(deletion.run).then(deletion.resolve, deletion.reject);
  }

  /** Holds every metadata write from now on until it is let through or failed. */
  holdMetadataWrites(): void {
    this.holdingMetadata = true;
  }

  /** Ids of the checkpoints whose metadata writes are held. */
  get heldMetadataWriteIds(): number[] {
    return this.heldMetadataWrites.map((write) => write.checkpointId);
  }

  /** Fails the held metadata writes (as a full disk would) and stops holding. */
  failHeldMetadataWrites(error: Error): void {
    this.holdingMetadata = false;
    for (const write of this.heldMetadataWrites.splice(0)) write.fail(error);
  }

  /** Lets the held metadata writes go ahead and stops holding. */
  passHeldMetadataWrites(): void {
    this.holdingMetadata = false;
    for (const write of this.heldMetadataWrites.splice(0)) write.proceed();
  }

  /** Runs only the oldest stalled deletion and goes on stalling the rest; false when none was stalled. */
  resumeOldestDeletion(): boolean {
    const deletion = this.stalled.shift();
    if (deletion === undefined) return false;
    this.tracker.track(deletion.run).then(deletion.resolve, deletion.reject);
    return true;
  }

  /**
   * The incarnation died: nothing asked of this storage from now on happens, and stalled deletions never run (they
   * report success to whoever still waits, so only the files are left behind).
   */
  sever(): void {
    this.severed = true;
    for (const deletion of this.stalled.splice(0)) deletion.resolve();
  }

  writeSharedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    return this.run(() => this.inner.writeSharedFile(jobId, name, bytes));
  }

  writeExclusiveFile(jobId: JobId, checkpointId: CheckpointId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    return this.run(() => this.inner.writeExclusiveFile(jobId, checkpointId, name, bytes));
  }

  writeTaskOwnedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    return this.run(() => this.inner.writeTaskOwnedFile(jobId, name, bytes));
  }

  readFile(handle: FileStateHandle): Promise<Uint8Array> {
    return this.run(() => this.inner.readFile(handle));
  }

  deleteFile(path: string): Promise<void> {
    this.deletionLog.push(`file ${path}`);
    return this.delete(() => this.inner.deleteFile(path));
  }

  writeMetadata(checkpoint: CompletedCheckpoint): Promise<string> {
    if (!this.holdingMetadata) return this.run(() => this.inner.writeMetadata(checkpoint));
    return new Promise<void>((proceed, fail) => this.heldMetadataWrites.push({ checkpointId: checkpoint.checkpointId, proceed, fail }))
      .then(() => this.run(() => this.inner.writeMetadata(checkpoint)));
  }

  readMetadata(pointer: string): Promise<CompletedCheckpoint> {
    return this.run(() => this.inner.readMetadata(pointer));
  }

  listMetadata(jobId: JobId): Promise<string[]> {
    return this.run(() => this.inner.listMetadata(jobId));
  }

  discardCheckpointDirectory(jobId: JobId, checkpointId: CheckpointId): Promise<void> {
    this.deletionLog.push(`directory ${jobId}/chk-${checkpointId}`);
    return this.delete(() => this.inner.discardCheckpointDirectory(jobId, checkpointId));
  }

  listFiles(jobId: JobId): Promise<StoredFile[]> {
    return this.run(() => this.inner.listFiles(jobId));
  }

  listTemporaryFiles(jobId: JobId): Promise<StoredFile[]> {
    return this.run(() => this.inner.listTemporaryFiles(jobId));
  }

  listEmptyCheckpointDirectories(jobId: JobId): Promise<string[]> {
    return this.run(() => this.inner.listEmptyCheckpointDirectories(jobId));
  }

  removeEmptyCheckpointDirectory(path: string): Promise<void> {
    return this.delete(() => this.inner.removeEmptyCheckpointDirectory(path));
  }

  /** The inner storage's durable counter: its file writes are not tracked (they are not state). */
  openIdCounter(jobId: JobId): Promise<CheckpointIDCounter> {
    return this.inner.openIdCounter(jobId);
  }

  /** The inner storage's history: its writes are not tracked (they are not state). */
  writeHistory(history: PersistedCheckpointHistory): Promise<string> {
    return this.inner.writeHistory(history);
  }

  readHistory(jobId: JobId): Promise<PersistedCheckpointHistory | null> {
    return this.inner.readHistory(jobId);
  }

  readIdCounter(jobId: JobId): Promise<number | null> {
    return this.run(() => this.inner.readIdCounter(jobId));
  }

  private run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.severed) return new Promise<T>(() => undefined);
    return this.tracker.track(operation);
  }

  private delete(operation: () => Promise<void>): Promise<void> {
    // The dead process's discarder may still be asked; nothing is deleted (its files are left to recovery's sweep).
    if (this.severed) return Promise.resolve();
    if (!this.stalling) return this.tracker.track(operation);
    return new Promise<void>((resolve, reject) => this.stalled.push({ run: operation, resolve, reject }));
  }
}
