import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import { asCheckpointId, asTaskId } from '../../src/core/ids.js';
import type { FileStateHandle, TaskStateSnapshot } from '../../src/state/state-handles.js';
import { AuditSubject, OrphanKind, removeOrphans, verifyCheckpoints } from '../../src/storage/checkpoint-audit.js';
import type { CheckpointStorage } from '../../src/storage/checkpoint-storage.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { InMemoryCheckpointStorage } from '../../src/storage/in-memory-checkpoint-storage.js';
import { FileSystemCheckpointIDCounter } from '../../src/storage/filesystem-checkpoint-id-counter.js';
import { OrphanRemovalRefusedError } from '../../src/storage/orphan-removal-refused-error.js';
import { aCheckpoint, A_JOB } from '../support/checkpoint-fixtures.js';
import { storagesUnderTest, type StorageUnderTest } from '../support/storages-under-test.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The state of one task of checkpoint `id`: operator state, a key-groups stream, and an incremental snapshot sharing `shared`. */
async function taskStateOf(storage: CheckpointStorage, id: number, shared: FileStateHandle): Promise<TaskStateSnapshot> {
  const checkpointId = asCheckpointId(id);
  const write = (name: string, text: string) => storage.writeExclusiveFile(A_JOB, checkpointId, name, bytesOf(text));
  return {
    operatorState: await write('op', `offset ${id}`),
    keyedState: [
      { kind: 'key-groups', keyGroupRange: { start: 0, end: 1 }, offsets: [0, 4], stream: await write('kg', 'k0v0k1v1') },
      {
        kind: 'incremental',
        backendId: 'backend-1',
        keyGroupRange: { start: 2, end: 3 },
        checkpointId,
        sharedState: [
          { handleId: 'sst-1', handle: shared },
          { handleId: 'inline', handle: { kind: 'bytes', handleName: 'small', data: 'AA==', size: 1 } },
        ],
        privateState: [{ handleId: 'manifest', handle: await write('private', `manifest ${id}`) }],
        metaState: await write('meta', 'meta'),
      },
    ],
  };
}

/** Two completed checkpoints, 2 and 3, whose metadata is stored; both reference the shared file `job-1/shared/sst-1`. */
async function aJobWithTwoCheckpoints(storage: CheckpointStorage): Promise<CompletedCheckpoint[]> {
  const shared = await storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('shared sorted strings'));
  const checkpoints: CompletedCheckpoint[] = [];
  for (const id of [2, 3]) {
    const checkpoint = aCheckpoint(id, { taskStates: { [asTaskId('map-1')]: await taskStateOf(storage, id, shared) } });
    checkpoints.push({ ...checkpoint, externalPointer: await storage.writeMetadata(checkpoint) });
  }
  return checkpoints;
}

/** Five distinct files per checkpoint (op, kg, private, meta, _metadata) plus the one shared file. */
const FILES_OF_TWO_CHECKPOINTS = 11;


