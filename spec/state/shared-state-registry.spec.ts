import { expect } from 'chai';
import fc from 'fast-check';
import { asCheckpointId, asTaskId, type CheckpointId, type TaskId } from '../../src/core/ids.js';
import {
  describeSharedStateRegistryKey,
  parseSharedStateRegistryKey,
  sharedStateRegistryKey,
  type SharedStateRegistryKey,
} from '../../src/state/shared-state-registry-key.js';
import { SharedStateRegistry } from '../../src/state/shared-state-registry.js';
import type {
  FileStateHandle,
  IncrementalKeyedStateHandle,
  KeyGroupRange,
  PlaceholderStreamStateHandle,
  StreamStateHandle,
  TaskStateSnapshot,
} from '../../src/state/state-handles.js';
import { SharedStateOperation, UnknownSharedStateError } from '../../src/state/unknown-shared-state-error.js';

const RANGE: KeyGroupRange = { start: 0, end: 63 };
const BACKEND = 'backend-a';
const TASK = asTaskId('task-1');
const OTHER_TASK = asTaskId('task-2');

const aFile = (name: string): FileStateHandle => ({ kind: 'file', path: `job-1/shared/${name}`, size: 10, checksum: 'ab'.repeat(32) });
const aPlaceholder = (): PlaceholderStreamStateHandle => ({ kind: 'placeholder', size: 10 });
const keyOf = (handleId: string, backendId = BACKEND): SharedStateRegistryKey => sharedStateRegistryKey(backendId, RANGE, handleId);

function anIncrementalHandle(
  checkpointId: number,
  shared: Record<string, StreamStateHandle | PlaceholderStreamStateHandle>,
  backendId = BACKEND,
): IncrementalKeyedStateHandle {
  return {
    kind: 'incremental',
    backendId,
    keyGroupRange: RANGE,
    checkpointId: asCheckpointId(checkpointId),
    sharedState: Object.entries(shared).map(([handleId, handle]) => ({ handleId, handle })),
    privateState: [{ handleId: 'MANIFEST', handle: aFile(`private-${checkpointId}`) }],
    metaState: { kind: 'bytes', handleName: 'meta', data: 'AA==', size: 1 },
  };
}

const aTaskState = (...keyedState: IncrementalKeyedStateHandle[]): TaskStateSnapshot => ({ operatorState: null, keyedState });

// A registry and the handles it handed to its discard callback, in order.
function aRegistry(): { registry: SharedStateRegistry; discarded: StreamStateHandle[] } {
  const discarded: StreamStateHandle[] = [];
  return { registry: new SharedStateRegistry((handle) => discarded.push(handle)), discarded };
}

const cp = asCheckpointId;

describe('sharedStateRegistryKey', () => {
  it('gives different keys to the same file name under another backend or key-group range', () => {
    const keys = new Set([
      sharedStateRegistryKey('backend-a', { start: 0, end: 63 }, '000012.sst'),
      sharedStateRegistryKey('backend-b', { start: 0, end: 63 }, '000012.sst'),
      sharedStateRegistryKey('backend-a', { start: 64, end: 127 }, '000012.sst'),
    ]);
    expect(keys.size).to.equal(3);
  });

  it('is unambiguous: every key parses back into the parts it was built from', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer(), fc.integer(), fc.string({ minLength: 1 }), (backendId, start, end, handleId) => {
        const key = sharedStateRegistryKey(backendId, { start, end }, handleId);
        expect(parseSharedStateRegistryKey(key)).to.deep.equal({ backendId, keyGroupRange: { start, end }, handleId });
      }),
    );
  });

  it('describes a key by its parts for error messages', () => {
    expect(describeSharedStateRegistryKey(keyOf('000012.sst'))).to.equal('backend backend-a, key groups [0, 63], handle 000012.sst');
  });

  it('refuses an empty backend id, an empty handle id and fractional key groups', () => {
    expect(() => sharedStateRegistryKey('', RANGE, 'x')).to.throw(RangeError, 'sharedStateRegistryKey: backendId must not be empty');
    expect(() => sharedStateRegistryKey('b', RANGE, '')).to.throw(RangeError, 'sharedStateRegistryKey: handleId must not be empty (backend b)');
    expect(() => sharedStateRegistryKey('b', { start: 0.5, end: 3 }, 'x')).to.throw(RangeError, 'sharedStateRegistryKey: keyGroupRange bounds must be integers, got [0.5, 3] (backend b, handle x)');
  });

  it('refuses to parse a string that is not a key', () => {
    expect(() => parseSharedStateRegistryKey('9:abc[0,1]x' as SharedStateRegistryKey)).to.throw(RangeError, "'9:abc[0,1]x' is not a shared state registry key");
  });
});

