import { v4 as uuidv4 } from 'uuid';
import { validateLogger, type Logger } from '../core/logger.js';
import type { CheckpointId, JobId } from '../core/ids.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import type { JsonValue } from '../core/json.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';
import {
  hashKey,
  KeyGroupOutOfRangeError,
  KeyGroupRangeMismatchError,
  KeyGroupRanges,
  keyGroupInRange,
  MAX_NUMBER_OF_KEY_GROUPS,
} from '../state/key-groups.js';
import { decodeKeyGroupsStream, decodeMeta, decodeSegment, encodeKeyGroupsStream, encodeMeta, encodeSegment, type KeyedEntry } from './keyed-state-format.js';
import type {
  ByteStreamStateHandle,
  FileStateHandle,
  IncrementalKeyedStateHandle,
  KeyedStateHandle,
  KeyGroupRange,
  KeyGroupsStateHandle,
  PlaceholderStreamStateHandle,
  SnapshotResult,
  StateFileReference,
  StreamStateHandle,
} from '../state/state-handles.js';
import type { TaskLocalCopySource } from './task-local-copies.js';
import type { TaskLocalSnapshotStorage } from './task-local-snapshot-storage.js';
import { warnAboutTaskLocalWriteFailure, type TaskLocalWriteFailure } from './task-local-write-failure.js';

/** How a {@link HeapKeyedStateBackend} snapshots: the whole state every time, or only what changed. */
export const SnapshotStrategy = {
  /** Every snapshot writes all key groups into one exclusive file of the checkpoint. */
  FULL: 'full',
  /** Every snapshot uploads one immutable shared segment with the changes since the previous snapshot. */
  INCREMENTAL: 'incremental',
} as const;
export type SnapshotStrategy = (typeof SnapshotStrategy)[keyof typeof SnapshotStrategy];

/** Where a restore read one file from. */
export const RestoredFileSource = {
  /** The task-local copy, matched to the durable handle and verified. */
  TASK_LOCAL: 'task-local',
  /** The durable copy the handle names. */
  DURABLE: 'durable',
} as const;
export type RestoredFileSource = (typeof RestoredFileSource)[keyof typeof RestoredFileSource];

/** How many segments an incremental snapshot may reference before the next one compacts, unless configured. */
export const DEFAULT_MAX_SEGMENTS = 8;

/** Configuration of a {@link HeapKeyedStateBackend}. */
export interface HeapKeyedStateBackendOptions {
  readonly jobId: JobId;
  /** The key groups this backend (this subtask) owns. */
  readonly keyGroupRange: KeyGroupRange;
  /** The job's max parallelism: how many key groups keys are hashed into. Must never change across restores. */
  readonly numberOfKeyGroups: number;
  /** Where snapshots go durably (the coordinator owns what is written here). */
  readonly storage: CheckpointStorage;
  readonly strategy: SnapshotStrategy;
  /** Incremental only: the most segments a snapshot references; the snapshot that would exceed it compacts. Default {@link DEFAULT_MAX_SEGMENTS}. */
  readonly maxSegments?: number;
  /**
   * When set, every snapshot is also written here (one directory per checkpoint on the task's disk) for fast local
   * recovery. A failed local write never fails the snapshot: the snapshot's task-local copy is null and the failure goes
   * to {@link onTaskLocalWriteFailure}.
   */
  readonly taskLocalStorage?: TaskLocalSnapshotStorage;
  /** Told about every task-local write that failed. Default: a warning to `logger` (`NACT_CHECKPOINT_TASK_LOCAL_WRITE_FAILED`). */
  readonly onTaskLocalWriteFailure?: (failure: TaskLocalWriteFailure) => void;
  /** Where the default `onTaskLocalWriteFailure` reports. Default: quiet unless `NODE_DEBUG=nact-checkpoint`. */
  readonly logger?: Logger;
}

/** Where one file of a restore came from. */
export interface RestoredFile {
  /** The durable path the handle names. */
  readonly path: string;
  readonly source: RestoredFileSource;
  /** The task-local file that was read, when the source is task-local. */
  readonly localPath: string | null;
  /** Why the durable copy was read, when task-local copies were offered (no local copy, mismatch, corruption, ...). */
  readonly reason: string | null;
}

