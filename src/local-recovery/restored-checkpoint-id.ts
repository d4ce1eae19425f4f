import { asCheckpointId, type CheckpointId } from '../core/ids.js';
import type { KeyedStateHandle } from '../state/state-handles.js';
import { storageLayout } from '../storage/storage-layout.js';

/**
 * The checkpoint that durable keyed handles (as RestoreState carries them) were taken for: an incremental handle names
 * it, and a full handle's file lies in that checkpoint's `chk-<id>` directory. Null when the handles say nothing about
 * it (inline state only, no handles) or disagree. A task uses it to find its local copy when its restore hook is given
 * only the handles.
 */
export function checkpointIdOfKeyedState(handles: readonly KeyedStateHandle[]): CheckpointId | null {
  const ids = new Set<number>();
  for (const handle of handles) {
    if (handle.kind === 'incremental') ids.add(handle.checkpointId);
    else if (handle.stream.kind === 'file') {
      const id = storageLayout.checkpointIdOf(handle.stream.path);
      if (id !== null) ids.add(id);
    }
  }
  const [only] = ids;
  return ids.size === 1 && only !== undefined ? asCheckpointId(only) : null;
}
