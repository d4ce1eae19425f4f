import type { CheckpointId, TaskId } from '../core/ids.js';
import { sharedStateRegistryKey, type SharedStateRegistryKey } from './shared-state-registry-key.js';
import type {
  FileStateHandle,
  IncrementalKeyedStateHandle,
  KeyedStateHandle,
  PlaceholderStreamStateHandle,
  StateFileReference,
  StreamStateHandle,
  TaskStateSnapshot,
} from './state-handles.js';
import { SharedStateOperation, UnknownSharedStateError } from './unknown-shared-state-error.js';

/**
 * Receives a shared file nobody references any more. Must neither block nor throw: hand the deletion off
 * (e.g. to an AsyncStateDiscarder).
 */
export type SharedStateDiscardCallback = (handle: StreamStateHandle) => void;

/** One registered shared file, as shown to audits. */
export interface SharedStateEntry {
  readonly key: SharedStateRegistryKey;
  readonly handle: StreamStateHandle;
  readonly checkpointIds: readonly CheckpointId[];
}

type TaskStates = Readonly<Record<TaskId, TaskStateSnapshot>>;

interface Entry {
  readonly handle: StreamStateHandle;
  // The distinct checkpoints referencing the handle; usually one to three, so a plain array beats a Set.
  readonly checkpointIds: CheckpointId[];
}

/**
 * The coordinator's reference counts of the immutable shared files of incremental checkpoints. A completed
 * checkpoint registers its shared files when it is added to the store and unregisters them when it is
 * subsumed or discarded; a file is handed to the discard callback when the last checkpoint lets go of it.
 *
 * A key's count is the number of distinct checkpoint ids referencing it, so registering the same key for the
 * same checkpoint twice (a duplicate acknowledgement, a retried message, re-registration after restore)
 * counts once, and unregistering a checkpoint that does not reference a known key changes nothing.
 * A file is never discarded while any entry's handle still points at its path.
 */
export class SharedStateRegistry {
  private readonly entries = new Map<SharedStateRegistryKey, Entry>();
  // How many entries hold each file path: a file is discarded only when none does.
  private readonly pathHolders = new Map<string, number>();

  constructor(private readonly discard: SharedStateDiscardCallback) {}