/** Where the files of the last restore came from. Inline state (kept in the handles) is no file and is not listed. */
export interface RestoreSummary {
  readonly filesFromTaskLocal: number;
  readonly filesFromDurable: number;
  /** Why task-local copies that existed were refused (mismatched, corrupt, missing): one message per refused file, sorted. */
  readonly taskLocalProblems: readonly string[];
  /** Every file read, sorted by path, with where it came from. */
  readonly files: readonly RestoredFile[];
}

/** Thrown on restore when a handle still holds a placeholder: the coordinator must resolve placeholders before sending state to a task. */
export class UnresolvedPlaceholderError extends Error {
  override readonly name = 'UnresolvedPlaceholderError';
  constructor(
    readonly backendId: string,
    readonly handleId: string,
    readonly checkpointId: CheckpointId,
  ) {
    super(
      `incremental keyed state of backend ${backendId} (checkpoint ${checkpointId}) refers to shared file ${handleId} by placeholder; ` +
        'placeholders must be resolved through the SharedStateRegistry before restore',
    );
  }
}

/** Thrown on restore when a handle was written for another configuration (another number of key groups) or has a shape this backend never writes. */
export class IncompatibleKeyedStateError extends Error {
  override readonly name = 'IncompatibleKeyedStateError';
  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
  }
}

/** Marks a segment that holds the whole live state rather than the changes since the previous snapshot. */
const BASE = 'base';

/** One immutable shared file the incremental state consists of. */
interface Segment {
  readonly handleId: string;
  /** The checkpoint whose snapshot uploaded it; null for a segment taken over on restore. */
  readonly uploadedBy: CheckpointId | null;
  readonly durable: Promise<StreamStateHandle>;
  /**
   * Its task-local copies, oldest first, one per checkpoint directory it was written or linked into: every snapshot
   * that references the segment links it into its own checkpoint's directory. Copies in directories the task-local
   * store has dropped (older than a completed checkpoint, or aborted) are forgotten; a link falls back to older copies.
   */
  localCopies: LocalCopy[];
  /** A completed checkpoint referenced it, so the coordinator has registered it and a placeholder may stand for it. */
  confirmed: boolean;
  /** Until confirmed: the keys it wrote, so an abort can mark them dirty again; null once confirmed. */
  changedKeys: ReadonlySet<string> | typeof BASE | null;
}

/** One task-local copy of a segment: the checkpoint directory it lives in, and its handle (null when its write failed). */
interface LocalCopy {
  readonly checkpointId: CheckpointId;
  readonly handle: Promise<FileStateHandle | null>;
}

interface ReadResult {
  readonly bytes: Uint8Array;
  /** The task-local file the bytes came from, or null when they came from the durable copy or inline state. */
  readonly local: FileStateHandle | null;
}

interface RestoredSegment {
  readonly handleId: string;
  readonly handle: StreamStateHandle;
  readonly read: ReadResult;
}

/**
 * The keyed state of one task operator held in memory: key -> JSON value, partitioned into key groups, of which
 * the backend owns a range. The task snapshots it when a checkpoint barrier passes, hands the resulting handles
 * to the coordinator in its acknowledgement, commits on NotifyCheckpointComplete and is rebuilt from the
 * handles of the latest completed checkpoint after a failure.
 *
 * Values are stored by reference and treated as immutable: replace a value with `put`, never mutate it in place.
 */
export class HeapKeyedStateBackend {
  /** The backend's UUID: shared files are registered under it, and a backend restored from an incremental snapshot takes the snapshot's id again. */
  get backendId(): string {
    return this.id;
  }

  /** How many keys hold a value. */
  get size(): number {
    return this.count;
  }

  /** Where the files of the restore that built this backend came from; all zero for a backend that was not restored. */
  get restoreSummary(): RestoreSummary {
    return this.summary;
  }

  readonly jobId: JobId;
  readonly keyGroupRange: KeyGroupRange;
  readonly numberOfKeyGroups: number;
  readonly strategy: SnapshotStrategy;
  readonly maxSegments: number;

