import type { CheckpointId } from '../core/ids.js';
import type { JsonValue } from '../core/json.js';

/*
 * State handles: plain JSON data saying where a piece of state lives. They travel in acknowledgements,
 * are stored in checkpoint metadata and come back in RestoreState, so every handle must survive
 * JSON.stringify / JSON.parse unchanged.
 */

/** A file in checkpoint storage. `path` is relative to the storage base, e.g. `job-1/shared/3f2a...`. */
export interface FileStateHandle {
  readonly kind: 'file';
  readonly path: string;
  readonly size: number;
  /** Hex SHA-256 of the file's bytes; verified on every read. */
  readonly checksum: string;
}

/** Small state kept inline, as base64 bytes, inside the checkpoint metadata. */
export interface ByteStreamStateHandle {
  readonly kind: 'bytes';
  readonly handleName: string;
  readonly data: string;
  readonly size: number;
}

/** Small operator state kept inline as a JSON value inside the checkpoint metadata. */
export interface InlineStateHandle {
  readonly kind: 'inline';
  readonly value: JsonValue;
}

/** Bytes of state, wherever they live. */
export type StreamStateHandle = FileStateHandle | ByteStreamStateHandle;

/**
 * Stands for a shared file that an earlier, confirmed checkpoint already uploaded. The coordinator's
 * SharedStateRegistry resolves it to the stored handle; an unknown placeholder is an error.
 */
export interface PlaceholderStreamStateHandle {
  readonly kind: 'placeholder';
  readonly size: number;
}

/** An inclusive range of key groups `[start, end]`; empty when `end < start`. */
export interface KeyGroupRange {
  readonly start: number;
  readonly end: number;
}

/** All key groups of a range in one stream, with the offset where each key group starts. */
export interface KeyGroupsStateHandle {
  readonly kind: 'key-groups';
  readonly keyGroupRange: KeyGroupRange;
  /** `offsets[i]` is where key group `keyGroupRange.start + i` starts in `stream`. */
  readonly offsets: readonly number[];
  readonly stream: StreamStateHandle;
}

/** One file of an incremental snapshot, named by the backend's own id for it (its handle id). */
export interface StateFileReference {
  readonly handleId: string;
  readonly handle: StreamStateHandle | PlaceholderStreamStateHandle;
}

/**
 * An incremental snapshot of a keyed backend: immutable shared files (registered with reference counts,
 * keyed by backend UUID + key-group range + handle id), private files owned by this checkpoint alone,
 * and a meta file describing how to read them.
 */
export interface IncrementalKeyedStateHandle {
  readonly kind: 'incremental';
  readonly backendId: string;
  readonly keyGroupRange: KeyGroupRange;
  readonly checkpointId: CheckpointId;
  readonly sharedState: readonly StateFileReference[];
  readonly privateState: readonly StateFileReference[];
  readonly metaState: StreamStateHandle;
}

/** Keyed state, full or incremental. */
export type KeyedStateHandle = KeyGroupsStateHandle | IncrementalKeyedStateHandle;

/** What one task hands over in its acknowledgement and gets back in RestoreState. */
export interface TaskStateSnapshot {
  /** Operator state that is not keyed (for example a source position or a counter), or null when there is none. */
  readonly operatorState: InlineStateHandle | StreamStateHandle | null;
  readonly keyedState: readonly KeyedStateHandle[];
}

/**
 * The outcome of one snapshot: the copy the coordinator owns (durable) and, optionally, a copy kept on the
 * task's local disk for fast recovery. Restore prefers the local copy when it is present and verifies.
 */
export interface SnapshotResult<T> {
  readonly jobManagerOwnedSnapshot: T;
  readonly taskLocalSnapshot: T | null;
}

/** The snapshot of a task with no state at all. */
export const EMPTY_TASK_STATE: TaskStateSnapshot = Object.freeze({ operatorState: null, keyedState: Object.freeze([]) as readonly KeyedStateHandle[] });