describe('SharedStateRegistry', () => {
  describe('register', () => {
    it('stores a new key with a reference count of 1 and returns its handle', () => {
      const { registry, discarded } = aRegistry();
      const file = aFile('1.sst');

      expect(registry.register(keyOf('1.sst'), file, cp(1))).to.equal(file);

      expect(registry.size).to.equal(1);
      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(1);
      expect(registry.get(keyOf('1.sst'))).to.equal(file);
      expect(discarded).to.deep.equal([]);
    });

    it('counts a registration by another checkpoint and returns the stored handle', () => {
      const { registry } = aRegistry();
      const file = aFile('1.sst');
      registry.register(keyOf('1.sst'), file, cp(1));

      expect(registry.register(keyOf('1.sst'), { ...file }, cp(2))).to.equal(file);
      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(2);
    });

    it('keeps the stored handle and discards a different file arriving under the same key', () => {
      const { registry, discarded } = aRegistry();
      const first = aFile('first-upload');
      const second = aFile('second-upload');
      registry.register(keyOf('1.sst'), first, cp(1));

      expect(registry.register(keyOf('1.sst'), second, cp(2))).to.equal(first);

      expect(discarded).to.deep.equal([second]);
      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(2);
    });

    it('discards different inline bytes arriving under the same key but not equal bytes', () => {
      const { registry, discarded } = aRegistry();
      const stored: StreamStateHandle = { kind: 'bytes', handleName: 'x', data: 'AAAA', size: 3 };
      const other: StreamStateHandle = { kind: 'bytes', handleName: 'x', data: 'BBBB', size: 3 };
      registry.register(keyOf('x'), stored, cp(1));

      registry.register(keyOf('x'), { ...stored }, cp(2));
      registry.register(keyOf('x'), other, cp(3));

      expect(discarded).to.deep.equal([other]);
    });

    it('never discards a copy of the stored file, such as the same handle read back from metadata', () => {
      const { registry, discarded } = aRegistry();
      const file = aFile('1.sst');
      registry.register(keyOf('1.sst'), file, cp(1));

      registry.register(keyOf('1.sst'), JSON.parse(JSON.stringify(file)) as FileStateHandle, cp(2));

      expect(discarded).to.deep.equal([]);
    });

    it('resolves a placeholder to the stored handle', () => {
      const { registry } = aRegistry();
      const file = aFile('1.sst');
      registry.register(keyOf('1.sst'), file, cp(1));

      expect(registry.register(keyOf('1.sst'), aPlaceholder(), cp(2))).to.equal(file);
      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(2);
    });

    it('refuses a placeholder for an unknown key with an error naming the key', () => {
      const { registry } = aRegistry();

      expect(() => registry.register(keyOf('7.sst'), aPlaceholder(), cp(3)))
        .to.throw(UnknownSharedStateError)
        .that.deep.includes({ name: 'UnknownSharedStateError', key: keyOf('7.sst'), checkpointId: 3, operation: SharedStateOperation.RESOLVE_PLACEHOLDER })
        .and.has.property(
          'message',
          "checkpoint 3 refers to shared state backend backend-a, key groups [0, 63], handle 7.sst by placeholder, but no registered checkpoint holds that file (key '9:backend-a[0,63]7.sst'); the backend must upload it again or restore with its original backend id",
        );
      expect(registry.size).to.equal(0);
    });

    it('counts the same checkpoint once however often it registers a key', () => {
      const { registry } = aRegistry();
      const file = aFile('1.sst');

      registry.register(keyOf('1.sst'), file, cp(1));
      registry.register(keyOf('1.sst'), file, cp(1));
      registry.register(keyOf('1.sst'), aPlaceholder(), cp(1));

      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(1);
    });
  });

  describe('unregister', () => {
    it('decrements the count and keeps the file while another checkpoint references it', () => {
      const { registry, discarded } = aRegistry();
      registry.register(keyOf('1.sst'), aFile('1.sst'), cp(1));
      registry.register(keyOf('1.sst'), aPlaceholder(), cp(2));

      expect(registry.unregister(keyOf('1.sst'), cp(1))).to.equal(1);

      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(1);
      expect(discarded).to.deep.equal([]);
    });

    it('removes the entry and discards its file when the last checkpoint lets go', () => {
      const { registry, discarded } = aRegistry();
      const file = aFile('1.sst');
      registry.register(keyOf('1.sst'), file, cp(1));
      registry.register(keyOf('1.sst'), aPlaceholder(), cp(2));

      registry.unregister(keyOf('1.sst'), cp(2));
      expect(registry.unregister(keyOf('1.sst'), cp(1))).to.equal(0);

      expect(registry.size).to.equal(0);
      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(0);
      expect(discarded).to.deep.equal([file]);
    });

    it('ignores a checkpoint that does not reference the key, so a repeated unregistration cannot skew the count', () => {
      const { registry, discarded } = aRegistry();
      registry.register(keyOf('1.sst'), aFile('1.sst'), cp(1));
      registry.register(keyOf('1.sst'), aPlaceholder(), cp(2));

      registry.unregister(keyOf('1.sst'), cp(1));
      expect(registry.unregister(keyOf('1.sst'), cp(1))).to.equal(1);
      expect(registry.unregister(keyOf('1.sst'), cp(9))).to.equal(1);

      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(1);
      expect(discarded).to.deep.equal([]);
    });

    it('refuses an unknown key with an error naming the key', () => {
      const { registry } = aRegistry();

      expect(() => registry.unregister(keyOf('gone.sst'), cp(4)))
        .to.throw(UnknownSharedStateError)
        .that.deep.includes({ key: keyOf('gone.sst'), checkpointId: 4, operation: SharedStateOperation.UNREGISTER })
        .and.has.property(
          'message',
          "checkpoint 4 cannot be unregistered from shared state backend backend-a, key groups [0, 63], handle gone.sst: the registry holds no such key (key '9:backend-a[0,63]gone.sst'); was it unregistered twice or never registered?",
        );
    });

    it('does not discard a file whose path another entry still holds', () => {
      const { registry, discarded } = aRegistry();
      const file = aFile('shared-by-two-keys');
      registry.register(keyOf('1.sst', 'old-backend'), file, cp(1));
      registry.register(keyOf('1.sst', 'new-backend'), { ...file }, cp(2));

      registry.unregister(keyOf('1.sst', 'old-backend'), cp(1));
      expect(discarded).to.deep.equal([]);
      expect(registry.isReferenced(file)).to.equal(true);

      registry.unregister(keyOf('1.sst', 'new-backend'), cp(2));
      expect(discarded.map((handle) => (handle as FileStateHandle).path)).to.deep.equal([file.path]);
    });
  });

  it('keeps every count equal to the number of distinct checkpoints referencing it and discards exactly the released files', () => {
    type Command = { readonly register: boolean; readonly key: number; readonly checkpoint: number; readonly reupload: boolean };
    const command = fc.record({ register: fc.boolean(), key: fc.integer({ min: 0, max: 3 }), checkpoint: fc.integer({ min: 1, max: 4 }), reupload: fc.boolean() });
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands: Command[]) => {
        const { registry, discarded } = aRegistry();
        const model = new Map<number, { path: string; checkpoints: Set<number> }>();
        const expectedDiscards: string[] = [];
        let uploads = 0;
        for (const { register, key, checkpoint, reupload } of commands) {
          const registryKey = keyOf(`k${key}`);
          const entry = model.get(key);
          if (register) {
            if (entry === undefined || reupload) {
              const file = aFile(`upload-${uploads++}`);
              registry.register(registryKey, file, cp(checkpoint));
              if (entry === undefined) model.set(key, { path: file.path, checkpoints: new Set([checkpoint]) });
              else expectedDiscards.push(file.path);
            } else {
              registry.register(registryKey, aPlaceholder(), cp(checkpoint));
            }
            model.get(key)?.checkpoints.add(checkpoint);
          } else if (entry === undefined) {
            expect(() => registry.unregister(registryKey, cp(checkpoint))).to.throw(UnknownSharedStateError);
          } else {
            registry.unregister(registryKey, cp(checkpoint));
            entry.checkpoints.delete(checkpoint);
            if (entry.checkpoints.size === 0) {
              model.delete(key);
              expectedDiscards.push(entry.path);
            }
          }
          for (let k = 0; k <= 3; k++) expect(registry.referenceCount(keyOf(`k${k}`))).to.equal(model.get(k)?.checkpoints.size ?? 0);
        }
        expect(discarded.map((handle) => (handle as FileStateHandle).path)).to.deep.equal(expectedDiscards);
        expect(registry.size).to.equal(model.size);
      }),
    );
  });

  describe('registerCheckpoint', () => {
    it('registers every shared file of every task and returns the same object when nothing was replaced', () => {
      const { registry } = aRegistry();
      const states: Record<TaskId, TaskStateSnapshot> = {
        [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst'), '2.sst': aFile('2.sst') })),
        [OTHER_TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('b-1.sst') }, 'backend-b')),
      };

      expect(registry.registerCheckpoint(cp(1), states)).to.equal(states);

      expect(registry.size).to.equal(3);
      expect(registry.referenceCount(keyOf('1.sst', 'backend-b'))).to.equal(1);
    });

    it('registers only the shared state: private and meta files are not counted', () => {
      const { registry } = aRegistry();

      registry.registerCheckpoint(cp(1), { [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst') })) });

      expect([...registry.handles()]).to.deep.equal([aFile('1.sst')]);
    });

    it('replaces placeholders by the stored handles and leaves untouched tasks as they were', () => {
      const { registry } = aRegistry();
      registry.registerCheckpoint(cp(1), { [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst') })) });
      const untouched = aTaskState(anIncrementalHandle(2, { '9.sst': aFile('9.sst') }, 'backend-b'));
      const states: Record<TaskId, TaskStateSnapshot> = {
        [TASK]: aTaskState(anIncrementalHandle(2, { '1.sst': aPlaceholder(), '2.sst': aFile('2.sst') })),
        [OTHER_TASK]: untouched,
      };
      const before = JSON.stringify(states);

      const resolved = registry.registerCheckpoint(cp(2), states);

      expect(resolved).not.to.equal(states);
      expect(resolved[OTHER_TASK]).to.equal(untouched);
      const keyed = resolved[TASK]?.keyedState[0] as IncrementalKeyedStateHandle;
      expect(keyed.sharedState).to.deep.equal([
        { handleId: '1.sst', handle: aFile('1.sst') },
        { handleId: '2.sst', handle: aFile('2.sst') },
      ]);
      expect(keyed.privateState).to.deep.equal([{ handleId: 'MANIFEST', handle: aFile('private-2') }]);
      expect(JSON.stringify(states), 'the argument is not mutated').to.equal(before);
      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(2);
    });

    it('returns the stored handle in place of a different upload under a known key and discards the upload', () => {
      const { registry, discarded } = aRegistry();
      registry.registerCheckpoint(cp(1), { [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('first') })) });

      const resolved = registry.registerCheckpoint(cp(2), { [TASK]: aTaskState(anIncrementalHandle(2, { '1.sst': aFile('second') })) });

      expect((resolved[TASK]?.keyedState[0] as IncrementalKeyedStateHandle).sharedState[0]?.handle).to.deep.equal(aFile('first'));
      expect(discarded).to.deep.equal([aFile('second')]);
    });

    it('resolves a placeholder to a file uploaded by another task of the same checkpoint', () => {
      const { registry } = aRegistry();
      const states: Record<TaskId, TaskStateSnapshot> = {
        [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aPlaceholder() })),
        [OTHER_TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst') })),
      };

      const resolved = registry.registerCheckpoint(cp(1), states);

      expect((resolved[TASK]?.keyedState[0] as IncrementalKeyedStateHandle).sharedState[0]?.handle).to.deep.equal(aFile('1.sst'));
      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(1);
    });

    it('registers nothing of a checkpoint with an unknown placeholder and names that key', () => {
      const { registry, discarded } = aRegistry();
      registry.registerCheckpoint(cp(1), { [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst') })) });
      const states: Record<TaskId, TaskStateSnapshot> = {
        [TASK]: aTaskState(anIncrementalHandle(2, { '1.sst': aPlaceholder(), '2.sst': aFile('2.sst'), 'lost.sst': aPlaceholder() })),
      };

      expect(() => registry.registerCheckpoint(cp(2), states))
        .to.throw(UnknownSharedStateError, 'handle lost.sst by placeholder')
        .with.property('key', keyOf('lost.sst'));

      expect(registry.size).to.equal(1);
      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(1);
      expect(discarded).to.deep.equal([]);
    });

    it('re-registers restored checkpoints without changing any count', () => {
      const { registry } = aRegistry();
      const states = { [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst') })) };
      registry.registerCheckpoint(cp(1), states);

      registry.registerCheckpoint(cp(1), states);
      registry.registerCheckpoint(cp(1), JSON.parse(JSON.stringify(states)) as typeof states);

      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(1);
    });

    it('keeps shared files of restored checkpoints alive for the restored backend when they are subsumed (FLINK-6964)', () => {
      const stored = JSON.parse(JSON.stringify({
        1: { [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst') })) },
        2: { [TASK]: aTaskState(anIncrementalHandle(2, { '1.sst': aPlaceholder(), '2.sst': aFile('2.sst') })) },
      })) as Record<number, Record<TaskId, TaskStateSnapshot>>;
      const { registry, discarded } = aRegistry();
      // Checkpoint 2's metadata holds resolved handles in production; here the placeholder resolves against checkpoint 1.
      registry.registerCheckpoint(cp(1), stored[1] as Record<TaskId, TaskStateSnapshot>);
      registry.registerCheckpoint(cp(2), stored[2] as Record<TaskId, TaskStateSnapshot>);

      const third = { [TASK]: aTaskState(anIncrementalHandle(3, { '1.sst': aPlaceholder(), '2.sst': aPlaceholder(), '3.sst': aFile('3.sst') })) };
      registry.registerCheckpoint(cp(3), third);
      registry.unregisterCheckpoint(cp(1), stored[1] as Record<TaskId, TaskStateSnapshot>);
      registry.unregisterCheckpoint(cp(2), stored[2] as Record<TaskId, TaskStateSnapshot>);

      expect(discarded).to.deep.equal([]);
      expect([...registry.handles()].map((handle) => (handle as FileStateHandle).path).sort()).to.deep.equal(['1.sst', '2.sst', '3.sst'].map((name) => `job-1/shared/${name}`));
    });
  });

  describe('unregisterCheckpoint', () => {
    it('discards the shared files no remaining checkpoint references and keeps the others', () => {
      const { registry, discarded } = aRegistry();
      const first = { [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst'), '2.sst': aFile('2.sst') })) };
      const second = { [TASK]: aTaskState(anIncrementalHandle(2, { '2.sst': aPlaceholder(), '3.sst': aFile('3.sst') })) };
      registry.registerCheckpoint(cp(1), first);
      registry.registerCheckpoint(cp(2), second);

      registry.unregisterCheckpoint(cp(1), first);

      expect(discarded).to.deep.equal([aFile('1.sst')]);
      expect(registry.referenceCount(keyOf('2.sst'))).to.equal(1);
      expect(registry.size).to.equal(2);
    });

    it('is harmless when repeated while the keys are still registered', () => {
      const { registry, discarded } = aRegistry();
      const first = { [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst') })) };
      registry.registerCheckpoint(cp(1), first);
      registry.registerCheckpoint(cp(2), { [TASK]: aTaskState(anIncrementalHandle(2, { '1.sst': aPlaceholder() })) });

      registry.unregisterCheckpoint(cp(1), first);
      registry.unregisterCheckpoint(cp(1), first);

      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(1);
      expect(discarded).to.deep.equal([]);
    });

    it('unregisters nothing when one key is unknown and names that key', () => {
      const { registry, discarded } = aRegistry();
      registry.registerCheckpoint(cp(1), { [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst') })) });
      const claimed = { [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst'), 'never.sst': aFile('never.sst') })) };

      expect(() => registry.unregisterCheckpoint(cp(1), claimed))
        .to.throw(UnknownSharedStateError, 'handle never.sst: the registry holds no such key')
        .with.property('operation', SharedStateOperation.UNREGISTER);

      expect(registry.referenceCount(keyOf('1.sst'))).to.equal(1);
      expect(discarded).to.deep.equal([]);
    });
  });

  describe('files of an aborted checkpoint', () => {
    it('may be deleted only when no registered entry holds their path', () => {
      const { registry } = aRegistry();
      registry.registerCheckpoint(cp(1), { [TASK]: aTaskState(anIncrementalHandle(1, { '1.sst': aFile('1.sst') })) });
      const aborted = {
        [TASK]: aTaskState(anIncrementalHandle(2, { '1.sst': aFile('1.sst'), '2.sst': aFile('2.sst'), '3.sst': aPlaceholder() })),
        [OTHER_TASK]: aTaskState(anIncrementalHandle(2, { '2.sst': aFile('2.sst') }, 'backend-b')),
      };

      expect(registry.unreferencedSharedFiles(aborted)).to.deep.equal([aFile('2.sst')]);
      expect(registry.isReferenced(aFile('1.sst'))).to.equal(true);
      expect(registry.isReferenced(aFile('2.sst'))).to.equal(false);
    });
  });

  it('lists every entry with its referencing checkpoints for audits', () => {
    const { registry } = aRegistry();
    registry.register(keyOf('1.sst'), aFile('1.sst'), cp(1));
    registry.register(keyOf('1.sst'), aPlaceholder(), cp(2));
    registry.register(keyOf('2.sst'), aFile('2.sst'), cp(2));

    const entries = [...registry.entriesForAudit()];

    expect(entries).to.deep.equal([
      { key: keyOf('1.sst'), handle: aFile('1.sst'), checkpointIds: [cp(1), cp(2)] },
      { key: keyOf('2.sst'), handle: aFile('2.sst'), checkpointIds: [cp(2)] },
    ]);
    (entries[0]?.checkpointIds as CheckpointId[]).push(cp(99));
    expect(registry.referenceCount(keyOf('1.sst')), 'the listing is a copy').to.equal(2);
  });
});