  private readonly storage: CheckpointStorage;
  /** How many task-local writes failed since the backend was created (each was reported). */
  get taskLocalWriteFailures(): number {
    return this.localWriteFailures;
  }

  private readonly taskLocalStorage: TaskLocalSnapshotStorage | null;
  private readonly onTaskLocalWriteFailure: (failure: TaskLocalWriteFailure) => void;
  private localWriteFailures = 0;
  private id: string = uuidv4();
  private count = 0;
  private summary: RestoreSummary = { filesFromTaskLocal: 0, filesFromDurable: 0, taskLocalProblems: [], files: [] };
  private readonly groups = new Map<number, Map<string, JsonValue>>();
  /** Incremental only: keys put or deleted since the last snapshot, with their key group. */
  private readonly dirty = new Map<string, number>();
  /** Incremental only: the segments the state consists of, in replay order. Replaced, never mutated, so a snapshot can hold on to it. */
  private segments: readonly Segment[] = [];
  /** Incremental only: the next snapshot must write a base segment because an abort or failed upload lost a base. */
  private needsBase = false;
  private lastSnapshotId = 0;

  /**
   * Creates an empty backend with a fresh UUID.
   * Throws {@link InvalidOptionError} naming the option when one is out of range.
   */
  constructor(options: HeapKeyedStateBackendOptions) {
    const { numberOfKeyGroups, keyGroupRange, strategy } = options;
    const maxSegments = options.maxSegments ?? DEFAULT_MAX_SEGMENTS;
    if (!Number.isSafeInteger(numberOfKeyGroups) || numberOfKeyGroups < 1 || numberOfKeyGroups > MAX_NUMBER_OF_KEY_GROUPS) {
      throw new InvalidOptionError('HeapKeyedStateBackendOptions.numberOfKeyGroups', `must be an integer in [1, ${MAX_NUMBER_OF_KEY_GROUPS}], got ${numberOfKeyGroups}`);
    }
    if (!Number.isSafeInteger(keyGroupRange.start) || !Number.isSafeInteger(keyGroupRange.end) || keyGroupRange.start < 0 ||
      (!KeyGroupRanges.isEmpty(keyGroupRange) && keyGroupRange.end >= numberOfKeyGroups)) {
      throw new InvalidOptionError(
        'HeapKeyedStateBackendOptions.keyGroupRange',
        `must lie inside [0, ${numberOfKeyGroups - 1}] (numberOfKeyGroups ${numberOfKeyGroups}), got [${keyGroupRange.start}, ${keyGroupRange.end}]`,
      );
    }
    if (strategy !== SnapshotStrategy.FULL && strategy !== SnapshotStrategy.INCREMENTAL) {
      throw new InvalidOptionError('HeapKeyedStateBackendOptions.strategy', `must be 'full' or 'incremental', got ${JSON.stringify(strategy)}`);
    }
    if (!Number.isSafeInteger(maxSegments) || maxSegments < 1) {
      throw new InvalidOptionError('HeapKeyedStateBackendOptions.maxSegments', `must be a positive integer, got ${maxSegments}`);
    }
    this.jobId = options.jobId;
    this.keyGroupRange = KeyGroupRanges.of(keyGroupRange.start, keyGroupRange.end);
    this.numberOfKeyGroups = numberOfKeyGroups;
    this.strategy = strategy;
    this.maxSegments = maxSegments;
    this.storage = options.storage;
    this.taskLocalStorage = options.taskLocalStorage ?? null;
    const logger = validateLogger(options.logger, 'HeapKeyedStateBackendOptions.logger');
    this.onTaskLocalWriteFailure = options.onTaskLocalWriteFailure ?? ((failure) => warnAboutTaskLocalWriteFailure(failure, logger));
  }