for (const implementation of storagesUnderTest) {
  describe(`checkpoint audit on ${implementation.name}`, () => {
    let directory: string;
    let storage: CheckpointStorage;
    let overwrite: StorageUnderTest['overwrite'];
    beforeEach(async () => {
      directory = await createTemporaryDirectory();
      ({ storage, overwrite } = implementation.create(directory));
    });
    afterEach(async () => {
      await removeTemporaryDirectory(directory);
    });

    it('passes storage whose every referenced file is intact and referenced', async () => {
      await aJobWithTwoCheckpoints(storage);

      expect(await verifyCheckpoints({ jobId: A_JOB, storage })).to.deep.equal({
        jobId: A_JOB,
        storage: storage.description,
        checkpointsChecked: 2,
        filesChecked: FILES_OF_TWO_CHECKPOINTS,
        missing: [],
        corrupt: [],
        orphans: [],
        noCheckpoints: false,
        ok: true,
      });
    });

    it('reports a job without any checkpoint as such, not as OK', async () => {
      const report = await verifyCheckpoints({ jobId: A_JOB, storage });

      expect([report.ok, report.noCheckpoints, report.checkpointsChecked, report.filesChecked]).to.deep.equal([false, true, 0, 0]);
    });

    it('reports a deleted shared file as missing, with every checkpoint that references it', async () => {
      await aJobWithTwoCheckpoints(storage);
      await storage.deleteFile('job-1/shared/sst-1');

      const report = await verifyCheckpoints({ jobId: A_JOB, storage });

      expect(report.ok).to.equal(false);
      expect(report.missing).to.deep.equal([
        { path: 'job-1/shared/sst-1', subject: AuditSubject.STATE_FILE, checkpointIds: [2, 3], problem: `state file not found in ${storage.description} storage` },
      ]);
      expect(report.corrupt).to.deep.equal([]);
    });

    it('reports a truncated private file and a flipped byte in a key-groups stream as corrupt', async () => {
      await aJobWithTwoCheckpoints(storage);
      await overwrite('job-1/chk-2/private', bytesOf('manif'));
      await overwrite('job-1/chk-3/kg', bytesOf('k0v0k1v2'));

      const report = await verifyCheckpoints({ jobId: A_JOB, storage });

      expect(report.corrupt).to.deep.equal([
        { path: 'job-1/chk-2/private', subject: AuditSubject.STATE_FILE, checkpointIds: [2], problem: 'expected 10 bytes, found 5 (truncated or overwritten)' },
        { path: 'job-1/chk-3/kg', subject: AuditSubject.STATE_FILE, checkpointIds: [3], problem: 'checksum mismatch' },
      ]);
      expect(report.missing).to.deep.equal([]);
      expect(report.ok).to.equal(false);
    });

    it('reports a referenced task-owned file that is gone as missing', async () => {
      const taskOwned = await storage.writeTaskOwnedFile(A_JOB, 'changelog-1', bytesOf('log'));
      const checkpoint = aCheckpoint(1, { taskStates: { [asTaskId('map-1')]: { operatorState: taskOwned, keyedState: [] } } });
      await storage.writeMetadata(checkpoint);
      await storage.deleteFile(taskOwned.path);

      const report = await verifyCheckpoints({ jobId: A_JOB, storage });

      expect(report.missing.map((problem) => [problem.path, problem.checkpointIds])).to.deep.equal([['job-1/taskowned/changelog-1', [1]]]);
    });

    it('lists files no retained checkpoint references as orphans: an aborted upload and the files of a checkpoint that never completed', async () => {
      await aJobWithTwoCheckpoints(storage);
      await storage.writeSharedFile(A_JOB, 'sst-aborted', bytesOf('never used'));
      await storage.writeExclusiveFile(A_JOB, asCheckpointId(4), 'op', bytesOf('op 4'));

      const report = await verifyCheckpoints({ jobId: A_JOB, storage });

      expect(report.orphans).to.deep.equal([
        { path: 'job-1/chk-4/op', size: 4, kind: OrphanKind.UNREFERENCED },
        { path: 'job-1/shared/sst-aborted', size: 10, kind: OrphanKind.UNREFERENCED },
      ]);
      expect(report.ok).to.equal(false);
    });

    it('audits the checkpoints it is given, so the metadata and files of a subsumed checkpoint are orphans', async () => {
      const [, third] = await aJobWithTwoCheckpoints(storage);

      const report = await verifyCheckpoints({ jobId: A_JOB, storage, checkpoints: [third as CompletedCheckpoint] });

      expect(report.checkpointsChecked).to.equal(1);
      expect(report.orphans.map((orphan) => orphan.path)).to.deep.equal([
        'job-1/chk-2/_metadata',
        'job-1/chk-2/kg',
        'job-1/chk-2/meta',
        'job-1/chk-2/op',
        'job-1/chk-2/private',
      ]);
      expect(report.missing).to.deep.equal([]);
    });

    it('reports an unresolved placeholder in stored metadata as a metadata problem', async () => {
      const checkpoint = aCheckpoint(5, {
        taskStates: {
          [asTaskId('map-1')]: {
            operatorState: null,
            keyedState: [
              {
                kind: 'incremental',
                backendId: 'backend-1',
                keyGroupRange: { start: 0, end: 0 },
                checkpointId: asCheckpointId(5),
                sharedState: [{ handleId: 'sst-9', handle: { kind: 'placeholder', size: 12 } }],
                privateState: [],
                metaState: { kind: 'bytes', handleName: 'meta', data: '', size: 0 },
              },
            ],
          },
        },
      });
      await storage.writeMetadata(checkpoint);

      const report = await verifyCheckpoints({ jobId: A_JOB, storage });

      expect(report.corrupt).to.deep.equal([
        {
          path: 'job-1/chk-5/_metadata',
          subject: AuditSubject.METADATA,
          checkpointIds: [5],
          problem:
            'unresolved placeholder (12 bytes) at task "map-1" keyedState[0].sharedState[0] (handle id "sst-9"); a retained checkpoint must hold the stored handle of every shared file',
        },
      ]);
    });

    it('reports unreadable metadata as corrupt without failing the audit', async () => {
      await aJobWithTwoCheckpoints(storage);
      await overwrite('job-1/chk-3/_metadata', bytesOf('{"jobId":'));

      const report = await verifyCheckpoints({ jobId: A_JOB, storage });

      expect(report.checkpointsChecked).to.equal(1);
      expect(report.corrupt.map(({ path, subject, checkpointIds }) => ({ path, subject, checkpointIds }))).to.deep.equal([
        { path: 'job-1/chk-3/_metadata', subject: AuditSubject.METADATA, checkpointIds: [3] },
      ]);
      expect(report.orphans.map((orphan) => orphan.path)).to.include('job-1/chk-3/private');
    });

    it('removes the orphans, after which the audit passes', async () => {
      await aJobWithTwoCheckpoints(storage);
      await storage.writeSharedFile(A_JOB, 'sst-aborted', bytesOf('never used'));
      await storage.writeExclusiveFile(A_JOB, asCheckpointId(4), 'op', bytesOf('op 4'));

      const removal = await removeOrphans(await verifyCheckpoints({ jobId: A_JOB, storage }), storage);

      // A directory the removal left empty goes too, where the storage has directories.
      const emptied = implementation.name === 'FileSystemCheckpointStorage' ? ['job-1/chk-4'] : [];
      expect(removal).to.deep.equal({ removed: ['job-1/chk-4/op', 'job-1/shared/sst-aborted', ...emptied], failed: [] });
      expect((await verifyCheckpoints({ jobId: A_JOB, storage })).ok).to.equal(true);
    });

    it('refuses to remove orphans while some metadata is unreadable, naming it, and deletes nothing', async () => {
      await aJobWithTwoCheckpoints(storage);
      await overwrite('job-1/chk-3/_metadata', bytesOf('garbage'));
      const report = await verifyCheckpoints({ jobId: A_JOB, storage });

      let error: unknown;
      try {
        await removeOrphans(report, storage);
      } catch (caught) {
        error = caught;
      }

      expect(error).to.be.instanceOf(OrphanRemovalRefusedError);
      expect((error as Error).name).to.equal('OrphanRemovalRefusedError');
      expect((error as Error).message).to.equal(
        'refusing to remove orphans: the references of job-1/chk-3/_metadata could not be read, so files they reference would look orphaned; fix or remove that metadata, then audit again',
      );
      expect((await storage.listFiles(A_JOB)).map((file) => file.path)).to.include('job-1/chk-3/private');
    });

    it('refuses to remove orphans listed in a report of another storage', async () => {
      const report = await verifyCheckpoints({ jobId: A_JOB, storage: new InMemoryCheckpointStorage() });
      const other = { ...report, storage: 'filesystem:/somewhere/else' };

      let error: unknown;
      try {
        await removeOrphans(other, storage);
      } catch (caught) {
        error = caught;
      }

      expect(error).to.be.instanceOf(RangeError);
      expect((error as Error).message).to.equal(
        `the audit report is of filesystem:/somewhere/else storage, not of ${storage.description}: audit this storage before removing its orphans`,
      );
    });
  });
}

