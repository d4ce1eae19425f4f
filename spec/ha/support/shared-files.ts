import type { CompletedCheckpoint } from '../../../src/checkpoint/completed-checkpoint.js';
import type { CompletedCheckpointDiscarder } from '../../../src/checkpoint/completed-checkpoint-store.js';
import { CheckpointRetention } from '../../../src/checkpoint/checkpoint-properties.js';
import { asCheckpointId, asTaskId } from '../../../src/core/ids.js';
import { SharedStateRegistry } from '../../../src/state/shared-state-registry.js';
import type { FileStateHandle } from '../../../src/state/state-handles.js';
import { aCheckpoint } from '../../support/checkpoint-fixtures.js';

/** A checkpoint whose one task references the shared files `names` (an incremental keyed state handle). */
export function aCheckpointSharing(id: number, names: readonly string[], retention: CheckpointRetention = CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION): CompletedCheckpoint {
  const file = (name: string): FileStateHandle => ({ kind: 'file', path: `job-1/shared/${name}`, size: 1, checksum: 'ab'.repeat(32) });
  return aCheckpoint(id, {
    retention,
    taskStates: {
      [asTaskId('counter-0')]: {
        operatorState: null,
        keyedState: [{
          kind: 'incremental',
          backendId: '6f1c2e0a-0000-4000-8000-000000000001',
          keyGroupRange: { start: 0, end: 127 },
          checkpointId: asCheckpointId(id),
          sharedState: names.map((name) => ({ handleId: name, handle: file(name) })),
          privateState: [],
          metaState: { kind: 'bytes', handleName: `meta-${id}`, data: '', size: 0 },
        }],
      },
    },
  });
}

/**
 * Shared files reference-counted the way the coordinator does it: a checkpoint registers its files when it completes
 * (or is recovered) and unregisters them when the store discards it; a file nothing references any more is "deleted"
 * (recorded in `deleted`).
 */
export class SharedFileLedger implements CompletedCheckpointDiscarder {
  readonly deleted: string[] = [];
  readonly registry = new SharedStateRegistry((handle) => {
    if (handle.kind === 'file') this.deleted.push(handle.path);
  });

  register(checkpoint: CompletedCheckpoint): CompletedCheckpoint {
    this.registry.registerCheckpoint(checkpoint.checkpointId, checkpoint.taskStates);
    return checkpoint;
  }

  async discard(checkpoint: CompletedCheckpoint): Promise<void> {
    this.registry.unregisterCheckpoint(checkpoint.checkpointId, checkpoint.taskStates);
  }
}