  /**
   * A backend holding exactly the state of `handles` (full or incremental, each lying inside
   * `options.keyGroupRange`, none overlapping another). Restored from a single incremental handle of the same
   * key-group range, the backend takes that handle's backend id again and treats its segments as confirmed,
   * so its next incremental snapshot refers to them by placeholder.
   *
   * With `localCopies` (see matchTaskLocalCopies), each file is read from its task-local copy when that copy matches the
   * durable handle and verifies, and from the durable copy otherwise; {@link restoreSummary} says which, file by file.
   *
   * Throws {@link KeyGroupRangeMismatchError} when a handle lies outside the backend's range or overlaps another,
   * {@link UnresolvedPlaceholderError} when a handle holds a placeholder, {@link KeyGroupOutOfRangeError} when a
   * stored key belongs to a key group its file does not cover, {@link IncompatibleKeyedStateError} when the
   * state was written with another number of key groups, and CorruptStateError (naming the file) when a file
   * is missing, fails verification or is malformed.
   */
  static async restore(
    options: HeapKeyedStateBackendOptions,
    handles: readonly KeyedStateHandle[],
    localCopies: TaskLocalCopySource | null = null,
  ): Promise<HeapKeyedStateBackend> {
    const backend = new HeapKeyedStateBackend(options);
    await backend.restoreFromHandles(handles, localCopies);
    return backend;
  }

  /** The value of `key`, or undefined. Throws {@link KeyGroupOutOfRangeError} when the key belongs to a key group this backend does not own. */
  get(key: string): JsonValue | undefined {
    return this.groups.get(this.keyGroupOf(key))?.get(key);
  }

  /** Sets the value of `key`. Throws {@link KeyGroupOutOfRangeError} when the key belongs to a key group this backend does not own. */
  put(key: string, value: JsonValue): void {
    const keyGroup = this.keyGroupOf(key);
    let group = this.groups.get(keyGroup);
    if (group === undefined) {
      group = new Map();
      this.groups.set(keyGroup, group);
    }
    if (!group.has(key)) this.count += 1;
    group.set(key, value);
    if (this.strategy === SnapshotStrategy.INCREMENTAL) this.dirty.set(key, keyGroup);
  }

  /** Removes `key`; returns whether it held a value. Throws {@link KeyGroupOutOfRangeError} when the key belongs to a key group this backend does not own. */
  delete(key: string): boolean {
    const keyGroup = this.keyGroupOf(key);
    if (this.groups.get(keyGroup)?.delete(key) !== true) return false;
    this.count -= 1;
    if (this.strategy === SnapshotStrategy.INCREMENTAL) this.dirty.set(key, keyGroup);
    return true;
  }

  /** Every key and value, key group by key group. */
  *entries(): Generator<[string, JsonValue], void, undefined> {
    for (const group of this.groups.values()) yield* group.entries();
  }

  /**
   * Snapshots the state as it is when called (later changes are not included) and writes it to storage, and to
   * task-local storage when configured. `taskLocalSnapshot` is null when task-local storage is not configured or
   * a task-local write failed (the failure is counted and reported, never thrown). With `options.full`, an incremental
   * snapshot uploads the whole state as a new base segment and references no earlier segment (the job does not own
   * the checkpoint it was restored from). Throws a RangeError when `checkpointId` is not greater than the id of the previous
   * snapshot (or of the restored checkpoint); rejects when a durable write fails.
   */
  snapshot(checkpointId: CheckpointId, options: { readonly full?: boolean } = {}): Promise<SnapshotResult<KeyedStateHandle>> {
    if (!Number.isSafeInteger(checkpointId) || checkpointId <= this.lastSnapshotId) {
      throw new RangeError(`HeapKeyedStateBackend.snapshot: checkpointId must be an integer greater than ${this.lastSnapshotId} (the previous snapshot or restored checkpoint), got ${checkpointId}`);
    }
    this.lastSnapshotId = checkpointId;
    if (options.full === true) this.needsBase = true;
    return this.strategy === SnapshotStrategy.FULL ? this.snapshotFull(checkpointId) : this.snapshotIncremental(checkpointId);
  }

  /**
   * The checkpoint completed: the coordinator has registered the shared files it references, so this snapshot's
   * segments, and those of every earlier snapshot still in use, may from now on be sent as placeholders.
   */
  notifyCheckpointComplete(checkpointId: CheckpointId): void {
    for (const segment of this.segments) {
      // The task-local store drops the local directories of checkpoints older than a completed one.
      segment.localCopies = segment.localCopies.filter((copy) => copy.checkpointId >= checkpointId);
      if (!segment.confirmed && segment.uploadedBy !== null && segment.uploadedBy <= checkpointId) {
        segment.confirmed = true;
        segment.changedKeys = null;
      }
    }
  }

