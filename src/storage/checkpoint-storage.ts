import type { CheckpointId, JobId } from '../core/ids.js';
import type { CheckpointIDCounter } from '../checkpoint/checkpoint-id-counter.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { PersistedCheckpointHistory } from '../checkpoint/checkpoint-history.js';
import type { FileStateHandle } from '../state/state-handles.js';

/** One file found under a job's directory, for audits. `path` is relative to the storage base. */
export interface StoredFile {
  readonly path: string;
  readonly size: number;
}

/**
 * Where checkpoint bytes go. The layout is Flink's:
 * `<base>/<jobId>/chk-<id>/_metadata`, `<base>/<jobId>/chk-<id>/<private files>`,
 * `<base>/<jobId>/shared/<immutable shared files>`, `<base>/<jobId>/taskowned/<files owned by tasks>`.
 *
 * Every write is atomic and every read is verified; a missing, corrupted or truncated file is
 * refused with a {@link CorruptStateError} or an error that names the file.
 */
export interface CheckpointStorage {
  /** A short name for messages and stats, e.g. `filesystem:/var/checkpoints` or `memory`. */
  readonly description: string;
  /** Writes an immutable file under `<jobId>/shared/`; the name must be unique (a UUID is typical). */
  writeSharedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle>;
  /** Writes a file under `<jobId>/chk-<id>/` that belongs to that checkpoint alone. */
  writeExclusiveFile(jobId: JobId, checkpointId: CheckpointId, name: string, bytes: Uint8Array): Promise<FileStateHandle>;
  /** Writes a file under `<jobId>/taskowned/` that the task, not the coordinator, is responsible for. */
  writeTaskOwnedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle>;
  /** Reads a file and verifies its size and checksum. */
  readFile(handle: FileStateHandle): Promise<Uint8Array>;
  /** Deletes a file; deleting a file that does not exist succeeds. */
  deleteFile(path: string): Promise<void>;
  /** Writes `<jobId>/chk-<id>/_metadata` atomically and returns its pointer (a path relative to the base). */
  writeMetadata(checkpoint: CompletedCheckpoint): Promise<string>;
  /** Reads and verifies a metadata file written by {@link writeMetadata}. */
  readMetadata(pointer: string): Promise<CompletedCheckpoint>;
  /** Pointers of every `chk-<id>/_metadata` of the job, ascending by checkpoint id. */
  listMetadata(jobId: JobId): Promise<string[]>;
  /** Removes `<jobId>/chk-<id>/` with everything in it (metadata and private files). */
  discardCheckpointDirectory(jobId: JobId, checkpointId: CheckpointId): Promise<void>;
  /** Every file under the job's `shared/` and `chk-*` directories. */
  listFiles(jobId: JobId): Promise<StoredFile[]>;
  /**
   * Opens the job's checkpoint id counter as this storage keeps it: durable where the storage is (the filesystem
   * storage's survives restarts and never hands out an id twice), in memory otherwise. Wrappers of a storage delegate.
   * @throws CorruptStateError naming the counter's file when it is unreadable.
   */
  openIdCounter(jobId: JobId): Promise<CheckpointIDCounter>;
  /**
   * Replaces the job's checkpoint stats history, `<jobId>/checkpoint-history.json`, atomically (versioned and
   * checksummed), and resolves to its path. Wrappers of a storage delegate.
   */
  writeHistory(history: PersistedCheckpointHistory): Promise<string>;
  /**
   * The job's persisted stats history, or null when none was written.
   * @throws CorruptStateError naming the file when it fails verification (truncated, another version, checksum, shape).
   */
  readHistory(jobId: JobId): Promise<PersistedCheckpointHistory | null>;
}
