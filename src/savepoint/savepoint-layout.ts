import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import type { CheckpointId, JobId } from '../core/ids.js';

/**
 * Where things lie in a self-contained savepoint directory (`<target>/savepoint-<jobId>-<id>-<suffix>/`): its
 * `_metadata`, and every file it references under a path relative to the directory, so the directory can be moved.
 */
export const savepointLayout = {
  /** The metadata file, written last. */
  METADATA_FILE: '_metadata',
  /** What a savepoint's metadata records as its `externalPointer`: its file paths are relative to its own directory. */
  SELF_POINTER: '_metadata',
  directoryName: (jobId: JobId, checkpointId: CheckpointId, suffix: string): string => `savepoint-${jobId}-${checkpointId}-${suffix}`,
  /**
   * The path inside the savepoint directory of a referenced file: the job's own files keep their place under the job
   * directory (`shared/<name>`, `chk-<id>/<name>`, `taskowned/<name>`); any other file (another job's, or one outside
   * the storage) goes to `external/<hash of its path>-<name>`, so two sources never collide.
   */
  fileOf(jobId: JobId, path: string): string {
    const prefix = `${jobId}/`;
    if (path.startsWith(prefix) && isSafeRelativePath(path.slice(prefix.length))) return path.slice(prefix.length);
    const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
    return `external/${createHash('sha256').update(path).digest('hex').slice(0, 16)}-${name}`;
  },
};

/** A relative path of plain segments: not absolute, no `.` or `..` segment, no empty segment, no backslash. */
export function isSafeRelativePath(path: string): boolean {
  if (path.length === 0 || isAbsolute(path) || path.includes('\\')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