  /**
   * The checkpoint was aborted: the segments its snapshot uploaded may be deleted by the coordinator, so the
   * backend stops relying on them. Their changes go into the next snapshot again (or it writes a base segment).
   */
  notifyCheckpointAborted(checkpointId: CheckpointId): void {
    for (const segment of this.segments) {
      // The task-local store drops the local directory of an aborted checkpoint.
      segment.localCopies = segment.localCopies.filter((copy) => copy.checkpointId !== checkpointId);
      if (!segment.confirmed && segment.uploadedBy === checkpointId) this.forget(segment);
    }
  }

  private keyGroupOf(key: string): number {
    return keyGroupInRange(key, this.numberOfKeyGroups, this.keyGroupRange, `keyed state backend ${this.id}`);
  }

  private async snapshotFull(checkpointId: CheckpointId): Promise<SnapshotResult<KeyGroupsStateHandle>> {
    const keyGroupRange = this.keyGroupRange;
    const { bytes, offsets } = encodeKeyGroupsStream({ numberOfKeyGroups: this.numberOfKeyGroups, keyGroupRange }, (keyGroup) => this.groups.get(keyGroup)?.entries() ?? []);
    const name = `keyed-${this.id}`;
    const [durable, local] = await Promise.all([
      this.storage.writeExclusiveFile(this.jobId, checkpointId, name, bytes),
      this.writeTaskLocal(checkpointId, name, (storage) => storage.writeFile(checkpointId, name, bytes)),
    ]);
    const handle = (stream: StreamStateHandle): KeyGroupsStateHandle => ({ kind: 'key-groups', keyGroupRange, offsets, stream });
    return { jobManagerOwnedSnapshot: handle(durable), taskLocalSnapshot: local === null ? null : handle(local) };
  }

  private async snapshotIncremental(checkpointId: CheckpointId): Promise<SnapshotResult<IncrementalKeyedStateHandle>> {
    if (this.segments.length === 0 || this.needsBase || this.dirty.size > 0) {
      const base = this.segments.length === 0 || this.needsBase || this.segments.length + 1 > this.maxSegments;
      const segment = base ? this.uploadBase(checkpointId) : this.uploadDelta(checkpointId);
      this.segments = base ? [segment] : [...this.segments, segment];
      this.dirty.clear();
      this.needsBase = false;
    }
    const segments = this.segments;
    if (this.taskLocalStorage !== null) {
      for (const segment of segments) if (!segment.localCopies.some((copy) => copy.checkpointId === checkpointId)) this.linkTaskLocal(segment, checkpointId);
    }
    const backendId = this.id;
    const keyGroupRange = this.keyGroupRange;
    const metaBytes = encodeMeta({ backendId, numberOfKeyGroups: this.numberOfKeyGroups, keyGroupRange, checkpointId, segments: segments.map((s) => s.handleId) });
    const metaState: ByteStreamStateHandle = { kind: 'bytes', handleName: `keyed-meta-${backendId}-${checkpointId}`, data: Buffer.from(metaBytes).toString('base64'), size: metaBytes.byteLength };
    const [durables, locals] = await Promise.all([Promise.all(segments.map((s) => s.durable)), Promise.all(segments.map((s) => localCopyIn(s, checkpointId)))]);
    const handle = (sharedState: StateFileReference[]): IncrementalKeyedStateHandle => ({ kind: 'incremental', backendId, keyGroupRange, checkpointId, sharedState, privateState: [], metaState });
    const durableState = segments.map((segment, index): StateFileReference => {
      const stored = durables[index] as StreamStateHandle;
      const placeholder: PlaceholderStreamStateHandle = { kind: 'placeholder', size: stored.size };
      // A snapshot never stands in for its own uploads: the coordinator learns of them from this very handle.
      return { handleId: segment.handleId, handle: segment.confirmed && segment.uploadedBy !== checkpointId ? placeholder : stored };
    });
    const localState = this.taskLocalStorage === null || locals.some((local) => local === null)
      ? null
      : segments.map((segment, index): StateFileReference => ({ handleId: segment.handleId, handle: locals[index] as StreamStateHandle }));
    return { jobManagerOwnedSnapshot: handle(durableState), taskLocalSnapshot: localState === null ? null : handle(localState) };
  }

