import type { CheckpointId } from '../core/ids.js';

/*
 * Layout of the task-local state of one task (Flink's local recovery directories):
 *
 *   <localRoot>/<jobId>/<taskId>/chk-<id>/_task_local_state   the manifest: which local files hold checkpoint <id>
 *   <localRoot>/<jobId>/<taskId>/chk-<id>/<files>             every file that checkpoint's local copy needs
 *
 * A checkpoint directory without a manifest is a copy that never completed.
 */

/** The manifest's file name inside a checkpoint's local directory; written last, so its presence means the copy is complete. */
export const TASK_LOCAL_MANIFEST_NAME = '_task_local_state';

const CHECKPOINT_DIRECTORY = /^chk-([1-9]\d*)$/;

/** `chk-<id>`: the local directory of one checkpoint. */
export function checkpointDirectoryName(checkpointId: CheckpointId | number): string {
  return `chk-${checkpointId}`;
}

/** The checkpoint id a `chk-<id>` directory name stands for, or null for any other name. */
export function checkpointIdOfDirectory(name: string): number | null {
  const match = CHECKPOINT_DIRECTORY.exec(name);
  return match === null ? null : Number(match[1]);
}
