import { expect } from 'chai';
import { RecordingLogger } from '../../src/testing/recording-logger.js';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asCheckpointId, type CheckpointId } from '../../src/core/ids.js';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { TaskLocalStateStore, type TaskLocalStateStoreOptions } from '../../src/local-recovery/task-local-state-store.js';
import { TaskLocalStateStoreDisposedError } from '../../src/local-recovery/task-local-state-store-disposed-error.js';
import { TaskLocalStateProblemKind, type TaskLocalStateProblem } from '../../src/local-recovery/task-local-state-problem.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';
import { KeyGroupRanges } from '../../src/state/key-groups.js';
import { rejectionOf } from '../support/rejection-of.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

const id = (value: number): CheckpointId => asCheckpointId(value);

describe('TaskLocalStateStore', () => {
  let root: string;
  let problems: TaskLocalStateProblem[];
  const opened: TaskLocalStateStore[] = [];

  beforeEach(async () => {
    root = await createTemporaryDirectory();
    problems = [];
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.dispose().catch(() => undefined)));
    await removeTemporaryDirectory(root);
  });

  async function open(overrides: Partial<TaskLocalStateStoreOptions> = {}): Promise<TaskLocalStateStore> {
    const store = await TaskLocalStateStore.open({ localRootDirectory: root, jobId: 'job-1', taskId: 'sum-0', onProblem: (problem) => problems.push(problem), ...overrides });
    opened.push(store);
    return store;
  }

  /** Writes one local file for `checkpointId` through the store's snapshot storage and returns the task state naming it. */
  async function aLocalCopy(store: TaskLocalStateStore, checkpointId: number, content = `state of ${checkpointId}`): Promise<TaskStateSnapshot> {
    const stream = await store.snapshotStorage.writeFile(id(checkpointId), 'keyed-b1', new TextEncoder().encode(content));
    return { operatorState: null, keyedState: [{ kind: 'key-groups', keyGroupRange: KeyGroupRanges.of(0, 0), offsets: [9], stream }] };
  }

  async function stored(store: TaskLocalStateStore, checkpointId: number): Promise<TaskStateSnapshot> {
    const state = await aLocalCopy(store, checkpointId);
    expect(await store.storeLocalState(id(checkpointId), state)).to.equal(true);
    return state;
  }

  const directories = async (): Promise<string[]> => (await readdir(join(root, 'job-1', 'sum-0'))).sort();

  describe('opening', () => {
    for (const [field, value, expected] of [
      ['jobId', '../escape', 'TaskLocalStateStoreOptions.jobId must be letters, digits'],
      ['taskId', '', 'TaskLocalStateStoreOptions.taskId must be letters, digits'],
      ['localRootDirectory', '', 'TaskLocalStateStoreOptions.localRootDirectory must be a non-empty directory path, got ""'],
    ] as const) {
      it(`refuses an invalid ${field}, naming it`, async () => {
        const error = await rejectionOf(open({ [field]: value }));
        expect(error).to.be.instanceOf(InvalidOptionError);
        expect(error.message).to.include(expected);
      });
    }

    it('lays out one directory per job, per task and per checkpoint under the local root', async () => {
      const store = await open();
      await stored(store, 1);
      expect(store.directory).to.equal(join(root, 'job-1', 'sum-0'));
      expect(await readdir(join(root, 'job-1', 'sum-0', 'chk-1'))).to.have.members(['keyed-b1', '_task_local_state']);
    });
  });

  describe('store and retrieve', () => {
    it('stores by checkpoint id and retrieves what was stored; an unknown id gives none', async () => {
      const store = await open();
      const first = await stored(store, 1);
      const second = await stored(store, 2);
      expect(await store.retrieveLocalState(id(1))).to.deep.equal(first);
      expect(await store.retrieveLocalState(id(2))).to.deep.equal(second);
      expect(await store.retrieveLocalState(id(3))).to.equal(null);
      expect(store.storedCheckpointIds).to.deep.equal([1, 2]);
    });

    it('counts a checkpoint without a local copy (its local write failed) and records nothing', async () => {
      const store = await open();
      expect(await store.storeLocalState(id(1), null)).to.equal(false);
      expect(store.checkpointsWithoutLocalCopy).to.equal(1);
      expect(await store.retrieveLocalState(id(1))).to.equal(null);
    });

    it('refuses to record a copy whose files are missing, and reports it', async () => {
      const store = await open();
      const state = await aLocalCopy(store, 1);
      const [keyed] = state.keyedState;
      if (keyed?.kind !== 'key-groups' || keyed.stream.kind !== 'file') throw new Error('expected a key-groups handle with a file');
      await store.snapshotStorage.deleteFile(keyed.stream);
      expect(await store.storeLocalState(id(1), state)).to.equal(false);
      expect(await store.retrieveLocalState(id(1))).to.equal(null);
      expect(problems.map((problem) => [problem.kind, problem.checkpointId])).to.deep.equal([[TaskLocalStateProblemKind.STORE_FAILED, 1]]);
      expect(problems[0]?.message).to.include('chk-1/keyed-b1 is missing');
      expect(store.problemCounts['store-failed']).to.equal(1);
    });

    it('refuses a copy with files outside its own checkpoint directory', async () => {
      const store = await open();
      const state = await aLocalCopy(store, 1);
      expect(await store.storeLocalState(id(2), state)).to.equal(false);
      expect(problems[0]?.message).to.include('chk-1/keyed-b1 lies outside chk-2/');
    });

    it('reports a manifest that cannot be written and keeps going', async () => {
      const store = await open();
      const state = await aLocalCopy(store, 1);
      // A directory where the manifest should go: the atomic rename onto it fails.
      await mkdir(join(store.directory, 'chk-1', '_task_local_state', 'occupied'), { recursive: true });
      expect(await store.storeLocalState(id(1), state)).to.equal(false);
      expect(problems.map((problem) => problem.kind)).to.deep.equal([TaskLocalStateProblemKind.STORE_FAILED]);
      expect(problems[0]?.message).to.include('the task-local manifest of checkpoint 1 could not be written');
      expect(await store.storeLocalState(id(2), await aLocalCopy(store, 2))).to.equal(true);
    });

    it('reports problems as warnings to its logger when no reporter is given', async () => {
      const logger = new RecordingLogger();
      const store = await open({ onProblem: undefined, logger });
      const state = await aLocalCopy(store, 1);
      expect(await store.storeLocalState(id(2), state)).to.equal(false);
      expect(logger.messagesAt('warn')[0]).to.match(/^task sum-0 of job job-1: the task-local copy of checkpoint 2 is incomplete/);
      expect(logger.at('warn')[0]?.fields).to.deep.include({ code: 'NACT_CHECKPOINT_TASK_LOCAL_STATE', kind: TaskLocalStateProblemKind.STORE_FAILED, jobId: 'job-1', taskId: 'sum-0' });
    });
  });

  describe('completion, abort and dispose', () => {
    it('on completion of n drops every older copy with its directory and keeps n and newer ones', async () => {
      const store = await open();
      for (const checkpoint of [1, 2, 3, 4]) await stored(store, checkpoint);
      await store.snapshotStorage.writeFile(id(5), 'unrecorded', new Uint8Array([1]));
      await store.confirmCheckpoint(id(3));
      expect(store.storedCheckpointIds).to.deep.equal([3, 4]);
      expect(await store.retrieveLocalState(id(2))).to.equal(null);
      expect(await directories()).to.deep.equal(['chk-3', 'chk-4', 'chk-5']);
    });

    it('drops the directories of checkpoints that never recorded a copy once a later one completes', async () => {
      const store = await open();
      await store.snapshotStorage.writeFile(id(1), 'orphan', new Uint8Array([1]));
      await stored(store, 2);
      await store.confirmCheckpoint(id(2));
      expect(await directories()).to.deep.equal(['chk-2']);
    });

    it('on abort of n drops n and its directory, and refuses to record n afterwards', async () => {
      const store = await open();
      await stored(store, 1);
      const late = await aLocalCopy(store, 2);
      await store.abortCheckpoint(id(2));
      expect(await directories()).to.deep.equal(['chk-1']);
      expect(await store.storeLocalState(id(2), late)).to.equal(false);
      expect(await store.retrieveLocalState(id(2))).to.equal(null);
      expect(await directories()).to.deep.equal(['chk-1']);
      expect(store.storedCheckpointIds).to.deep.equal([1]);
    });

    it('refuses to record a copy older than a completed checkpoint', async () => {
      const store = await open();
      const old = await aLocalCopy(store, 1);
      await stored(store, 2);
      await store.confirmCheckpoint(id(2));
      expect(await store.storeLocalState(id(1), old)).to.equal(false);
      expect(store.storedCheckpointIds).to.deep.equal([2]);
    });

    it('dispose drops every copy and the task directory; the store refuses further use', async () => {
      const store = await open();
      await stored(store, 1);
      await stored(store, 2);
      await store.dispose();
      expect(await stat(store.directory).then(() => true, () => false)).to.equal(false);
      expect(await rejectionOf(store.retrieveLocalState(id(1)))).to.be.instanceOf(TaskLocalStateStoreDisposedError)
        .and.to.have.property('message', 'TaskLocalStateStore.retrieveLocalState: the task-local state store of task sum-0 (job job-1) was disposed; open a new one with TaskLocalStateStore.open');
      await store.dispose();
    });

    it('dispose leaves the other tasks of the job alone', async () => {
      const mine = await open();
      const other = await open({ taskId: 'sum-1' });
      await stored(mine, 1);
      await stored(other, 1);
      await mine.dispose();
      expect(await readdir(join(root, 'job-1'))).to.deep.equal(['sum-1']);
      expect(await other.retrieveLocalState(id(1))).to.not.equal(null);
    });
  });

  describe('a process restarted over the same directory', () => {
    it('finds the stored copies again', async () => {
      const before = await open();
      const first = await stored(before, 1);
      const second = await stored(before, 2);
      const after = await open();
      expect(after.storedCheckpointIds).to.deep.equal([1, 2]);
      expect(await after.retrieveLocalState(id(1))).to.deep.equal(first);
      expect(await after.retrieveLocalState(id(2))).to.deep.equal(second);
    });

    it('drops a copy that was never completed (no manifest) and leftover temporary files', async () => {
      const before = await open();
      await stored(before, 1);
      await aLocalCopy(before, 2);
      await writeFile(join(before.directory, 'chk-1', '.tmp-0123-keyed-b1'), 'half a write');
      const after = await open();
      expect(after.storedCheckpointIds).to.deep.equal([1]);
      expect(await directories()).to.deep.equal(['chk-1']);
      expect((await readdir(join(after.directory, 'chk-1'))).sort()).to.deep.equal(['_task_local_state', 'keyed-b1']);
      expect(problems).to.deep.equal([]);
    });

    for (const [damage, mutate, expected] of [
      ['truncated', (text: string) => text.slice(0, text.length / 2), 'not valid JSON'],
      ['altered', (text: string) => text.replace('keyed-b1', 'keyed-b2'), 'checksum mismatch'],
      ['of an unknown version', (text: string) => text.replace('"formatVersion":1', '"formatVersion":7'), 'unsupported task-local manifest format version 7'],
    ] as const) {
      it(`drops and reports a copy whose manifest is ${damage}`, async () => {
        const before = await open();
        await stored(before, 1);
        await stored(before, 2);
        const manifest = join(before.directory, 'chk-2', '_task_local_state');
        await writeFile(manifest, mutate(await readFile(manifest, 'utf8')));
        const after = await open();
        expect(after.storedCheckpointIds).to.deep.equal([1]);
        expect(await directories()).to.deep.equal(['chk-1']);
        expect(problems.map((problem) => [problem.kind, problem.checkpointId])).to.deep.equal([[TaskLocalStateProblemKind.MANIFEST_UNREADABLE, 2]]);
        expect(problems[0]?.message).to.include(manifest).and.to.include(expected);
      });
    }

    it('drops a manifest copied into another checkpoint\'s directory', async () => {
      const before = await open();
      await stored(before, 1);
      await mkdir(join(before.directory, 'chk-9'));
      await writeFile(join(before.directory, 'chk-9', '_task_local_state'), await readFile(join(before.directory, 'chk-1', '_task_local_state')));
      const after = await open();
      expect(after.storedCheckpointIds).to.deep.equal([1]);
      expect(problems[0]?.message).to.include('the manifest is of job job-1, task sum-0, checkpoint 1, not of the directory it lies in');
    });
  });
});
