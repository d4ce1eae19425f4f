import { expect } from 'chai';
import { RecordingLogger } from '../../src/testing/recording-logger.js';
import fc from 'fast-check';
import sinon from 'sinon';
import { asCheckpointId, asJobId, type CheckpointId } from '../../src/core/ids.js';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import type { JsonValue } from '../../src/core/json.js';
import {
  HeapKeyedStateBackend,
  IncompatibleKeyedStateError,
  RestoredFileSource,
  SnapshotStrategy,
  UnresolvedPlaceholderError,
  type HeapKeyedStateBackendOptions,
} from '../../src/backend/heap-keyed-state-backend.js';
import { assignKeyGroup, KeyGroupOutOfRangeError, KeyGroupRangeMismatchError, KeyGroupRanges } from '../../src/state/key-groups.js';
import { encodeKeyGroupsStream, encodeSegment } from '../../src/backend/keyed-state-format.js';
import type {
  FileStateHandle,
  IncrementalKeyedStateHandle,
  KeyedStateHandle,
  KeyGroupRange,
  KeyGroupsStateHandle,
  StateFileReference,
  StreamStateHandle,
} from '../../src/state/state-handles.js';
import { matchTaskLocalCopies, type TaskLocalCopyRejection } from '../../src/backend/task-local-copies.js';
import type { TaskLocalWriteFailure } from '../../src/backend/task-local-write-failure.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';
import { InMemoryCheckpointStorage } from '../../src/storage/in-memory-checkpoint-storage.js';
import { FailingWriteTaskLocalStorage } from '../support/failing-write-task-local-storage.js';
import { InMemoryTaskLocalStorage } from '../support/in-memory-task-local-storage.js';

const JOB = asJobId('job-1');
const NUMBER_OF_KEY_GROUPS = 16;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const id = (value: number): CheckpointId => asCheckpointId(value);

function options(overrides: Partial<HeapKeyedStateBackendOptions> = {}): HeapKeyedStateBackendOptions {
  return {
    jobId: JOB,
    keyGroupRange: KeyGroupRanges.of(0, NUMBER_OF_KEY_GROUPS - 1),
    numberOfKeyGroups: NUMBER_OF_KEY_GROUPS,
    storage: new InMemoryCheckpointStorage(),
    strategy: SnapshotStrategy.INCREMENTAL,
    ...overrides,
  };
}

/** A backend filled with `entries`. */
function aBackend(config: HeapKeyedStateBackendOptions, entries: Record<string, JsonValue> = {}): HeapKeyedStateBackend {
  const backend = new HeapKeyedStateBackend(config);
  for (const [key, value] of Object.entries(entries)) backend.put(key, value);
  return backend;
}

/** What a handle looks like after travelling through an acknowledgement and checkpoint metadata. */
function viaJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function contentOf(backend: HeapKeyedStateBackend): Map<string, JsonValue> {
  return new Map(backend.entries());
}

/** Entries sorted by key: chai compares Maps by sorting entries as strings, which fails for values like `{ toString: {} }`. */
function sortedEntries(state: ReadonlyMap<string, JsonValue>): Array<[string, JsonValue]> {
  return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function incremental(handle: KeyedStateHandle): IncrementalKeyedStateHandle {
  if (handle.kind !== 'incremental') throw new Error(`expected an incremental handle, got ${handle.kind}`);
  return handle;
}

function full(handle: KeyedStateHandle): KeyGroupsStateHandle {
  if (handle.kind !== 'key-groups') throw new Error(`expected a key-groups handle, got ${handle.kind}`);
  return handle;
}

function fileOf(handle: StreamStateHandle | { kind: 'placeholder' }): FileStateHandle {
  if (handle.kind !== 'file') throw new Error(`expected a file handle, got ${handle.kind}`);
  return handle;
}

/** The coordinator's side of shared state in these specs: the full handles of completed checkpoints, by backend and handle id. */
class RegisteredFiles {
  private readonly files = new Map<string, StreamStateHandle>();

  register(handle: KeyedStateHandle): void {
    if (handle.kind !== 'incremental') return;
    for (const ref of handle.sharedState) {
      const key = `${handle.backendId}/${ref.handleId}`;
      if (ref.handle.kind === 'placeholder') expect(this.files.has(key), `placeholder ${ref.handleId} resolves`).to.equal(true);
      else if (!this.files.has(key)) this.files.set(key, ref.handle);
    }
  }

  has(backendId: string, handleId: string): boolean {
    return this.files.has(`${backendId}/${handleId}`);
  }

  /** The handle with every placeholder replaced by the registered file, as the coordinator sends it in RestoreState. */
  resolve(handle: KeyedStateHandle): KeyedStateHandle {
    if (handle.kind !== 'incremental') return handle;
    return {
      ...handle,
      sharedState: handle.sharedState.map((ref) => {
        if (ref.handle.kind !== 'placeholder') return ref;
        const file = this.files.get(`${handle.backendId}/${ref.handleId}`);
        if (file === undefined) throw new Error(`placeholder ${ref.handleId} of checkpoint ${handle.checkpointId} resolves to nothing`);
        return { handleId: ref.handleId, handle: file };
      }),
    };
  }
}

/** The first keys `prefix0`, `prefix1`, ... whose key group lies in `range`. */
function keysIn(range: KeyGroupRange, count: number, prefix = 'key-'): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i += 1) {
    const key = `${prefix}${i}`;
    if (KeyGroupRanges.contains(range, assignKeyGroup(key, NUMBER_OF_KEY_GROUPS))) keys.push(key);
  }
  return keys;
}

async function expectRejection<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E, message: string): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    expect((error as Error).message).to.include(message);
    return error as E;
  }
  throw new Error(`expected a rejection with ${type.name}`);
}