  private uploadBase(checkpointId: CheckpointId): Segment {
    const puts: KeyedEntry[] = [...this.entries()];
    return this.upload(checkpointId, encodeSegment({ numberOfKeyGroups: this.numberOfKeyGroups, base: true, puts, deletes: [] }), BASE);
  }

  private uploadDelta(checkpointId: CheckpointId): Segment {
    const puts: KeyedEntry[] = [];
    const deletes: string[] = [];
    for (const [key, keyGroup] of this.dirty) {
      const value = this.groups.get(keyGroup)?.get(key);
      if (value === undefined) deletes.push(key);
      else puts.push([key, value]);
    }
    return this.upload(checkpointId, encodeSegment({ numberOfKeyGroups: this.numberOfKeyGroups, base: false, puts, deletes }), new Set(this.dirty.keys()));
  }

  private upload(checkpointId: CheckpointId, bytes: Uint8Array, changedKeys: ReadonlySet<string> | typeof BASE): Segment {
    const handleId = uuidv4();
    const durable = (async () => this.storage.writeSharedFile(this.jobId, handleId, bytes))();
    const local = this.writeTaskLocal(checkpointId, handleId, (storage) => storage.writeFile(checkpointId, handleId, bytes));
    const segment: Segment = { handleId, uploadedBy: checkpointId, durable, localCopies: [{ checkpointId, handle: local }], confirmed: false, changedKeys };
    // The snapshot awaiting `durable` reports the failure; the backend only stops relying on the lost segment.
    durable.catch(() => this.forget(segment));
    return segment;
  }

  /** Stops relying on an unconfirmed segment: its keys become dirty again, or the next snapshot writes a base. */
  private forget(segment: Segment): void {
    if (!this.segments.includes(segment)) return;
    this.segments = this.segments.filter((s) => s !== segment);
    const changed = segment.changedKeys;
    if (changed === BASE || changed === null) {
      this.needsBase = true;
      return;
    }
    for (const key of changed) this.dirty.set(key, hashKey(key) % this.numberOfKeyGroups);
  }

  /** Writes a task-local copy; a failure only costs the local copy, never the checkpoint, and is counted and reported. */
  private async writeTaskLocal(
    checkpointId: CheckpointId,
    file: string,
    write: (storage: TaskLocalSnapshotStorage) => Promise<FileStateHandle>,
  ): Promise<FileStateHandle | null> {
    if (this.taskLocalStorage === null) return null;
    try {
      return await write(this.taskLocalStorage);
    } catch (error) {
      this.localWriteFailures += 1;
      this.onTaskLocalWriteFailure({ jobId: this.jobId, checkpointId, file, error });
      return null;
    }
  }

  /**
   * Links a segment's task-local copy into `checkpointId`'s local directory: from its newest copy, or from an older
   * one when a newer directory is gone. No copy to link from (all writes failed, already reported) gives no copy.
   */
  private linkTaskLocal(segment: Segment, checkpointId: CheckpointId): void {
    const sources = [...segment.localCopies].reverse();
    const link = async (): Promise<FileStateHandle | null> => {
      const handles = (await Promise.all(sources.map((copy) => copy.handle))).filter((handle): handle is FileStateHandle => handle !== null);
      if (handles.length === 0) return null;
      return this.writeTaskLocal(checkpointId, segment.handleId, async (storage) => {
        let lastError: unknown;
        for (const source of handles) {
          try {
            return await storage.linkFile(source, checkpointId);
          } catch (error) {
            lastError = error;
          }
        }
        throw lastError;
      });
    };
    segment.localCopies.push({ checkpointId, handle: link() });
  }

