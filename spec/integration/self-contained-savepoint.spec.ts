import { expect } from 'chai';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { ask } from '../../src/actor/typed-ref.js';
import { HeapKeyedStateBackend, SnapshotStrategy } from '../../src/backend/heap-keyed-state-backend.js';
import { CheckpointFailureReason } from '../../src/checkpoint/checkpoint-failure-reason.js';
import { asJobId } from '../../src/core/ids.js';
import type { CheckpointOutcome } from '../../src/protocol/checkpoint-outcome.js';
import { ExternalPathStorage } from '../../src/savepoint/external-path-storage.js';
import { readRestorePoint } from '../../src/savepoint/restore-point.js';
import { RestorePointKind } from '../../src/savepoint/restore-point-kind.js';
import { RestorePointNotFoundError } from '../../src/savepoint/restore-point-not-found-error.js';
import { filesOf } from '../../src/savepoint/state-file-paths.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { entriesOf } from '../support/incremental-task.js';
import { rejectionOf } from '../support/rejection-of.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { IncrementalJob } from './support/incremental-job.js';
import { completed, sharedFilesOf } from './support/incremental-job-assertions.js';

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(directory, join(entry.parentPath, entry.name))).sort();
}

function savepointPathOf(outcome: CheckpointOutcome): string {
  if (outcome.status !== 'completed' || outcome.savepointPath === undefined) throw new Error(`expected a savepoint with a path, got ${JSON.stringify(outcome)}`);
  return outcome.savepointPath;
}

describe('self-contained savepoints', () => {
  let job: IncrementalJob;
  let target: string;
  beforeEach(async () => {
    job = await IncrementalJob.create({ taskIds: ['a'], retained: 1, maxConcurrent: 1, maxSegments: 8, tolerableFailures: 10, startScheduler: false });
    target = await createTemporaryDirectory();
    await job.startCoordinator();
  });
  afterEach(async () => {
    await job.dispose();
    await removeTemporaryDirectory(target);
  });

  it('copies every file the savepoint references, shared files of earlier checkpoints included, so it survives the job\'s directory and can be moved', async () => {
    await job.put('a', 'k1', 1);
    const first = completed(await job.checkpoint());
    await job.put('a', 'k2', 2);
    const outcome = await ask(job.coordinator, { type: 'TriggerSavepoint', targetDirectory: join(target, 'savepoints') });
    const savepoint = completed(outcome);
    const path = savepointPathOf(outcome);
    expect(relative(join(target, 'savepoints'), path)).to.match(/^savepoint-job-1-2-[0-9a-f]{6}$/);
    // The savepoint reuses the first checkpoint's segment: its copy is in the savepoint directory too.
    expect(sharedFilesOf(savepoint)).to.include.members(sharedFilesOf(first));
    expect(await filesUnder(path)).to.deep.equal(['_metadata', ...sharedFilesOf(savepoint).map((file) => file.replace('job-1/', ''))].sort());

    await rm(job.directory, { recursive: true, force: true });
    const moved = join(target, 'moved-elsewhere');
    await rename(path, moved);
    const point = await readRestorePoint(moved, join(target, 'unrelated-base'));
    expect(point.kind).to.equal(RestorePointKind.SAVEPOINT);
    expect(point.checkpoint.checkpointId).to.equal(savepoint.checkpointId);
    for (const file of filesOf(point.checkpoint)) {
      expect(isAbsolute(file.path) && file.path.startsWith(`${moved}/`), file.path).to.equal(true);
    }
    const storage = new ExternalPathStorage(new FileSystemCheckpointStorage(join(target, 'unrelated-base')));
    const backend = await HeapKeyedStateBackend.restore(
      { jobId: asJobId('job-1'), keyGroupRange: { start: 0, end: 7 }, numberOfKeyGroups: 8, storage, strategy: SnapshotStrategy.INCREMENTAL },
      point.checkpoint.taskStates['a' as never]!.keyedState,
    );
    expect(entriesOf(backend)).to.deep.equal(job.journal.snapshotOf('a', savepoint.checkpointId));
    expect(entriesOf(backend)).to.deep.equal({ k1: 1, k2: 2 });
  });

  it('fails the savepoint and leaves nothing in the target when the copy cannot be written', async () => {
    await job.put('a', 'k1', 1);
    const blocked = join(target, 'a-file');
    await writeFile(blocked, 'not a directory');
    const outcome = await ask(job.coordinator, { type: 'TriggerSavepoint', targetDirectory: blocked });
    expect(outcome.status).to.equal('failed');
    if (outcome.status !== 'failed') return;
    expect(outcome.reason).to.equal(CheckpointFailureReason.IO_FAILURE);
    expect(outcome.message).to.include(`writing the self-contained savepoint into ${blocked} failed`);
    expect(await readdir(target)).to.deep.equal(['a-file']);
  });

  it('refuses a restore point that is missing, corrupted or truncated, naming the file', async () => {
    expect(await rejectionOf(readRestorePoint(join(target, 'nothing'), target))).to.be.instanceOf(RestorePointNotFoundError);
    await job.put('a', 'k1', 1);
    const path = savepointPathOf(await ask(job.coordinator, { type: 'TriggerSavepoint', targetDirectory: target }));
    const [segment] = (await filesUnder(path)).filter((file) => file.startsWith('shared/'));
    await writeFile(join(path, segment as string), (await readFile(join(path, segment as string))).subarray(1));
    const truncated = await rejectionOf(readRestorePoint(path, target));
    expect(truncated).to.be.instanceOf(CorruptStateError);
    expect(truncated.message).to.include(`${join(path, segment as string)} (expected`);
    const metadata = await readFile(join(path, '_metadata'));
    metadata.writeUInt8(metadata.readUInt8(metadata.length - 2) ^ 0xff, metadata.length - 2);
    await writeFile(join(path, '_metadata'), metadata);
    const corrupt = await rejectionOf(readRestorePoint(path, target));
    expect(corrupt).to.be.instanceOf(CorruptStateError);
    expect(corrupt.message).to.equal(`${join(path, '_metadata')}: checksum mismatch in checkpoint metadata; refusing to use it (restore from an older checkpoint or remove the file)`);
  });
});
