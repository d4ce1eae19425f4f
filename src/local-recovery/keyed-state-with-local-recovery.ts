import type { CheckpointId } from '../core/ids.js';
import { HeapKeyedStateBackend, type HeapKeyedStateBackendOptions, type RestoreSummary } from '../backend/heap-keyed-state-backend.js';
import type { KeyedStateHandle } from '../state/state-handles.js';
import { checkpointIdOfKeyedState } from './restored-checkpoint-id.js';
import type { TaskLocalStateStore } from './task-local-state-store.js';

/** The backend options a {@link KeyedStateWithLocalRecovery} takes: everything but the task-local wiring, which it does itself. */
export type LocallyRecoveredBackendOptions = Omit<HeapKeyedStateBackendOptions, 'taskLocalStorage' | 'onTaskLocalWriteFailure'>;

/**
 * A task operator's keyed state with task-local recovery wired in: a HeapKeyedStateBackend that writes a local copy of
 * every snapshot into the task's {@link TaskLocalStateStore}, records it there, restores from it when it matches the
 * durable handles the coordinator sends, and keeps the store in step with completions and aborts. Call its four methods
 * from the operator's hooks (`snapshotKeyedState`, `restoreKeyedState`, `notifyCheckpointComplete`,
 * `notifyCheckpointAborted`). A task with several backends wires them to the store itself, the same way.
 */
export class KeyedStateWithLocalRecovery {
  private current: HeapKeyedStateBackend;
  private readonly backendOptions: HeapKeyedStateBackendOptions;

  /** Throws InvalidOptionError naming the option when a backend option is invalid. */
  constructor(options: LocallyRecoveredBackendOptions, readonly localStore: TaskLocalStateStore) {
    this.backendOptions = { ...options, taskLocalStorage: localStore.snapshotStorage, onTaskLocalWriteFailure: localStore.reportWriteFailure };
    this.current = new HeapKeyedStateBackend(this.backendOptions);
  }

  /** The live backend (replaced by every restore): read and write state through it. */
  get backend(): HeapKeyedStateBackend {
    return this.current;
  }

  /** Where the files of the last restore came from, file by file. */
  get restoreSummary(): RestoreSummary {
    return this.current.restoreSummary;
  }

  /**
   * Snapshots the backend, records the task-local copy in the store, and returns the durable handle for the
   * acknowledgement. A failed local copy is reported by the store and never fails the snapshot; a failed durable write
   * rejects (the task declines the checkpoint).
   */
  async snapshot(checkpointId: CheckpointId, options: { readonly full?: boolean } = {}): Promise<KeyedStateHandle> {
    const { jobManagerOwnedSnapshot, taskLocalSnapshot } = await this.current.snapshot(checkpointId, options);
    await this.localStore.storeLocalState(checkpointId, taskLocalSnapshot === null ? null : { operatorState: null, keyedState: [taskLocalSnapshot] });
    return jobManagerOwnedSnapshot;
  }

  /**
   * Replaces the backend with one restored from `handles` (the durable handles RestoreState carries), reading each
   * file from the task-local copy of `checkpointId` when it matches and verifies, from the durable copy otherwise.
   * `checkpointId` defaults to the one the handles name. Resolves to the restore summary; rejects as
   * `HeapKeyedStateBackend.restore` does when the durable state itself is unusable.
   */
  async restore(handles: readonly KeyedStateHandle[], checkpointId: CheckpointId | null = checkpointIdOfKeyedState(handles)): Promise<RestoreSummary> {
    const localCopies = checkpointId === null ? null : await this.localStore.localCopiesFor(checkpointId, handles);
    this.current = await HeapKeyedStateBackend.restore(this.backendOptions, handles, localCopies);
    return this.current.restoreSummary;
  }

  /** The checkpoint completed: the backend may refer to its files by placeholder, and older local copies are dropped. */
  async notifyCheckpointComplete(checkpointId: CheckpointId): Promise<void> {
    this.current.notifyCheckpointComplete(checkpointId);
    await this.localStore.confirmCheckpoint(checkpointId);
  }

  /** The checkpoint was aborted: the backend stops relying on its uploads, and its local copy is dropped. */
  async notifyCheckpointAborted(checkpointId: CheckpointId): Promise<void> {
    this.current.notifyCheckpointAborted(checkpointId);
    await this.localStore.abortCheckpoint(checkpointId);
  }
}
