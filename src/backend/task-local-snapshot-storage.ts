import type { CheckpointId } from '../core/ids.js';
import type { FileStateHandle } from '../state/state-handles.js';

/**
 * Where a keyed state backend writes the task-local copy of its snapshots: one directory per checkpoint on the task's
 * own disk, each holding every file that checkpoint's local copy needs, so that dropping a checkpoint's local copy
 * is dropping its directory. The handles it returns are relative to the task's local directory (`chk-<id>/<name>`),
 * never to the durable storage; a restore matches them to the durable handles before using them.
 */
export interface TaskLocalSnapshotStorage {
  /** A short name for messages, e.g. `task-local:/var/nact/local/job-1/sum-0`. */
  readonly description: string;
  /** Writes `bytes` atomically as `chk-<checkpointId>/<name>`, replacing a file of that name. */
  writeFile(checkpointId: CheckpointId, name: string, bytes: Uint8Array): Promise<FileStateHandle>;
  /**
   * Makes the file of `source` (the local copy of an earlier checkpoint) part of checkpoint `checkpointId`'s copy too,
   * under the same name: a hard link where the file system allows it, a copy otherwise. Rejects when `source` is gone.
   */
  linkFile(source: FileStateHandle, checkpointId: CheckpointId): Promise<FileStateHandle>;
  /** Reads a local file and verifies its size and checksum against `handle`; rejects with an error naming the file otherwise. */
  readFile(handle: FileStateHandle): Promise<Uint8Array>;
  /** Deletes one local file; deleting a file that is not there succeeds. */
  deleteFile(handle: FileStateHandle): Promise<void>;
}