describe('checkpoint audit on the filesystem', () => {
  let directory: string;
  let storage: FileSystemCheckpointStorage;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
    storage = new FileSystemCheckpointStorage(directory);
  });
  afterEach(async () => {
    await removeTemporaryDirectory(directory);
  });

  it('lists a temporary file left by a crashed write as an orphan, and removes it', async () => {
    await aJobWithTwoCheckpoints(storage);
    await mkdir(join(directory, 'job-1/chk-4'), { recursive: true });
    await writeFile(join(directory, 'job-1/chk-4/.tmp-9f3a-_metadata'), 'half');

    const report = await verifyCheckpoints({ jobId: A_JOB, storage });
    const removal = await removeOrphans(report, storage);

    expect(report.orphans).to.deep.equal([{ path: 'job-1/chk-4/.tmp-9f3a-_metadata', size: 4, kind: OrphanKind.TEMPORARY }]);
    expect(removal.removed).to.deep.equal(['job-1/chk-4/.tmp-9f3a-_metadata', 'job-1/chk-4']);
    expect((await verifyCheckpoints({ jobId: A_JOB, storage })).ok).to.equal(true);
  });

  it('reports a corrupt id counter file as corrupt, naming it', async () => {
    await aJobWithTwoCheckpoints(storage);
    await writeFile(join(directory, 'job-1/checkpoint-id-counter'), '{"formatVersion":1,"next":4,"checksum":"forged"}');

    const report = await verifyCheckpoints({ jobId: A_JOB, storage });

    expect(report.ok).to.equal(false);
    expect(report.corrupt).to.deep.equal([{
      path: 'job-1/checkpoint-id-counter', subject: AuditSubject.ID_COUNTER, checkpointIds: [], problem: 'the checkpoint id counter failed its checksum',
    }]);
  });

  it('reports an id counter that would hand out an id a retained checkpoint already has', async () => {
    await aJobWithTwoCheckpoints(storage);
    const counter = await FileSystemCheckpointIDCounter.open(directory, A_JOB);
    await counter.setCount(3);

    const report = await verifyCheckpoints({ jobId: A_JOB, storage });

    expect(report.corrupt).to.deep.equal([{
      path: 'job-1/checkpoint-id-counter', subject: AuditSubject.ID_COUNTER, checkpointIds: [3],
      problem: 'the counter would hand out id 3 next, but retained checkpoint 3 already has it: ids would be reused',
    }]);
  });

  it('passes an id counter above every retained checkpoint', async () => {
    await aJobWithTwoCheckpoints(storage);
    await (await FileSystemCheckpointIDCounter.open(directory, A_JOB)).setCount(4);

    expect((await verifyCheckpoints({ jobId: A_JOB, storage })).ok).to.equal(true);
  });

  it('lists a temporary file left in the job directory and an empty chk directory as orphans, and removes them', async () => {
    await aJobWithTwoCheckpoints(storage);
    await writeFile(join(directory, 'job-1/.tmp-5d1e-checkpoint-id-counter'), '{"formatV');
    await mkdir(join(directory, 'job-1/chk-9'), { recursive: true });

    const report = await verifyCheckpoints({ jobId: A_JOB, storage });
    const removal = await removeOrphans(report, storage);

    expect(report.orphans).to.deep.equal([
      { path: 'job-1/.tmp-5d1e-checkpoint-id-counter', size: 9, kind: OrphanKind.TEMPORARY },
      { path: 'job-1/chk-9', size: 0, kind: OrphanKind.EMPTY_DIRECTORY },
    ]);
    expect(removal.removed).to.deep.equal(['job-1/.tmp-5d1e-checkpoint-id-counter', 'job-1/chk-9']);
    expect((await verifyCheckpoints({ jobId: A_JOB, storage })).ok).to.equal(true);
  });
});