  private async restoreFromHandles(handles: readonly KeyedStateHandle[], localCopies: TaskLocalCopySource | null): Promise<void> {
    handles.forEach((handle, index) => {
      if (!KeyGroupRanges.covers(this.keyGroupRange, handle.keyGroupRange)) {
        throw new KeyGroupRangeMismatchError(handle.keyGroupRange, this.keyGroupRange, 'the handle must lie inside the backend\'s range (was the state assigned to the wrong subtask after rescaling?)');
      }
      const other = handles.slice(0, index).find((earlier) => KeyGroupRanges.overlaps(earlier.keyGroupRange, handle.keyGroupRange));
      if (other !== undefined) {
        throw new KeyGroupRangeMismatchError(handle.keyGroupRange, this.keyGroupRange, `another handle also covers key groups ${KeyGroupRanges.format(other.keyGroupRange)}; each key group must be restored from one handle`);
      }
    });
    const summary: MutableSummary = { filesFromTaskLocal: 0, filesFromDurable: 0, taskLocalProblems: [], files: [] };
    const reader: FileReader = { localCopies, summary };
    const restored = await Promise.all(handles.map((handle) =>
      handle.kind === 'key-groups' ? this.readFullHandle(handle, reader) : this.readIncrementalHandle(handle, reader)));
    for (const { entries } of restored) {
      for (const [key, value] of entries) this.put(key, value);
    }
    this.dirty.clear();
    summary.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    summary.taskLocalProblems.sort();
    this.summary = summary;
    for (const handle of handles) {
      if (handle.kind === 'incremental') this.lastSnapshotId = Math.max(this.lastSnapshotId, handle.checkpointId);
    }
    const only = handles.length === 1 ? handles[0] : undefined;
    const segments = restored[0]?.segments;
    if (only?.kind === 'incremental' && segments !== undefined && segments !== null && KeyGroupRanges.equals(only.keyGroupRange, this.keyGroupRange)) {
      this.id = only.backendId;
      const restoredFrom = only.checkpointId;
      this.segments = segments.map((segment) => this.takeOver(segment, restoredFrom));
    }
  }

  /**
   * A restored segment the backend keeps building on: confirmed, with a task-local copy when task-local storage is
   * configured (the file it was read from, or a new copy in the restored checkpoint's local directory).
   */
  private takeOver({ handleId, handle, read }: RestoredSegment, restoredFrom: CheckpointId): Segment {
    const local: Promise<FileStateHandle | null> = read.local !== null
      ? Promise.resolve(read.local)
      : this.writeTaskLocal(restoredFrom, handleId, (storage) => storage.writeFile(restoredFrom, handleId, read.bytes));
    return { handleId, uploadedBy: null, durable: Promise.resolve(handle), localCopies: [{ checkpointId: restoredFrom, handle: local }], confirmed: true, changedKeys: null };
  }

  private async readFullHandle(handle: KeyGroupsStateHandle, reader: FileReader): Promise<{ entries: KeyedEntry[]; segments: null }> {
    const source = describe(handle.stream);
    const read = await this.read(handle.stream, reader);
    const { header, keyGroups } = decodeKeyGroupsStream(source, read.bytes, handle.offsets, handle.keyGroupRange);
    this.checkNumberOfKeyGroups(source, header.numberOfKeyGroups);
    const entries: KeyedEntry[] = [];
    for (const { keyGroup, entries: stored } of keyGroups) {
      for (const entry of stored) {
        keyGroupInRange(entry[0], this.numberOfKeyGroups, KeyGroupRanges.of(keyGroup, keyGroup), `key group ${keyGroup} of state file ${source}`);
        entries.push(entry);
      }
    }
    return { entries, segments: null };
  }

