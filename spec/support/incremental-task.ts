import { dispatch, type Ref } from 'nact';
import type { CheckpointId, JobId } from '../../src/core/ids.js';
import type { JsonValue } from '../../src/core/json.js';
import { HeapKeyedStateBackend, SnapshotStrategy, type HeapKeyedStateBackendOptions } from '../../src/backend/heap-keyed-state-backend.js';
import type { KeyedStateHandle } from '../../src/state/state-handles.js';
import type { CheckpointStorage } from '../../src/storage/checkpoint-storage.js';
import type { CheckpointedOperator, OperatorFactory } from '../../src/task/checkpointed-operator.js';

/** A task's keyed state as plain data: key -> value, keys sorted. */
export type Entries = Readonly<Record<string, JsonValue>>;

/** What a spec may send to an incremental task's operator (through `deliver`). */
export type IncrementalTaskMessage =
  | { readonly kind: 'put'; readonly key: string; readonly value: JsonValue }
  | { readonly kind: 'delete'; readonly key: string }
  /** Replies with the live state as {@link Entries}; also a mailbox barrier. */
  | { readonly kind: 'read'; readonly replyTo: Ref<unknown> }
  /** Throws from the operator: the task crashes and the coordinator restarts it. */
  | { readonly kind: 'explode' };

/** One snapshot an incremental task took: the state it captured for a checkpoint. */
export interface RecordedSnapshot {
  readonly taskId: string;
  readonly checkpointId: CheckpointId;
  readonly entries: Entries;
}

/** One restore an incremental task performed. `checkpointId` is null when it started empty. */
export interface RecordedRestore {
  readonly taskId: string;
  readonly checkpointId: CheckpointId | null;
  readonly entries: Entries;
}

/**
 * What every attempt of every incremental task reports to the spec, across coordinator restarts: the state each
 * snapshot captured (the model a restore must reproduce) and each restore. A spec can also make a task decline
 * its next checkpoint.
 */
export class IncrementalTaskJournal {
  private readonly byCheckpoint = new Map<string, Entries>();
  /** Every snapshot taken, oldest first. */
  readonly snapshots: RecordedSnapshot[] = [];
  readonly restores: RecordedRestore[] = [];
  /** Tasks whose next snapshot throws, so the task declines the checkpoint (before uploading anything). */
  readonly declineNext = new Set<string>();

  recordSnapshot(taskId: string, checkpointId: CheckpointId, entries: Entries): void {
    this.byCheckpoint.set(`${taskId}@${checkpointId}`, entries);
    this.snapshots.push({ taskId, checkpointId, entries });
  }

  /** The state `taskId` had when it snapshotted `checkpointId` (the latest snapshot with that id). */
  snapshotOf(taskId: string, checkpointId: number): Entries | undefined {
    return this.byCheckpoint.get(`${taskId}@${checkpointId}`);
  }
}

/** How the keyed state backend of every incremental task is configured. */
export interface IncrementalTaskSettings {
  readonly jobId: JobId;
  readonly storage: CheckpointStorage;
  /** Small values make snapshots compact (write a base segment) often. */
  readonly maxSegments: number;
  /** Default 8; every task owns all key groups. */
  readonly numberOfKeyGroups?: number;
}

/** The sorted entries of a backend. */
export function entriesOf(backend: HeapKeyedStateBackend): Entries {
  return Object.fromEntries([...backend.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * An operator whose whole state lives in a {@link HeapKeyedStateBackend} with the incremental strategy, writing
 * its segments to real checkpoint storage: it snapshots on trigger, confirms segments on completion, forgets
 * aborted uploads, and rebuilds the backend from the handles of the checkpoint it is restored from (taking over
 * the backend id, so its next snapshot refers to the restored segments by placeholder).
 */
export function incrementalTask(settings: IncrementalTaskSettings, journal: IncrementalTaskJournal, taskId: string): OperatorFactory<null, IncrementalTaskMessage> {
  const numberOfKeyGroups = settings.numberOfKeyGroups ?? 8;
  const backendOptions: HeapKeyedStateBackendOptions = {
    jobId: settings.jobId,
    keyGroupRange: { start: 0, end: numberOfKeyGroups - 1 },
    numberOfKeyGroups,
    storage: settings.storage,
    strategy: SnapshotStrategy.INCREMENTAL,
    maxSegments: settings.maxSegments,
  };
  return (): CheckpointedOperator<null, IncrementalTaskMessage> => {
    let backend = new HeapKeyedStateBackend(backendOptions);
    let keyedStateRestored = false;
    return {
      snapshotState: (checkpointId) => {
        if (journal.declineNext.delete(taskId)) throw new Error(`task ${taskId} was told to decline checkpoint ${checkpointId}`);
        return null;
      },
      snapshotKeyedState: async (checkpointId, options): Promise<readonly KeyedStateHandle[]> => {
        journal.recordSnapshot(taskId, checkpointId, entriesOf(backend));
        const result = await backend.snapshot(checkpointId, options);
        return [result.jobManagerOwnedSnapshot];
      },
      restoreKeyedState: async (handles) => {
        backend = await HeapKeyedStateBackend.restore(backendOptions, handles);
        keyedStateRestored = true;
      },
      restoreState: (_state, checkpointId) => {
        if (!keyedStateRestored) backend = new HeapKeyedStateBackend(backendOptions);
        keyedStateRestored = false;
        journal.restores.push({ taskId, checkpointId, entries: entriesOf(backend) });
      },
      notifyCheckpointComplete: (checkpointId) => backend.notifyCheckpointComplete(checkpointId),
      notifyCheckpointAborted: (checkpointId) => backend.notifyCheckpointAborted(checkpointId),
      onMessage: (message) => {
        switch (message.kind) {
          case 'put':
            backend.put(message.key, message.value);
            return;
          case 'delete':
            backend.delete(message.key);
            return;
          case 'read':
            dispatch(message.replyTo, entriesOf(backend));
            return;
          case 'explode':
            throw new Error(`task ${taskId} exploded on purpose`);
        }
      },
    };
  };
}
