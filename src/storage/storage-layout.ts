import type { CheckpointId, JobId } from '../core/ids.js';

/** Where the files of one checkpoint's tasks may lie (see `storageLayout.uploadAreas`). */
export interface UploadAreas {
  readonly private: string;
  readonly shared: string;
  readonly taskOwned: string;
}

/** Relative paths of Flink's checkpoint directory layout, shared by every CheckpointStorage. */
export const storageLayout = {
  checkpointDirectory: (jobId: JobId, checkpointId: CheckpointId): string => `${jobId}/chk-${checkpointId}`,
  metadataFile: (jobId: JobId, checkpointId: CheckpointId): string => `${jobId}/chk-${checkpointId}/_metadata`,
  exclusiveFile: (jobId: JobId, checkpointId: CheckpointId, name: string): string => `${jobId}/chk-${checkpointId}/${name}`,
  sharedFile: (jobId: JobId, name: string): string => `${jobId}/shared/${name}`,
  taskOwnedFile: (jobId: JobId, name: string): string => `${jobId}/taskowned/${name}`,
  /**
   * Where the files a task uploads for checkpoint `checkpointId` may lie, each ending in `/`: private files in the
   * checkpoint's own directory, shared files under `shared/`, and either under `taskowned/`.
   */
  uploadAreas: (jobId: JobId, checkpointId: CheckpointId): UploadAreas => ({
    private: `${jobId}/chk-${checkpointId}/`,
    shared: `${jobId}/shared/`,
    taskOwned: `${jobId}/taskowned/`,
  }),
  /** The filesystem storage's durable checkpoint id counter. */
  idCounterFile: (jobId: JobId): string => `${jobId}/checkpoint-id-counter`,
  /** The job's persisted checkpoint stats history. */
  historyFile: (jobId: JobId): string => `${jobId}/checkpoint-history.json`,
  /** The checkpoint id of a `<jobId>/chk-<id>/...` path, or null for any other path. */
  checkpointIdOf(path: string): number | null {
    const match = /\/chk-(\d+)(\/|$)/.exec(path);
    return match?.[1] === undefined ? null : Number(match[1]);
  },
};

/** Rejects names that would escape their directory or collide with the layout. */
export function assertSafeFileName(name: string): void {
  if (name.length === 0 || name.includes('/') || name.includes('\\') || name === '.' || name === '..' || name.startsWith('.tmp-') || name === '_metadata') {
    throw new Error(`invalid state file name '${name}': it must be non-empty, contain no path separator, not be '.', '..' or '_metadata', and not start with '.tmp-'`);
  }
}