  private async readIncrementalHandle(
    handle: IncrementalKeyedStateHandle,
    reader: FileReader,
  ): Promise<{ entries: Iterable<KeyedEntry>; segments: readonly RestoredSegment[] }> {
    const metaSource = describe(handle.metaState);
    const meta = decodeMeta(metaSource, (await this.read(handle.metaState, reader)).bytes);
    if (meta.backendId !== handle.backendId || meta.checkpointId !== handle.checkpointId || !KeyGroupRanges.equals(meta.keyGroupRange, handle.keyGroupRange)) {
      throw new CorruptStateError(metaSource, `meta stream describes backend ${meta.backendId}, checkpoint ${meta.checkpointId}, key groups ${KeyGroupRanges.format(meta.keyGroupRange)} but its handle says backend ${handle.backendId}, checkpoint ${handle.checkpointId}, key groups ${KeyGroupRanges.format(handle.keyGroupRange)}`);
    }
    this.checkNumberOfKeyGroups(metaSource, meta.numberOfKeyGroups);
    if (handle.privateState.length > 0) {
      throw new IncompatibleKeyedStateError(metaSource, `incremental handle of backend ${handle.backendId} holds ${handle.privateState.length} private files; this backend writes none and cannot read them`);
    }
    const byId = new Map<string, StateFileReference['handle']>(handle.sharedState.map((ref) => [ref.handleId, ref.handle]));
    if (byId.size !== handle.sharedState.length || byId.size !== meta.segments.length || !meta.segments.every((id) => byId.has(id))) {
      throw new CorruptStateError(metaSource, `meta stream lists segments [${meta.segments.join(', ')}] but the handle holds [${handle.sharedState.map((ref) => ref.handleId).join(', ')}]`);
    }
    const files = meta.segments.map((handleId) => {
      const file = byId.get(handleId) as StateFileReference['handle'];
      if (file.kind === 'placeholder') throw new UnresolvedPlaceholderError(handle.backendId, handleId, handle.checkpointId);
      return { handleId, handle: file };
    });
    const segments = await Promise.all(files.map(async (file): Promise<RestoredSegment> => ({ ...file, read: await this.read(file.handle, reader) })));
    const state = new Map<string, JsonValue>();
    for (const segment of segments) {
      const source = describe(segment.handle);
      const content = decodeSegment(source, segment.read.bytes);
      this.checkNumberOfKeyGroups(source, content.numberOfKeyGroups);
      if (content.base) state.clear();
      for (const key of content.deletes) state.delete(key);
      for (const [key, value] of content.puts) {
        keyGroupInRange(key, this.numberOfKeyGroups, handle.keyGroupRange, `state file ${source}`);
        state.set(key, value);
      }
    }
    return { entries: state.entries(), segments };
  }

  private async read(handle: StreamStateHandle, { localCopies, summary }: FileReader): Promise<ReadResult> {
    if (handle.kind === 'bytes') {
      const bytes = Uint8Array.from(Buffer.from(handle.data, 'base64'));
      if (bytes.byteLength !== handle.size) throw new CorruptStateError(describe(handle), `expected ${handle.size} bytes, found ${bytes.byteLength}`);
      return { bytes, local: null };
    }
    let reason: string | null = null;
    if (localCopies !== null) {
      const local = await localCopies.read(handle);
      if (local.used) {
        summary.filesFromTaskLocal += 1;
        summary.files.push({ path: handle.path, source: RestoredFileSource.TASK_LOCAL, localPath: local.local.path, reason: null });
        return { bytes: local.bytes, local: local.local };
      }
      reason = local.reason;
      if (local.rejected) summary.taskLocalProblems.push(`${handle.path}: ${local.reason}`);
    }
    const bytes = await this.storage.readFile(handle);
    summary.filesFromDurable += 1;
    summary.files.push({ path: handle.path, source: RestoredFileSource.DURABLE, localPath: null, reason });
    return { bytes, local: null };
  }

  private checkNumberOfKeyGroups(source: string, written: number): void {
    if (written !== this.numberOfKeyGroups) {
      throw new IncompatibleKeyedStateError(source, `state was written with numberOfKeyGroups ${written} but the backend has ${this.numberOfKeyGroups}; the max parallelism must not change across restores`);
    }
  }
}

type MutableSummary = { filesFromTaskLocal: number; filesFromDurable: number; taskLocalProblems: string[]; files: RestoredFile[] };

/** How one restore reads files: where it may find task-local copies, and the summary it fills in. */
interface FileReader {
  readonly localCopies: TaskLocalCopySource | null;
  readonly summary: MutableSummary;
}

/** The segment's task-local copy in `checkpointId`'s directory, or null when it has none there. */
function localCopyIn(segment: Segment, checkpointId: CheckpointId): Promise<FileStateHandle | null> {
  return segment.localCopies.find((copy) => copy.checkpointId === checkpointId)?.handle ?? Promise.resolve(null);
}

function describe(handle: StreamStateHandle): string {
  return handle.kind === 'file' ? handle.path : `inline state ${handle.handleName}`;
}
