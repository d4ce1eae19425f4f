import { freeze } from 'immer';
import type { JobId } from '../core/ids.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import { checkStoredCheckpoint } from '../storage/completed-checkpoint-shape.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { CompletedCheckpointDiscarder } from '../checkpoint/completed-checkpoint-store.js';
import { StandaloneCompletedCheckpointStore, type CompletedCheckpointStoreOptions } from '../checkpoint/standalone-completed-checkpoint-store.js';

/** What {@link DefaultCompletedCheckpointStore.recover} needs. */
export interface CompletedCheckpointStoreRecoveryOptions extends CompletedCheckpointStoreOptions {
  readonly jobId: JobId;
  /** Where the coordinator wrote each completed checkpoint's metadata. */
  readonly storage: CheckpointStorage;
  /** Releases the recovered checkpoints beyond `maxRetained`, and later ones as the store subsumes them. */
  readonly discarder: CompletedCheckpointDiscarder;
  /**
   * Called with every recovered checkpoint and savepoint, ascending, before any beyond `maxRetained` is discarded:
   * re-register their shared state here, so discarding the subsumed ones cannot delete files the retained ones
   * still share. Throwing here fails the recovery before anything is discarded.
   */
  readonly onRecovered?: (checkpoints: readonly CompletedCheckpoint[]) => void;
}

/**
 * The completed checkpoint store of a job whose coordinator may restart: {@link recover} rebuilds it from the
 * metadata the coordinator wrote to checkpoint storage, then it behaves exactly like the
 * {@link StandaloneCompletedCheckpointStore}.
 */
export class DefaultCompletedCheckpointStore extends StandaloneCompletedCheckpointStore {
  protected constructor(options: CompletedCheckpointStoreOptions) {
    super(options);
  }

  /**
   * Reads every metadata file of the job, ascending by id, and retains the newest `maxRetained` checkpoints and
   * every savepoint; older checkpoints are discarded as subsumed, oldest first. Every record is verified before
   * anything is discarded: a metadata file that is unreadable, corrupt, or records another job or checkpoint id
   * fails the recovery with an error naming that file (`CorruptStateError` for bad content), never a
   * silently wrong restore.
   * @throws RangeError naming `maxRetained` before touching storage when it is not an integer of at least 1.
   */
  static async recover(options: CompletedCheckpointStoreRecoveryOptions): Promise<DefaultCompletedCheckpointStore> {
    const store = new DefaultCompletedCheckpointStore(options);
    const recovered: CompletedCheckpoint[] = [];
    for (const pointer of await options.storage.listMetadata(options.jobId)) {
      recovered.push(verifiedRecord(await options.storage.readMetadata(pointer), pointer, options.jobId));
    }
    options.onRecovered?.(Object.freeze([...recovered]));
    await store.discardEach(store.retainRecovered(recovered), 'subsumed');
    return store;
  }
}

function verifiedRecord(record: CompletedCheckpoint, pointer: string, jobId: JobId): CompletedCheckpoint {
  const checkpoint = checkStoredCheckpoint(record, pointer, jobId);
  return Object.isFrozen(checkpoint) ? checkpoint : freeze(structuredClone(checkpoint), true);
}
