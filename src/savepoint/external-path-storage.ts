import { readFile, rm } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { PersistedCheckpointHistory } from '../checkpoint/checkpoint-history.js';
import type { CheckpointIDCounter } from '../checkpoint/checkpoint-id-counter.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { CheckpointId, JobId } from '../core/ids.js';
import type { FileStateHandle } from '../state/state-handles.js';
import type { CheckpointStorage, StoredFile } from '../storage/checkpoint-storage.js';
import { checksumOf } from '../storage/checksum.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';
import { StateFileNotFoundError } from '../storage/state-file-not-found-error.js';

/** The optional listings the audit uses when a storage offers them (the filesystem storage does). */
interface Leftovers {
  listTemporaryFiles?(jobId: JobId): Promise<StoredFile[]>;
  listEmptyCheckpointDirectories?(jobId: JobId): Promise<string[]>;
  removeEmptyCheckpointDirectory?(path: string): Promise<void>;
}

/**
 * A job's checkpoint storage that also reaches state restored from outside it. A job started from a savepoint directory
 * or from a retained checkpoint of another storage base references those files by absolute path; this storage reads
 * them (verified against size and checksum, like every read) and, when the job claimed them, deletes them. Every other
 * path, and every write, goes to the wrapped storage. Task acknowledgements can never name an absolute path (they are
 * checked to lie in the job's own directories), so only restore points bring such paths in.
 */
export class ExternalPathStorage implements CheckpointStorage {
  readonly description: string;
  listTemporaryFiles?: (jobId: JobId) => Promise<StoredFile[]>;
  listEmptyCheckpointDirectories?: (jobId: JobId) => Promise<string[]>;
  removeEmptyCheckpointDirectory?: (path: string) => Promise<void>;

  constructor(readonly inner: CheckpointStorage) {
    this.description = inner.description;
    // The audit looks for these on the storage it is given: offer them exactly when the wrapped storage does.
    const leftovers = inner as CheckpointStorage & Leftovers;
    if (leftovers.listTemporaryFiles !== undefined) this.listTemporaryFiles = leftovers.listTemporaryFiles.bind(inner);
    if (leftovers.listEmptyCheckpointDirectories !== undefined) this.listEmptyCheckpointDirectories = leftovers.listEmptyCheckpointDirectories.bind(inner);
    if (leftovers.removeEmptyCheckpointDirectory !== undefined) this.removeEmptyCheckpointDirectory = leftovers.removeEmptyCheckpointDirectory.bind(inner);
  }

  writeSharedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    return this.inner.writeSharedFile(jobId, name, bytes);
  }

  writeExclusiveFile(jobId: JobId, checkpointId: CheckpointId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    return this.inner.writeExclusiveFile(jobId, checkpointId, name, bytes);
  }

  writeTaskOwnedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    return this.inner.writeTaskOwnedFile(jobId, name, bytes);
  }

  /** Reads an absolute path directly, verified; anything else through the wrapped storage. */
  async readFile(handle: FileStateHandle): Promise<Uint8Array> {
    if (!isAbsolute(handle.path)) return this.inner.readFile(handle);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(resolve(handle.path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StateFileNotFoundError(handle.path, 'its restore point\'s', 'state file');
      throw error;
    }
    if (bytes.byteLength !== handle.size) throw new CorruptStateError(handle.path, `expected ${handle.size} bytes, found ${bytes.byteLength} (truncated or overwritten)`);
    if (checksumOf(bytes) !== handle.checksum) throw new CorruptStateError(handle.path, 'checksum mismatch');
    return bytes;
  }

  /** Deletes an absolute path directly (a claimed restore point's file); anything else through the wrapped storage. */
  async deleteFile(path: string): Promise<void> {
    if (isAbsolute(path)) await rm(resolve(path), { force: true });
    else await this.inner.deleteFile(path);
  }

  writeMetadata(checkpoint: CompletedCheckpoint): Promise<string> {
    return this.inner.writeMetadata(checkpoint);
  }

  readMetadata(pointer: string): Promise<CompletedCheckpoint> {
    return this.inner.readMetadata(pointer);
  }

  listMetadata(jobId: JobId): Promise<string[]> {
    return this.inner.listMetadata(jobId);
  }

  discardCheckpointDirectory(jobId: JobId, checkpointId: CheckpointId): Promise<void> {
    return this.inner.discardCheckpointDirectory(jobId, checkpointId);
  }

  listFiles(jobId: JobId): Promise<StoredFile[]> {
    return this.inner.listFiles(jobId);
  }

  openIdCounter(jobId: JobId): Promise<CheckpointIDCounter> {
    return this.inner.openIdCounter(jobId);
  }

  writeHistory(history: PersistedCheckpointHistory): Promise<string> {
    return this.inner.writeHistory(history);
  }

  readHistory(jobId: JobId): Promise<PersistedCheckpointHistory | null> {
    return this.inner.readHistory(jobId);
  }
}
