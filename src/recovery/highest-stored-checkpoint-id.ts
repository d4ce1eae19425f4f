import type { JobId } from '../core/ids.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import { storageLayout } from '../storage/storage-layout.js';

/**
 * The highest checkpoint id of any `chk-<id>` the job's storage holds a file in (metadata or state), or 0: a new id
 * must be above it, or a new checkpoint could meet the leftovers of an old one (write-once metadata refuses it, and a
 * late deletion of the old one could remove the new one's files).
 */
export async function highestStoredCheckpointId(storage: CheckpointStorage, jobId: JobId): Promise<number> {
  let highest = 0;
  for (const path of [...(await storage.listMetadata(jobId)), ...(await storage.listFiles(jobId)).map((file) => file.path)]) {
    highest = Math.max(highest, storageLayout.checkpointIdOf(path) ?? 0);
  }
  return highest;
}
