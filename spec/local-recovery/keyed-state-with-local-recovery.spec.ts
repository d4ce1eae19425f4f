import { expect } from 'chai';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asCheckpointId, asJobId, type CheckpointId } from '../../src/core/ids.js';
import type { JsonValue } from '../../src/core/json.js';
import { KeyedStateWithLocalRecovery, type LocallyRecoveredBackendOptions } from '../../src/local-recovery/keyed-state-with-local-recovery.js';
import { TaskLocalStateStore } from '../../src/local-recovery/task-local-state-store.js';
import type { TaskLocalStateProblem } from '../../src/local-recovery/task-local-state-problem.js';
import { RestoredFileSource, SnapshotStrategy } from '../../src/backend/heap-keyed-state-backend.js';
import { KeyGroupRanges } from '../../src/state/key-groups.js';
import type { FileStateHandle, KeyedStateHandle, StreamStateHandle } from '../../src/state/state-handles.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

const JOB = asJobId('job-1');
const id = (value: number): CheckpointId => asCheckpointId(value);

/** The durable files of handles after placeholders were resolved, as RestoreState carries them. */
function durableFiles(handle: KeyedStateHandle): FileStateHandle[] {
  const streams: StreamStateHandle[] = handle.kind === 'key-groups' ? [handle.stream] : handle.sharedState.map((ref) => ref.handle as StreamStateHandle);
  return streams.filter((stream): stream is FileStateHandle => stream.kind === 'file').sort((a, b) => a.path.localeCompare(b.path));
}

/** Plays the coordinator's SharedStateRegistry for one task: resolves placeholders to the files earlier handles uploaded. */
class PlaceholderResolver {
  private readonly files = new Map<string, StreamStateHandle>();

  resolve(handle: KeyedStateHandle): KeyedStateHandle {
    const copy = JSON.parse(JSON.stringify(handle)) as KeyedStateHandle;
    if (copy.kind !== 'incremental') return copy;
    const sharedState = copy.sharedState.map((ref) => {
      if (ref.handle.kind !== 'placeholder') {
        this.files.set(ref.handleId, ref.handle);
        return ref;
      }
      const file = this.files.get(ref.handleId);
      if (file === undefined) throw new Error(`placeholder ${ref.handleId} resolves to nothing`);
      return { handleId: ref.handleId, handle: file };
    });
    return { ...copy, sharedState };
  }
}