describe('HeapKeyedStateBackend', () => {
  afterEach(() => sinon.restore());

  describe('reading and writing', () => {
    it('keeps the latest value of each key and forgets deleted keys', () => {
      const backend = aBackend(options(), { a: 1, b: { nested: [true, null] } });
      backend.put('a', 'replaced');
      expect(backend.delete('b')).to.equal(true);
      expect(backend.delete('never-there')).to.equal(false);
      expect(backend.get('a')).to.equal('replaced');
      expect(backend.get('b')).to.equal(undefined);
      expect(backend.size).to.equal(1);
      expect(contentOf(backend)).to.deep.equal(new Map([['a', 'replaced']]));
    });

    it('starts with a fresh UUID as backend id', () => {
      const first = new HeapKeyedStateBackend(options());
      const second = new HeapKeyedStateBackend(options());
      expect(first.backendId).to.match(UUID_V4);
      expect(second.backendId).to.match(UUID_V4);
      expect(first.backendId).to.not.equal(second.backendId);
    });

    it('fails loudly, naming the key, its key group and the range, when a key belongs to a key group it does not own', () => {
      const backend = aBackend(options({ keyGroupRange: KeyGroupRanges.of(0, 7) }));
      const [foreign] = keysIn(KeyGroupRanges.of(8, 15), 1);
      const keyGroup = assignKeyGroup(foreign as string, NUMBER_OF_KEY_GROUPS);
      const expected = `key "${foreign}" belongs to key group ${keyGroup}, outside the key-group range [0, 7] of keyed state backend ${backend.backendId}`;
      expect(() => backend.put(foreign as string, 1)).to.throw(KeyGroupOutOfRangeError, expected);
      expect(() => backend.get(foreign as string)).to.throw(KeyGroupOutOfRangeError, expected);
      expect(() => backend.delete(foreign as string)).to.throw(KeyGroupOutOfRangeError, expected);
      expect(backend.size).to.equal(0);
    });

    it('refuses options out of range, naming the option', () => {
      expect(() => new HeapKeyedStateBackend(options({ numberOfKeyGroups: 0 }))).to.throw(InvalidOptionError, 'HeapKeyedStateBackendOptions.numberOfKeyGroups must be an integer in [1, 32768], got 0');
      expect(() => new HeapKeyedStateBackend(options({ keyGroupRange: { start: 0, end: 16 } }))).to.throw(InvalidOptionError, 'HeapKeyedStateBackendOptions.keyGroupRange must lie inside [0, 15]');
      expect(() => new HeapKeyedStateBackend(options({ maxSegments: 0 }))).to.throw(InvalidOptionError, 'HeapKeyedStateBackendOptions.maxSegments must be a positive integer, got 0');
    });

    it('refuses a snapshot whose checkpoint id does not exceed the previous one', async () => {
      const backend = aBackend(options());
      await backend.snapshot(id(2));
      expect(() => backend.snapshot(id(2))).to.throw(RangeError, 'checkpointId must be an integer greater than 2 (the previous snapshot or restored checkpoint), got 2');
    });
  });

  describe('full snapshots', () => {
    it('restores exactly the snapshotted values, deletes included, from a handle that went through JSON', async () => {
      const config = options({ strategy: SnapshotStrategy.FULL });
      const backend = aBackend(config, { a: 1, b: 'two', c: [3], gone: true });
      backend.delete('gone');
      const { jobManagerOwnedSnapshot, taskLocalSnapshot } = await backend.snapshot(id(1));
      backend.put('after-the-snapshot', 1);
      backend.put('a', 'changed after the snapshot');

      const restored = await HeapKeyedStateBackend.restore(config, [viaJson(jobManagerOwnedSnapshot)]);

      expect(contentOf(restored)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 'two'], ['c', [3]]]));
      expect(taskLocalSnapshot).to.equal(null);
    });

    it('writes all key groups into one exclusive file of the checkpoint, with one offset per key group', async () => {
      const config = options({ strategy: SnapshotStrategy.FULL, keyGroupRange: KeyGroupRanges.of(4, 11) });
      const backend = aBackend(config, Object.fromEntries(keysIn(KeyGroupRanges.of(4, 11), 20).map((key) => [key, key])));
      const handle = full((await backend.snapshot(id(3))).jobManagerOwnedSnapshot);
      expect(handle.keyGroupRange).to.deep.equal({ start: 4, end: 11 });
      expect(handle.offsets).to.have.length(8);
      expect(fileOf(handle.stream).path).to.equal(`job-1/chk-3/keyed-${backend.backendId}`);
      expect(await config.storage.listFiles(JOB)).to.have.length(1);
    });

    it('gives a backend restored from full handles a new backend id', async () => {
      const config = options({ strategy: SnapshotStrategy.FULL });
      const backend = aBackend(config, { a: 1 });
      const restored = await HeapKeyedStateBackend.restore(config, [(await backend.snapshot(id(1))).jobManagerOwnedSnapshot]);
      expect(restored.backendId).to.match(UUID_V4);
      expect(restored.backendId).to.not.equal(backend.backendId);
    });

    it('restores from several handles that together cover the backend\'s key groups', async () => {
      const lower = KeyGroupRanges.of(0, 7);
      const upper = KeyGroupRanges.of(8, 15);
      const storage = new InMemoryCheckpointStorage();
      const left = aBackend(options({ storage, strategy: SnapshotStrategy.FULL, keyGroupRange: lower }), { [keysIn(lower, 1)[0] as string]: 'left' });
      const right = aBackend(options({ storage, strategy: SnapshotStrategy.FULL, keyGroupRange: upper }), { [keysIn(upper, 1)[0] as string]: 'right' });
      const handles = [(await left.snapshot(id(1))).jobManagerOwnedSnapshot, (await right.snapshot(id(1))).jobManagerOwnedSnapshot];

      const merged = await HeapKeyedStateBackend.restore(options({ storage, strategy: SnapshotStrategy.FULL }), handles);

      expect([...merged.entries()].map(([, value]) => value).sort()).to.deep.equal(['left', 'right']);
    });
  });

  describe('incremental snapshots', () => {
    it('restores puts and deletes (tombstones) of a chain of segments, from handles that went through JSON', async () => {
      const config = options();
      const registered = new RegisteredFiles();
      const backend = aBackend(config, { a: 1, b: 2, c: 3 });
      registered.register(viaJson((await backend.snapshot(id(1))).jobManagerOwnedSnapshot));
      backend.notifyCheckpointComplete(id(1));
      backend.delete('b');
      backend.put('c', 'three');
      backend.put('d', 4);
      const second = viaJson((await backend.snapshot(id(2))).jobManagerOwnedSnapshot);

      const restored = await HeapKeyedStateBackend.restore(config, [viaJson(registered.resolve(second))]);

      expect(contentOf(restored)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['c', 'three'], ['d', 4]]));
      expect(incremental(second).sharedState).to.have.length(2);
      expect(incremental(second).privateState).to.deep.equal([]);
    });

    it('uploads each segment once under shared/ and describes the segment order in an inline meta stream', async () => {
      const config = options();
      const backend = aBackend(config, { a: 1 });
      const handle = incremental((await backend.snapshot(id(1))).jobManagerOwnedSnapshot);
      expect(handle).to.include({ kind: 'incremental', backendId: backend.backendId, checkpointId: 1 });
      expect(handle.metaState.kind).to.equal('bytes');
      const [segment] = handle.sharedState;
      expect(fileOf(segment?.handle ?? { kind: 'placeholder' }).path).to.equal(`job-1/shared/${segment?.handleId}`);
      expect(segment?.handleId).to.match(UUID_V4);
    });

    it('sends segments of unconfirmed snapshots with their full file handle again, and placeholders only once a checkpoint confirmed them', async () => {
      const backend = aBackend(options(), { a: 1 });
      const first = incremental((await backend.snapshot(id(1))).jobManagerOwnedSnapshot);
      backend.put('b', 2);
      const second = incremental((await backend.snapshot(id(2))).jobManagerOwnedSnapshot);
      expect(second.sharedState.map((ref) => ref.handle.kind)).to.deep.equal(['file', 'file']);
      expect(second.sharedState[0]).to.deep.equal(first.sharedState[0]);

      backend.notifyCheckpointComplete(id(1));
      backend.put('c', 3);
      const third = incremental((await backend.snapshot(id(3))).jobManagerOwnedSnapshot);

      expect(third.sharedState.map((ref) => ref.handle.kind)).to.deep.equal(['placeholder', 'file', 'file']);
      expect(third.sharedState[0]?.handle).to.deep.equal({ kind: 'placeholder', size: fileOf(first.sharedState[0]?.handle ?? { kind: 'placeholder' }).size });
    });

    it('confirms the segments of earlier snapshots too when a later checkpoint completes (subsuming contract)', async () => {
      const backend = aBackend(options(), { a: 1 });
      await backend.snapshot(id(1));
      backend.put('b', 2);
      await backend.snapshot(id(2));
      backend.notifyCheckpointComplete(id(2));
      backend.put('c', 3);
      const third = incremental((await backend.snapshot(id(3))).jobManagerOwnedSnapshot);
      expect(third.sharedState.map((ref) => ref.handle.kind)).to.deep.equal(['placeholder', 'placeholder', 'file']);
    });

    it('stops relying on the segment of an aborted checkpoint and writes its changes again', async () => {
      const config = options();
      const registered = new RegisteredFiles();
      const backend = aBackend(config, { a: 1 });
      registered.register((await backend.snapshot(id(1))).jobManagerOwnedSnapshot);
      backend.notifyCheckpointComplete(id(1));
      backend.put('b', 2);
      backend.delete('a');
      const aborted = incremental((await backend.snapshot(id(2))).jobManagerOwnedSnapshot);
      const abortedSegment = aborted.sharedState[1];
      backend.notifyCheckpointAborted(id(2));
      // The coordinator deletes what the aborted checkpoint uploaded and nobody completed references.
      await config.storage.deleteFile(fileOf(abortedSegment?.handle ?? { kind: 'placeholder' }).path);

      const third = incremental((await backend.snapshot(id(3))).jobManagerOwnedSnapshot);
      backend.notifyCheckpointComplete(id(3));
      const restored = await HeapKeyedStateBackend.restore(config, [registered.resolve(third)]);

      expect(third.sharedState.map((ref) => ref.handleId)).to.not.include(abortedSegment?.handleId);
      expect(third.sharedState.map((ref) => ref.handle.kind)).to.deep.equal(['placeholder', 'file']);
      expect(contentOf(restored)).to.deep.equal(new Map([['b', 2]]));
    });

    it('includes the segment of a snapshot still uploading in the next snapshot, with its full handle', async () => {
      const config = options();
      const backend = aBackend(config, { a: 1 });
      const first = backend.snapshot(id(1));
      backend.put('b', 2);
      const second = backend.snapshot(id(2));
      const [firstHandle, secondHandle] = (await Promise.all([first, second])).map((result) => incremental(result.jobManagerOwnedSnapshot)) as [IncrementalKeyedStateHandle, IncrementalKeyedStateHandle];

      expect(secondHandle.sharedState[0]).to.deep.equal(firstHandle.sharedState[0]);
      expect(secondHandle.sharedState.map((ref) => ref.handle.kind)).to.deep.equal(['file', 'file']);
      expect(contentOf(await HeapKeyedStateBackend.restore(config, [firstHandle]))).to.deep.equal(new Map([['a', 1]]));
      expect(contentOf(await HeapKeyedStateBackend.restore(config, [secondHandle]))).to.deep.equal(new Map([['a', 1], ['b', 2]]));
    });

    it('never sends a placeholder for its own upload, even when its checkpoint is confirmed before the upload finishes', async () => {
      const backend = aBackend(options(), { a: 1 });
      const first = backend.snapshot(id(1));
      backend.notifyCheckpointComplete(id(1));
      const handle = incremental((await first).jobManagerOwnedSnapshot);
      expect(handle.sharedState.map((ref) => ref.handle.kind)).to.deep.equal(['file']);
    });

    it('uploads nothing when nothing changed since the previous snapshot', async () => {
      const config = options();
      const backend = aBackend(config, { a: 1 });
      const first = incremental((await backend.snapshot(id(1))).jobManagerOwnedSnapshot);
      const second = incremental((await backend.snapshot(id(2))).jobManagerOwnedSnapshot);
      expect(second.sharedState.map((ref) => ref.handleId)).to.deep.equal(first.sharedState.map((ref) => ref.handleId));
      expect(await config.storage.listFiles(JOB)).to.have.length(1);
    });

    it('compacts into one new segment when the segment count would exceed maxSegments, keeping every value and every old file', async () => {
      const config = options({ maxSegments: 3 });
      const registered = new RegisteredFiles();
      const backend = aBackend(config);
      const model = new Map<string, JsonValue>();
      const counts: number[] = [];
      let compacted: IncrementalKeyedStateHandle | null = null;
      for (let checkpoint = 1; checkpoint <= 10; checkpoint += 1) {
        backend.put(`key-${checkpoint}`, checkpoint);
        model.set(`key-${checkpoint}`, checkpoint);
        if (checkpoint % 2 === 0) {
          backend.delete(`key-${checkpoint - 1}`);
          model.delete(`key-${checkpoint - 1}`);
        }
        const handle = incremental(viaJson((await backend.snapshot(id(checkpoint))).jobManagerOwnedSnapshot));
        registered.register(handle);
        backend.notifyCheckpointComplete(id(checkpoint));
        counts.push(handle.sharedState.length);
        if (checkpoint === 4) compacted = handle;
        const restored = await HeapKeyedStateBackend.restore(config, [registered.resolve(handle)]);
        expect(contentOf(restored), `state of checkpoint ${checkpoint}`).to.deep.equal(model);
      }
      expect(counts).to.deep.equal([1, 2, 3, 1, 2, 3, 1, 2, 3, 1]);
      expect(compacted?.sharedState.map((ref) => ref.handle.kind)).to.deep.equal(['file']);
      expect(await config.storage.listFiles(JOB)).to.have.length(10);
    });

    it('keeps the backend id of the incremental handle it was restored from and refers to the restored segments by placeholder', async () => {
      const config = options();
      const registered = new RegisteredFiles();
      const original = aBackend(config, { a: 1 });
      const handle = incremental(viaJson((await original.snapshot(id(1))).jobManagerOwnedSnapshot));
      registered.register(handle);

      const restored = await HeapKeyedStateBackend.restore(config, [handle]);
      restored.put('b', 2);
      const next = incremental((await restored.snapshot(id(2))).jobManagerOwnedSnapshot);

      expect(restored.backendId).to.equal(original.backendId);
      expect(next.backendId).to.equal(original.backendId);
      expect(next.sharedState.map((ref) => ref.handle.kind)).to.deep.equal(['placeholder', 'file']);
      expect(next.sharedState[0]?.handleId).to.equal(handle.sharedState[0]?.handleId);
      registered.register(next);
    });

    it('refuses a snapshot id that does not exceed the checkpoint it was restored from', async () => {
      const config = options();
      const handle = (await aBackend(config, { a: 1 }).snapshot(id(5))).jobManagerOwnedSnapshot;
      const restored = await HeapKeyedStateBackend.restore(config, [handle]);
      expect(() => restored.snapshot(id(5))).to.throw(RangeError, 'greater than 5');
    });

    it('writes the whole state into one base segment after restoring from full handles', async () => {
      const storage = new InMemoryCheckpointStorage();
      const source = aBackend(options({ storage, strategy: SnapshotStrategy.FULL }), { a: 1, b: 2 });
      const fullHandle = (await source.snapshot(id(1))).jobManagerOwnedSnapshot;
      const config = options({ storage });
      const restored = await HeapKeyedStateBackend.restore(config, [fullHandle]);
      const next = incremental((await restored.snapshot(id(2))).jobManagerOwnedSnapshot);
      const again = await HeapKeyedStateBackend.restore(config, [next]);
      expect(next.sharedState).to.have.length(1);
      expect(contentOf(again)).to.deep.equal(new Map([['a', 1], ['b', 2]]));
    });

    it('rejects the snapshot whose upload failed and still captures those changes in the next one', async () => {
      const config = options();
      const registered = new RegisteredFiles();
      const backend = aBackend(config, { a: 1 });
      registered.register((await backend.snapshot(id(1))).jobManagerOwnedSnapshot);
      backend.notifyCheckpointComplete(id(1));
      const write = sinon.stub(config.storage, 'writeSharedFile');
      write.callThrough();
      write.onFirstCall().rejects(new Error('disk full'));
      backend.put('b', 2);

      await expectRejection(backend.snapshot(id(2)), Error, 'disk full');
      const third = incremental((await backend.snapshot(id(3))).jobManagerOwnedSnapshot);
      const restored = await HeapKeyedStateBackend.restore(config, [registered.resolve(third)]);

      expect(third.sharedState.map((ref) => ref.handle.kind)).to.deep.equal(['placeholder', 'file']);
      expect(contentOf(restored)).to.deep.equal(new Map([['a', 1], ['b', 2]]));
    });
  });

  describe('restore checks', () => {
    it('refuses a handle whose key groups lie outside the backend\'s range', async () => {
      const storage = new InMemoryCheckpointStorage();
      const wide = (await aBackend(options({ storage }), { a: 1 }).snapshot(id(1))).jobManagerOwnedSnapshot;
      const narrow = options({ storage, keyGroupRange: KeyGroupRanges.of(0, 7) });
      const error = await expectRejection(
        HeapKeyedStateBackend.restore(narrow, [wide]),
        KeyGroupRangeMismatchError,
        'cannot restore keyed state of key groups [0, 15] into a backend owning [0, 7]: the handle must lie inside the backend\'s range',
      );
      expect(error.name).to.equal('KeyGroupRangeMismatchError');
    });

    it('refuses two handles covering the same key groups', async () => {
      const config = options({ strategy: SnapshotStrategy.FULL });
      const handle = (await aBackend(config, { a: 1 }).snapshot(id(1))).jobManagerOwnedSnapshot;
      await expectRejection(HeapKeyedStateBackend.restore(config, [handle, handle]), KeyGroupRangeMismatchError, 'another handle also covers key groups [0, 15]');
    });

    it('refuses a key stored under a key group it does not belong to, naming the key, the group and the file', async () => {
      const config = options({ strategy: SnapshotStrategy.FULL, keyGroupRange: KeyGroupRanges.of(0, 1) });
      const [key] = keysIn(KeyGroupRanges.of(0, 0), 1);
      // A stream that files a key of key group 0 under key group 1, as a wrong rescaling would.
      const { bytes, offsets } = encodeKeyGroupsStream({ numberOfKeyGroups: NUMBER_OF_KEY_GROUPS, keyGroupRange: KeyGroupRanges.of(0, 1) }, (keyGroup) => (keyGroup === 1 ? [[key as string, 1]] : []));
      const stream = await config.storage.writeExclusiveFile(JOB, id(1), 'misrouted', bytes);
      const handle: KeyGroupsStateHandle = { kind: 'key-groups', keyGroupRange: KeyGroupRanges.of(0, 1), offsets, stream };
      await expectRejection(
        HeapKeyedStateBackend.restore(config, [handle]),
        KeyGroupOutOfRangeError,
        `key "${key}" belongs to key group 0, outside the key-group range [1, 1] of key group 1 of state file job-1/chk-1/misrouted`,
      );
    });

    it('refuses a segment holding a key outside the handle\'s key groups', async () => {
      const config = options({ keyGroupRange: KeyGroupRanges.of(0, 7) });
      const handle = incremental((await aBackend(config, { [keysIn(KeyGroupRanges.of(0, 7), 1)[0] as string]: 1 }).snapshot(id(1))).jobManagerOwnedSnapshot);
      const [foreign] = keysIn(KeyGroupRanges.of(8, 15), 1);
      const bad = await config.storage.writeSharedFile(JOB, 'bad-segment', encodeSegment({ numberOfKeyGroups: NUMBER_OF_KEY_GROUPS, base: true, puts: [[foreign as string, 1]], deletes: [] }));
      const tampered = { ...handle, sharedState: [{ handleId: handle.sharedState[0]?.handleId as string, handle: bad }] };
      await expectRejection(HeapKeyedStateBackend.restore(config, [tampered]), KeyGroupOutOfRangeError, `key "${foreign}" belongs to key group`);
    });

    it('refuses a handle that still holds a placeholder', async () => {
      const config = options();
      const backend = aBackend(config, { a: 1 });
      await backend.snapshot(id(1));
      backend.notifyCheckpointComplete(id(1));
      backend.put('b', 2);
      const second = incremental((await backend.snapshot(id(2))).jobManagerOwnedSnapshot);
      const error = await expectRejection(HeapKeyedStateBackend.restore(config, [second]), UnresolvedPlaceholderError, `refers to shared file ${second.sharedState[0]?.handleId} by placeholder`);
      expect(error).to.include({ name: 'UnresolvedPlaceholderError', backendId: backend.backendId, checkpointId: 2 });
    });

    it('refuses state written with another number of key groups', async () => {
      const storage = new InMemoryCheckpointStorage();
      const key = ['a', 'b', 'c', 'd', 'e'].find((candidate) => assignKeyGroup(candidate, 32) < 16) as string;
      const handle = (await aBackend(options({ storage, numberOfKeyGroups: 32, keyGroupRange: KeyGroupRanges.of(0, 15) }), { [key]: 1 }).snapshot(id(1))).jobManagerOwnedSnapshot;
      await expectRejection(
        HeapKeyedStateBackend.restore(options({ storage }), [handle]),
        IncompatibleKeyedStateError,
        'state was written with numberOfKeyGroups 32 but the backend has 16',
      );
    });

    it('refuses a segment whose bytes fail verification, naming the file', async () => {
      const config = options();
      const handle = incremental((await aBackend(config, { a: 1 }).snapshot(id(1))).jobManagerOwnedSnapshot);
      const path = fileOf(handle.sharedState[0]?.handle ?? { kind: 'placeholder' }).path;
      (config.storage as InMemoryCheckpointStorage).corrupt(path, new TextEncoder().encode('NKGS\u0001{"numberOfKeyGroups":16,"base":true,"puts":[],"deletes":[]}'));
      await expectRejection(HeapKeyedStateBackend.restore(config, [handle]), CorruptStateError, path);
    });

    it('refuses a malformed segment that passes the checksum, naming the file', async () => {
      const config = options();
      const handle = incremental((await aBackend(config, { a: 1 }).snapshot(id(1))).jobManagerOwnedSnapshot);
      const garbage = await config.storage.writeSharedFile(JOB, 'garbage', new TextEncoder().encode('NKGS\u0001{"numberOfKeyGroups":16,"base":true,"puts":[["a"]]'));
      const wrongVersion = await config.storage.writeSharedFile(JOB, 'from-the-future', new TextEncoder().encode('NKGS\u0009{}'));
      const withSegment = (file: FileStateHandle): IncrementalKeyedStateHandle => ({ ...handle, sharedState: [{ handleId: handle.sharedState[0]?.handleId as string, handle: file }] });

      await expectRejection(HeapKeyedStateBackend.restore(config, [withSegment(garbage)]), CorruptStateError, 'job-1/shared/garbage: segment is not valid UTF-8 JSON');
      await expectRejection(
        HeapKeyedStateBackend.restore(config, [withSegment(wrongVersion)]),
        CorruptStateError,
        'job-1/shared/from-the-future: keyed state segment has format version 9, this reader knows only version 1',
      );
    });

    it('refuses a meta stream that lists other segments than its handle', async () => {
      const config = options();
      const handle = incremental((await aBackend(config, { a: 1 }).snapshot(id(1))).jobManagerOwnedSnapshot);
      const renamed = { ...handle, sharedState: handle.sharedState.map((ref) => ({ ...ref, handleId: 'renamed' })) };
      await expectRejection(HeapKeyedStateBackend.restore(config, [renamed]), CorruptStateError, 'but the handle holds [renamed]');
    });
  });

  describe('task-local copies', () => {
    interface LocalSnapshot {
      readonly config: HeapKeyedStateBackendOptions;
      readonly local: InMemoryTaskLocalStorage;
      readonly durable: KeyedStateHandle;
      readonly localHandle: KeyedStateHandle;
      readonly durablePaths: string[];
      readonly localPaths: string[];
    }

    /** The file paths of a handle, in the order a restore summary lists them. */
    const filePaths = (handle: KeyedStateHandle): string[] =>
      (handle.kind === 'key-groups' ? [fileOf(handle.stream).path] : handle.sharedState.map((ref) => fileOf(ref.handle).path)).sort();

    /** What the task-local store does on restore: offers the local copy of checkpoint `checkpointId`, recording rejections. */
    function copiesOf(local: InMemoryTaskLocalStorage, localState: readonly KeyedStateHandle[] | null, durable: readonly KeyedStateHandle[], rejections: TaskLocalCopyRejection[] = [], checkpointId = 1) {
      return matchTaskLocalCopies({ checkpointId: id(checkpointId), localState, durableState: durable, storage: local, onRejected: (rejection) => rejections.push(rejection) });
    }

    for (const strategy of [SnapshotStrategy.FULL, SnapshotStrategy.INCREMENTAL]) {
      describe(`with the ${strategy} strategy`, () => {
        async function snapshotWithLocalCopy(): Promise<LocalSnapshot> {
          const local = new InMemoryTaskLocalStorage();
          const config = options({ strategy, taskLocalStorage: local });
          const { jobManagerOwnedSnapshot, taskLocalSnapshot } = await aBackend(config, { a: 1, b: 'two' }).snapshot(id(1));
          expect(taskLocalSnapshot).to.not.equal(null);
          const durable = viaJson(jobManagerOwnedSnapshot);
          const localHandle = viaJson(taskLocalSnapshot as KeyedStateHandle);
          return { config, local, durable, localHandle, durablePaths: filePaths(durable), localPaths: filePaths(localHandle) };
        }

        it('writes the local copy into the checkpoint\'s own local directory, file for file like the durable copy', async () => {
          const { durable, localHandle, durablePaths, localPaths } = await snapshotWithLocalCopy();
          expect(localPaths.length).to.equal(durablePaths.length);
          for (const path of localPaths) expect(path).to.match(/^chk-1\//);
          const sizes = (handle: KeyedStateHandle) => (handle.kind === 'key-groups' ? [fileOf(handle.stream)] : handle.sharedState.map((ref) => fileOf(ref.handle))).map((file) => [file.size, file.checksum]);
          expect(sizes(localHandle)).to.deep.equal(sizes(durable));
        });

        it('restores from the task-local copy when it matches the durable handle and verifies, and says so file by file', async () => {
          const { config, local, durable, localHandle, durablePaths, localPaths } = await snapshotWithLocalCopy();
          for (const path of durablePaths) (config.storage as InMemoryCheckpointStorage).corrupt(path, new Uint8Array([1, 2, 3]));
          const restored = await HeapKeyedStateBackend.restore(config, [durable], copiesOf(local, [localHandle], [durable]));
          expect(contentOf(restored)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 'two']]));
          expect(restored.restoreSummary).to.deep.equal({
            filesFromTaskLocal: durablePaths.length,
            filesFromDurable: 0,
            taskLocalProblems: [],
            files: durablePaths.map((path, index) => ({ path, source: RestoredFileSource.TASK_LOCAL, localPath: localPaths[index], reason: null })),
          });
        });

        it('ignores, deletes and reports a corrupted local copy, and restores from the durable copy', async () => {
          const { config, local, durable, localHandle, durablePaths, localPaths } = await snapshotWithLocalCopy();
          for (const path of localPaths) local.corrupt(path);
          const rejections: TaskLocalCopyRejection[] = [];
          const restored = await HeapKeyedStateBackend.restore(config, [durable], copiesOf(local, [localHandle], [durable], rejections));
          expect(contentOf(restored)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 'two']]));
          expect(restored.restoreSummary.filesFromDurable).to.equal(durablePaths.length);
          expect(restored.restoreSummary.filesFromTaskLocal).to.equal(0);
          expect(restored.restoreSummary.taskLocalProblems[0]).to.include(durablePaths[0]).and.to.include('checksum mismatch');
          expect(restored.restoreSummary.files.map((file) => file.source)).to.deep.equal(durablePaths.map(() => RestoredFileSource.DURABLE));
          expect(rejections.map((rejection) => [rejection.local.path, rejection.deleted]).sort()).to.deep.equal(localPaths.map((path) => [path, true]));
          // A full copy is gone; an incremental backend keeps building on the restored segments and writes them locally again, repaired.
          for (const path of localPaths) {
            if (strategy === SnapshotStrategy.FULL) expect(local.files.has(path), `${path} deleted`).to.equal(false);
            else expect(await local.readFile(fileOf((incremental(localHandle).sharedState.find((ref) => fileOf(ref.handle).path === path) as StateFileReference).handle))).to.have.length.above(3);
          }
        });

        it('ignores, deletes and reports a local copy whose checksum differs from the durable handle, without reading it', async () => {
          const { config, local, durable, localHandle, localPaths } = await snapshotWithLocalCopy();
          const forged = viaJson(durable);
          const other = forged.kind === 'key-groups'
            ? { ...forged, stream: { ...fileOf(forged.stream), checksum: '0'.repeat(64) } }
            : { ...forged, sharedState: forged.sharedState.map((ref) => ({ ...ref, handle: { ...fileOf(ref.handle), checksum: '0'.repeat(64) } })) };
          const rejections: TaskLocalCopyRejection[] = [];
          const source = copiesOf(local, [localHandle], [other], rejections);
          const read = await source.read(fileOf(other.kind === 'key-groups' ? other.stream : (other.sharedState[0] as StateFileReference).handle));
          expect(read).to.deep.include({ used: false, rejected: true });
          expect(rejections[0]?.reason).to.include('does not match the durable file');
          expect(local.files.has(localPaths[0] as string)).to.equal(false);
          expect(contentOf(await HeapKeyedStateBackend.restore(config, [durable], source))).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 'two']]));
        });

        it('ignores a local copy of another key-group range and restores from the durable copy', async () => {
          const { config, local, durable, localHandle } = await snapshotWithLocalCopy();
          const elsewhere = { ...localHandle, keyGroupRange: KeyGroupRanges.of(0, 3) } as KeyedStateHandle;
          const restored = await HeapKeyedStateBackend.restore(config, [durable], copiesOf(local, [elsewhere], [durable]));
          expect(restored.restoreSummary.filesFromTaskLocal).to.equal(0);
          expect(restored.restoreSummary.files[0]?.reason).to.equal(`the task-local copy of checkpoint 1 holds no ${durable.kind} state for key groups [0, 15]`);
          expect(restored.restoreSummary.taskLocalProblems).to.deep.equal([]);
        });

        it('restores from the durable copy when the task lost its local disk, and says why', async () => {
          const { config, durable, durablePaths } = await snapshotWithLocalCopy();
          const restored = await HeapKeyedStateBackend.restore(config, [durable], copiesOf(new InMemoryTaskLocalStorage(), null, [durable]));
          expect(contentOf(restored)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 'two']]));
          expect(restored.restoreSummary.files).to.deep.equal(durablePaths.map((path) => ({ path, source: RestoredFileSource.DURABLE, localPath: null, reason: 'no task-local copy of checkpoint 1' })));
        });

        it('a failing local write never fails the snapshot: the durable copy is complete, the failure is counted and reported', async () => {
          const failures: TaskLocalWriteFailure[] = [];
          const local = new FailingWriteTaskLocalStorage(new InMemoryTaskLocalStorage());
          const config = options({ strategy, taskLocalStorage: local, onTaskLocalWriteFailure: (failure) => failures.push(failure) });
          const backend = aBackend(config, { a: 1 });
          const { jobManagerOwnedSnapshot, taskLocalSnapshot } = await backend.snapshot(id(1));
          expect(taskLocalSnapshot).to.equal(null);
          expect(backend.taskLocalWriteFailures).to.equal(1);
          expect(failures).to.have.length(1);
          expect(failures[0]).to.deep.include({ jobId: JOB, checkpointId: 1 });
          expect(String((failures[0]?.error as Error).message)).to.include('ENOSPC');
          expect(contentOf(await HeapKeyedStateBackend.restore(options({ strategy, storage: config.storage }), [viaJson(jobManagerOwnedSnapshot)]))).to.deep.equal(new Map([['a', 1]]));
        });

        it('reports a failed local write as a warning to its logger when no reporter is given', async () => {
          const logger = new RecordingLogger();
          const config = options({ strategy, taskLocalStorage: new FailingWriteTaskLocalStorage(new InMemoryTaskLocalStorage()), logger });
          await aBackend(config, { a: 1 }).snapshot(id(1));
          expect(logger.lines).to.have.length(1);
          expect(logger.lines[0]?.level).to.equal('warn');
          expect(logger.lines[0]?.message).to.include('checkpoint 1 of job job-1').and.to.include('ENOSPC');
          expect(logger.lines[0]?.fields).to.deep.include({ code: 'NACT_CHECKPOINT_TASK_LOCAL_WRITE_FAILED', jobId: 'job-1', checkpointId: 1 });
        });
      });
    }

    describe('with the incremental strategy', () => {
      it('links the segments a snapshot reuses into that checkpoint\'s local directory, so each local copy is complete on its own', async () => {
        const local = new InMemoryTaskLocalStorage();
        const config = options({ taskLocalStorage: local });
        const registered = new RegisteredFiles();
        const backend = aBackend(config, { a: 1 });
        registered.register(viaJson((await backend.snapshot(id(1))).jobManagerOwnedSnapshot));
        backend.notifyCheckpointComplete(id(1));
        backend.put('b', 2);
        const second = await backend.snapshot(id(2));
        local.dropCheckpoint(1);
        const localHandle = incremental(second.taskLocalSnapshot as KeyedStateHandle);
        expect(localHandle.sharedState.map((ref) => fileOf(ref.handle).path.split('/')[0])).to.deep.equal(['chk-2', 'chk-2']);
        const durable = registered.resolve(viaJson(second.jobManagerOwnedSnapshot));
        const restored = await HeapKeyedStateBackend.restore(config, [durable], copiesOf(local, [localHandle], [durable], [], 2));
        expect(contentOf(restored)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 2]]));
        expect(restored.restoreSummary.filesFromTaskLocal).to.equal(2);
      });

      it('links from an older local copy when the newest one was dropped with an aborted checkpoint', async () => {
        const local = new InMemoryTaskLocalStorage();
        const backend = aBackend(options({ taskLocalStorage: local }), { a: 1 });
        await backend.snapshot(id(1));
        backend.notifyCheckpointComplete(id(1));
        await backend.snapshot(id(2));
        local.dropCheckpoint(2);
        backend.notifyCheckpointAborted(id(2));
        const third = await backend.snapshot(id(3));
        expect(third.taskLocalSnapshot).to.not.equal(null);
        expect(incremental(third.taskLocalSnapshot as KeyedStateHandle).sharedState.map((ref) => fileOf(ref.handle).path.split('/')[0])).to.deep.equal(['chk-3']);
        expect(backend.taskLocalWriteFailures).to.equal(0);
      });

      it('keeps task-local copies of the segments it was restored from the durable copy, so its next local snapshot is complete', async () => {
        const config = options({ taskLocalStorage: new InMemoryTaskLocalStorage() });
        const registered = new RegisteredFiles();
        const handle = viaJson((await aBackend(config, { a: 1 }).snapshot(id(1))).jobManagerOwnedSnapshot);
        registered.register(handle);
        const freshDisk = new InMemoryTaskLocalStorage();
        const restored = await HeapKeyedStateBackend.restore({ ...config, taskLocalStorage: freshDisk }, [handle], copiesOf(freshDisk, null, [handle]));
        restored.put('b', 2);
        const { jobManagerOwnedSnapshot, taskLocalSnapshot } = await restored.snapshot(id(2));
        const localHandle = incremental(taskLocalSnapshot as KeyedStateHandle);
        const durable = registered.resolve(viaJson(jobManagerOwnedSnapshot));
        const fromLocal = await HeapKeyedStateBackend.restore(config, [durable], copiesOf(freshDisk, [localHandle], [durable], [], 2));
        expect(contentOf(fromLocal)).to.deep.equal(new Map([['a', 1], ['b', 2]]));
        expect(fromLocal.restoreSummary.filesFromTaskLocal).to.equal(2);
      });
    });
  });

  describe('random histories', () => {
    type Operation =
      | { readonly kind: 'put'; readonly key: string; readonly value: JsonValue }
      | { readonly kind: 'delete'; readonly key: string }
      | { readonly kind: 'snapshot' }
      | { readonly kind: 'complete'; readonly pick: number }
      | { readonly kind: 'abort'; readonly pick: number }
      | { readonly kind: 'fail-and-restore' };

    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'ключ', '🔑'];
    const operation: fc.Arbitrary<Operation> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom(...keys), value: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.parse(JSON.stringify(value)) as JsonValue) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...keys) }) },
      { weight: 3, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('complete' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'fail-and-restore' as const }) },
    );

    /**
     * Plays the coordinator: completes or aborts pending checkpoints (aborting subsumed ones), registers the shared
     * files of completed checkpoints, deletes files only an aborted checkpoint uploaded, and restores the latest
     * completed checkpoint after a failure. A Map is the model of what the state must be.
     */
    async function play(strategy: SnapshotStrategy, maxSegments: number, operations: readonly Operation[]): Promise<void> {
      const config = options({ strategy, maxSegments });
      const storage = config.storage as InMemoryCheckpointStorage;
      const registered = new RegisteredFiles();
      let backend = new HeapKeyedStateBackend(config);
      let model = new Map<string, JsonValue>();
      let nextId = 1;
      const pending = new Map<number, { handle: KeyedStateHandle; model: Map<string, JsonValue> }>();
      let latest: { handle: KeyedStateHandle; model: Map<string, JsonValue> } | null = null;
      const firstUploadedBy = new Map<string, number>();
      const abortedUploads = new Set<string>();

      for (const op of operations) {
        switch (op.kind) {
          case 'put':
            backend.put(op.key, op.value);
            model.set(op.key, op.value);
            break;
          case 'delete':
            expect(backend.delete(op.key)).to.equal(model.delete(op.key));
            break;
          case 'snapshot': {
            const checkpointId = nextId++;
            const handle = viaJson((await backend.snapshot(id(checkpointId))).jobManagerOwnedSnapshot);
            if (handle.kind === 'incremental') {
              expect(handle.sharedState.length).to.be.within(1, maxSegments);
              for (const ref of handle.sharedState) {
                const unregisteredAbortedUpload = abortedUploads.has(ref.handleId) && !registered.has(handle.backendId, ref.handleId);
                expect(unregisteredAbortedUpload, 'a snapshot relies on a segment only an aborted checkpoint uploaded').to.equal(false);
                if (ref.handle.kind === 'placeholder') expect(registered.has(handle.backendId, ref.handleId), 'placeholder for an unconfirmed segment').to.equal(true);
                else if (!firstUploadedBy.has(ref.handleId)) firstUploadedBy.set(ref.handleId, checkpointId);
              }
            }
            const restored = await HeapKeyedStateBackend.restore(config, [viaJson(registered.resolve(handle))]);
            expect(sortedEntries(contentOf(restored))).to.deep.equal(sortedEntries(model));
            pending.set(checkpointId, { handle, model: new Map(model) });
            break;
          }
          case 'complete': {
            const ids = [...pending.keys()];
            if (ids.length === 0) break;
            const checkpointId = ids[op.pick % ids.length] as number;
            const completed = pending.get(checkpointId) as { handle: KeyedStateHandle; model: Map<string, JsonValue> };
            registered.register(completed.handle);
            latest = completed;
            for (const other of ids) if (other <= checkpointId) pending.delete(other);
            backend.notifyCheckpointComplete(id(checkpointId));
            for (const subsumed of ids) if (subsumed < checkpointId) backend.notifyCheckpointAborted(id(subsumed));
            break;
          }
          case 'abort': {
            const ids = [...pending.keys()];
            if (ids.length === 0) break;
            const checkpointId = ids[op.pick % ids.length] as number;
            const aborted = pending.get(checkpointId) as { handle: KeyedStateHandle };
            pending.delete(checkpointId);
            backend.notifyCheckpointAborted(id(checkpointId));
            if (aborted.handle.kind !== 'incremental') break;
            const backendId = aborted.handle.backendId;
            for (const ref of aborted.handle.sharedState) {
              if (firstUploadedBy.get(ref.handleId) !== checkpointId || registered.has(backendId, ref.handleId)) continue;
              abortedUploads.add(ref.handleId);
              const stillPending = [...pending.values()].some(({ handle }) => handle.kind === 'incremental' && handle.sharedState.some((other) => other.handleId === ref.handleId));
              if (!stillPending && ref.handle.kind === 'file') await storage.deleteFile(ref.handle.path);
            }
            break;
          }
          case 'fail-and-restore':
            pending.clear();
            backend = latest === null ? new HeapKeyedStateBackend(config) : await HeapKeyedStateBackend.restore(config, [viaJson(registered.resolve(latest.handle))]);
            model = new Map(latest?.model ?? []);
            expect(sortedEntries(contentOf(backend))).to.deep.equal(sortedEntries(model));
            if (latest?.handle.kind === 'incremental') expect(backend.backendId).to.equal(latest.handle.backendId);
            break;
        }
      }
    }

    it('restores exactly what the model holds, with placeholders only for confirmed segments and bounded segment counts', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(operation, { minLength: 10, maxLength: 60, size: 'max' }), async (maxSegments, operations) => {
          await play(SnapshotStrategy.INCREMENTAL, maxSegments, operations);
        }),
        { numRuns: 150 },
      );
    });

    it('restores exactly what the model holds with full snapshots', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 10, maxLength: 40, size: 'max' }), async (operations) => {
          await play(SnapshotStrategy.FULL, 1, operations);
        }),
        { numRuns: 50 },
      );
    });
  });
});