  /**
   * Records that `checkpointId` references the shared file under `key` and returns the handle the registry
   * keeps for it. The first handle registered under a key is kept; a different handle (another path or other
   * bytes) arriving later is handed to the discard callback and the stored one is returned instead, so callers
   * must persist the returned handle. A placeholder resolves to the stored handle.
   * Throws {@link UnknownSharedStateError} when `handle` is a placeholder and the key is not registered.
   */
  register(key: SharedStateRegistryKey, handle: StreamStateHandle | PlaceholderStreamStateHandle, checkpointId: CheckpointId): StreamStateHandle {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      if (handle.kind === 'placeholder') throw new UnknownSharedStateError(key, checkpointId, SharedStateOperation.RESOLVE_PLACEHOLDER);
      this.entries.set(key, { handle, checkpointIds: [checkpointId] });
      if (handle.kind === 'file') this.pathHolders.set(handle.path, (this.pathHolders.get(handle.path) ?? 0) + 1);
      return handle;
    }
    const ids = entry.checkpointIds;
    if (!ids.includes(checkpointId)) ids.push(checkpointId);
    if (handle.kind !== 'placeholder' && handle !== entry.handle && !sameStream(handle, entry.handle)) this.discardUnlessHeld(handle);
    return entry.handle;
  }

  /**
   * Records that `checkpointId` no longer references the file under `key` and returns how many checkpoints
   * still do. When none do, the entry is removed and its file handed to the discard callback (unless another
   * entry holds the same path). Unregistering a checkpoint that does not reference the key is a no-op, so a
   * repeated unregistration is harmless while other checkpoints keep the key alive.
   * Throws {@link UnknownSharedStateError} when the key is not registered.
   */
  unregister(key: SharedStateRegistryKey, checkpointId: CheckpointId): number {
    return this.drop(key, checkpointId, null);
  }

  /**
   * Registers every shared file of a completed checkpoint's task states (the `sharedState` of incremental
   * keyed handles; nothing else is shared) and returns the task states with each placeholder, and each
   * handle the registry replaced by the one it already held, swapped for the stored handle. Returns the very
   * same object when nothing had to be swapped. Persist the returned states, not the argument.
   *
   * All or nothing: every placeholder is checked before anything is registered, so when this throws
   * {@link UnknownSharedStateError} (naming the first unknown key) no reference of `checkpointId` was added
   * and no file was discarded.
   */
  registerCheckpoint(checkpointId: CheckpointId, taskStates: TaskStates): TaskStates {
    const keys: SharedStateRegistryKey[] = [];
    const handles: Array<StreamStateHandle | PlaceholderStreamStateHandle> = [];
    const uploadedHere = new Set<SharedStateRegistryKey>();
    for (const shared of sharedStateOf(taskStates)) {
      for (const { handleId, handle } of shared.sharedState) {
        const key = sharedStateRegistryKey(shared.backendId, shared.keyGroupRange, handleId);
        keys.push(key);
        handles.push(handle);
        if (handle.kind !== 'placeholder') uploadedHere.add(key);
      }
    }
    // A placeholder may resolve to a file another task of this same checkpoint uploaded, wherever that comes in order.
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as SharedStateRegistryKey;
      if (handles[i]?.kind === 'placeholder' && !this.entries.has(key) && !uploadedHere.has(key)) {
        throw new UnknownSharedStateError(key, checkpointId, SharedStateOperation.RESOLVE_PLACEHOLDER);
      }
    }
    // Nothing below can fail. Uploads go first so that every placeholder finds its entry.
    for (let i = 0; i < keys.length; i++) {
      const handle = handles[i] as StreamStateHandle | PlaceholderStreamStateHandle;
      if (handle.kind !== 'placeholder') this.register(keys[i] as SharedStateRegistryKey, handle, checkpointId);
    }
    let position = 0;
    let changedTasks: Record<TaskId, TaskStateSnapshot> | null = null;
    for (const taskId of Object.keys(taskStates) as TaskId[]) {
      const snapshot = taskStates[taskId] as TaskStateSnapshot;
      let changedKeyed: KeyedStateHandle[] | null = null;
      for (let keyedIndex = 0; keyedIndex < snapshot.keyedState.length; keyedIndex++) {
        const keyed = snapshot.keyedState[keyedIndex] as KeyedStateHandle;
        if (keyed.kind !== 'incremental') continue;
        let changedShared: StateFileReference[] | null = null;
        for (let referenceIndex = 0; referenceIndex < keyed.sharedState.length; referenceIndex++) {
          const reference = keyed.sharedState[referenceIndex] as StateFileReference;
          const key = keys[position++] as SharedStateRegistryKey;
          const stored = reference.handle.kind === 'placeholder' ? this.register(key, reference.handle, checkpointId) : this.storedHandle(key);
          if (stored === reference.handle || (reference.handle.kind !== 'placeholder' && sameStream(stored, reference.handle))) continue;
          changedShared ??= keyed.sharedState.slice();
          changedShared[referenceIndex] = { handleId: reference.handleId, handle: stored };
        }
        if (changedShared === null) continue;
        changedKeyed ??= snapshot.keyedState.slice();
        changedKeyed[keyedIndex] = { ...keyed, sharedState: changedShared };
      }
      if (changedKeyed === null) continue;
      changedTasks ??= { ...taskStates };
      changedTasks[taskId] = { ...snapshot, keyedState: changedKeyed };
    }
    return changedTasks ?? taskStates;
  }

  /**
   * Unregisters `checkpointId` from every shared file of its task states, discarding the files no checkpoint
   * references any more. Keys this checkpoint does not reference are left alone, so unregistering a
   * checkpoint twice is harmless as long as its keys are still registered.
   * Throws {@link UnknownSharedStateError} (naming the first one) when a key is not registered at all; then
   * nothing was unregistered.
   */
  unregisterCheckpoint(checkpointId: CheckpointId, taskStates: TaskStates): void {
    this.dropCheckpoint(checkpointId, taskStates, null);
  }

  /**
   * Unregisters `checkpointId` like {@link unregisterCheckpoint}, but hands nothing to the discard callback: returns
   * the handles no checkpoint references any more, for the caller to delete when it is safe (after the checkpoint's
   * metadata is gone, or once no checkpoint in flight can carry them). Throws like {@link unregisterCheckpoint}.
   */
  releaseCheckpoint(checkpointId: CheckpointId, taskStates: TaskStates): StreamStateHandle[] {
    const released: StreamStateHandle[] = [];
    this.dropCheckpoint(checkpointId, taskStates, released);
    return released;
  }

  /** Whether any registered entry holds a file at the handle's path. */
  isReferenced(handle: FileStateHandle): boolean {
    return this.pathHolders.has(handle.path);
  }

  /** Whether any registered entry holds a file at `path`. */
  isPathReferenced(path: string): boolean {
    return this.pathHolders.has(path);
  }

  /**
   * The shared files of an aborted (never registered) checkpoint that may be deleted: the uploaded files
   * whose path no registered entry holds, each once. Placeholders and inline bytes are never in the result.
   */
  unreferencedSharedFiles(taskStates: TaskStates): FileStateHandle[] {
    const result: FileStateHandle[] = [];
    const seen = new Set<string>();
    for (const shared of sharedStateOf(taskStates)) {
      for (const { handle } of shared.sharedState) {
        if (handle.kind !== 'file' || seen.has(handle.path)) continue;
        seen.add(handle.path);
        if (!this.pathHolders.has(handle.path)) result.push(handle);
      }
    }
    return result;
  }

  /** How many shared files are registered. */
  get size(): number {
    return this.entries.size;
  }

  /** How many distinct checkpoints reference the key; 0 when it is not registered. */
  referenceCount(key: SharedStateRegistryKey): number {
    return this.entries.get(key)?.checkpointIds.length ?? 0;
  }

  /** The handle stored under the key, or undefined when it is not registered. */
  get(key: SharedStateRegistryKey): StreamStateHandle | undefined {
    return this.entries.get(key)?.handle;
  }

  /** Every registered handle, for audits (mark-and-sweep). */
  *handles(): IterableIterator<StreamStateHandle> {
    for (const entry of this.entries.values()) yield entry.handle;
  }

  /** Every entry with a copy of its referencing checkpoint ids, for audits and specs. */
  *entriesForAudit(): IterableIterator<SharedStateEntry> {
    for (const [key, entry] of this.entries) yield { key, handle: entry.handle, checkpointIds: entry.checkpointIds.slice() };
  }

  /** Drops every reference of the checkpoint; released handles go to `released`, or to the discard callback when it is null. */
  private dropCheckpoint(checkpointId: CheckpointId, taskStates: TaskStates, released: StreamStateHandle[] | null): void {
    const keys: SharedStateRegistryKey[] = [];
    for (const shared of sharedStateOf(taskStates)) {
      for (const reference of shared.sharedState) {
        const key = sharedStateRegistryKey(shared.backendId, shared.keyGroupRange, reference.handleId);
        if (!this.entries.has(key)) throw new UnknownSharedStateError(key, checkpointId, SharedStateOperation.UNREGISTER);
        keys.push(key);
      }
    }
    // Every key was registered on entry; one missing now was removed by an earlier duplicate in this same call.
    for (const key of keys) if (this.entries.has(key)) this.drop(key, checkpointId, released);
  }

  private drop(key: SharedStateRegistryKey, checkpointId: CheckpointId, released: StreamStateHandle[] | null): number {
    const entry = this.entries.get(key);
    if (entry === undefined) throw new UnknownSharedStateError(key, checkpointId, SharedStateOperation.UNREGISTER);
    const ids = entry.checkpointIds;
    const index = ids.indexOf(checkpointId);
    if (index < 0) return ids.length;
    const last = ids.pop() as CheckpointId;
    if (index < ids.length) ids[index] = last;
    if (ids.length === 0) {
      this.entries.delete(key);
      this.release(entry.handle, released);
    }
    return ids.length;
  }

  private storedHandle(key: SharedStateRegistryKey): StreamStateHandle {
    return (this.entries.get(key) as Entry).handle;
  }

  private release(handle: StreamStateHandle, released: StreamStateHandle[] | null): void {
    if (handle.kind === 'file') {
      const holders = (this.pathHolders.get(handle.path) ?? 1) - 1;
      if (holders > 0) {
        this.pathHolders.set(handle.path, holders);
        return;
      }
      this.pathHolders.delete(handle.path);
    }
    if (released === null) this.discard(handle);
    else released.push(handle);
  }

  private discardUnlessHeld(handle: StreamStateHandle): void {
    if (handle.kind === 'file' && this.pathHolders.has(handle.path)) return;
    this.discard(handle);
  }
}

function* sharedStateOf(taskStates: TaskStates): Generator<IncrementalKeyedStateHandle> {
  for (const taskId of Object.keys(taskStates) as TaskId[]) {
    for (const keyed of (taskStates[taskId] as TaskStateSnapshot).keyedState) if (keyed.kind === 'incremental') yield keyed;
  }
}

// Whether two handles stand for the same stored bytes: the same file path, or the same inline bytes.
function sameStream(a: StreamStateHandle, b: StreamStateHandle): boolean {
  if (a.kind === 'file') return b.kind === 'file' && a.path === b.path;
  return b.kind === 'bytes' && a.data === b.data;
}