for (const strategy of [SnapshotStrategy.FULL, SnapshotStrategy.INCREMENTAL]) {
  describe(`KeyedStateWithLocalRecovery (${strategy} snapshots, filesystem storage)`, () => {
    let directory: string;
    let localRoot: string;
    let durableStorage: FileSystemCheckpointStorage;
    let problems: TaskLocalStateProblem[];
    let resolver: PlaceholderResolver;

    beforeEach(async () => {
      directory = await createTemporaryDirectory();
      localRoot = join(directory, 'local');
      durableStorage = new FileSystemCheckpointStorage(join(directory, 'durable'));
      problems = [];
      resolver = new PlaceholderResolver();
    });
    afterEach(() => removeTemporaryDirectory(directory));

    const backendOptions = (): LocallyRecoveredBackendOptions => ({
      jobId: JOB, keyGroupRange: KeyGroupRanges.of(0, 7), numberOfKeyGroups: 8, storage: durableStorage, strategy,
    });

    /** A task attempt in a (possibly new) process: opens the task-local store over the local root. */
    async function aTask(): Promise<KeyedStateWithLocalRecovery> {
      const store = await TaskLocalStateStore.open({ localRootDirectory: localRoot, jobId: JOB, taskId: 'counter-0', onProblem: (problem) => problems.push(problem) });
      return new KeyedStateWithLocalRecovery(backendOptions(), store);
    }

    /** Puts the entries, snapshots, and plays the coordinator completing the checkpoint; returns the handle RestoreState would carry. */
    async function checkpoint(task: KeyedStateWithLocalRecovery, checkpointId: number, entries: Record<string, JsonValue>, complete = true): Promise<KeyedStateHandle> {
      for (const [key, value] of Object.entries(entries)) task.backend.put(key, value);
      const handle = resolver.resolve(await task.snapshot(id(checkpointId)));
      if (complete) await task.notifyCheckpointComplete(id(checkpointId));
      return handle;
    }

    const contentOf = (task: KeyedStateWithLocalRecovery): Map<string, JsonValue> => new Map(task.backend.entries());
    const localDirectories = async (): Promise<string[]> => (await readdir(join(localRoot, 'job-1', 'counter-0'))).sort();

    it('a task restarted over the same local directory restores from its local copy, file by file', async () => {
      const before = await aTask();
      await checkpoint(before, 1, { a: 1, b: 2 });
      const latest = await checkpoint(before, 2, { b: 3, c: 4 });
      // Damage the durable copy: only a restore that reads nothing durable gets the state back.
      for (const file of durableFiles(latest)) await writeFile(join(directory, 'durable', file.path), 'remote storage is down');
      const after = await aTask();
      const summary = await after.restore([latest]);
      expect(contentOf(after)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 3], ['c', 4]]));
      expect(summary.files.map((file) => [file.path, file.source])).to.deep.equal(durableFiles(latest).map((file) => [file.path, RestoredFileSource.TASK_LOCAL]));
      expect(summary.files.every((file) => file.localPath?.startsWith('chk-2/'))).to.equal(true);
      expect(problems).to.deep.equal([]);
    });

    it('a task that lost its disk restores from the durable copy, and its next local copy is complete again', async () => {
      const before = await aTask();
      await checkpoint(before, 1, { a: 1 });
      const latest = await checkpoint(before, 2, { b: 2 });
      await rm(localRoot, { recursive: true, force: true });
      const after = await aTask();
      const summary = await after.restore([latest]);
      expect(contentOf(after)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 2]]));
      expect(summary.files.map((file) => [file.source, file.reason])).to.deep.equal(durableFiles(latest).map(() => [RestoredFileSource.DURABLE, 'no task-local copy of checkpoint 2']));
      const next = await checkpoint(after, 3, { c: 3 });
      const again = await aTask();
      expect((await again.restore([next])).filesFromTaskLocal).to.equal(durableFiles(next).length);
      expect(contentOf(again)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 2], ['c', 3]]));
    });

    it('a corrupted local copy is ignored, deleted and reported, and the durable copy is used', async () => {
      const before = await aTask();
      const latest = await checkpoint(before, 1, { a: 1, b: 2 });
      const local = (await before.localStore.retrieveLocalState(id(1)))?.keyedState[0] as KeyedStateHandle;
      const [corrupted] = durableFiles(local);
      await writeFile(join(before.localStore.directory, (corrupted as FileStateHandle).path), 'bit rot');
      const after = await aTask();
      const summary = await after.restore([latest]);
      expect(contentOf(after)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 2]]));
      expect(summary.filesFromDurable).to.equal(1);
      expect(summary.files[0]?.reason).to.include(`the task-local copy ${corrupted?.path} is unusable`);
      expect(problems.map((problem) => problem.kind)).to.deep.equal(['local-copy-rejected']);
      expect(problems[0]?.message).to.include('was not used for the restore of checkpoint 1');
      expect(after.localStore.problemCounts['local-copy-rejected']).to.equal(1);
    });

    it('a failed local write never fails the checkpoint: the durable copy is acknowledged and the failure is counted and reported', async () => {
      const task = await aTask();
      await checkpoint(task, 1, { a: 1 });
      // A file where checkpoint 2's local directory must go: every local write of checkpoint 2 fails.
      await writeFile(join(task.localStore.directory, 'chk-2'), 'in the way');
      const latest = await checkpoint(task, 2, { b: 2 });
      expect(task.localStore.problemCounts['write-failed']).to.be.at.least(1);
      expect(task.localStore.checkpointsWithoutLocalCopy).to.equal(1);
      const reported = problems.map((problem) => problem.message);
      expect(reported.some((message) => /for checkpoint 2 could not be written \(.*\); the checkpoint goes on with its durable copy only/s.test(message)), reported.join('\n')).to.equal(true);
      const after = await aTask();
      const summary = await after.restore([latest]);
      expect(contentOf(after)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 2]]));
      expect(summary.filesFromTaskLocal).to.equal(0);
    });

    it('keeps only the copies a restore may still need across completions and aborts, and each stays restorable', async () => {
      const task = await aTask();
      await checkpoint(task, 1, { a: 1 });
      expect(await localDirectories()).to.deep.equal(['chk-1']);
      await checkpoint(task, 2, { b: 2 }, false);
      expect(await localDirectories()).to.deep.equal(['chk-1', 'chk-2']);
      await task.notifyCheckpointAborted(id(2));
      expect(await localDirectories()).to.deep.equal(['chk-1']);
      const third = await checkpoint(task, 3, { c: 3 }, false);
      expect(await localDirectories()).to.deep.equal(['chk-1', 'chk-3']);
      await task.notifyCheckpointComplete(id(3));
      expect(await localDirectories()).to.deep.equal(['chk-3']);
      const after = await aTask();
      expect((await after.restore([third])).filesFromTaskLocal).to.equal(durableFiles(third).length);
      expect(contentOf(after)).to.deep.equal(new Map<string, JsonValue>([['a', 1], ['b', 2], ['c', 3]]));
      expect(problems).to.deep.equal([]);
    });
  });
}
