import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { asJobId } from '../../src/core/ids.js';
import { JobStatus } from '../../src/core/job-status.js';
import { CheckpointRetention } from '../../src/checkpoint/checkpoint-properties.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import { RestoreMode } from '../../src/recovery/restore-mode.js';
import { filesOf } from '../../src/savepoint/state-file-paths.js';
import { verifyCheckpoints } from '../../src/storage/checkpoint-audit.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { completed } from '../integration/support/incremental-job-assertions.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { InProcessCluster, LEASE, put, read, type SpecJobManager } from './support/in-process-cluster.js';

/** Every file under `directory` with a hash of its content, by path relative to it. */
async function contentOf(directory: string): Promise<Record<string, string>> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  const files: Record<string, string> = {};
  for (const entry of entries.filter((each) => each.isFile())) {
    const path = join(entry.parentPath, entry.name);
    files[relative(directory, path)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return files;
}

/** Puts a new value into task `a` and completes a checkpoint; returns it. */
async function changeAndCheckpoint(manager: SpecJobManager, jobId: string, round: number): Promise<CompletedCheckpoint> {
  await put(manager.manager, jobId, 'a', `k${round}`, round);
  return completed(await manager.manager.triggerCheckpoint(jobId));
}

describe('savepoints and restore modes through the job manager', () => {
  let cluster: InProcessCluster;
  let savepoints: string;
  let leader: SpecJobManager;
  beforeEach(async () => {
    cluster = await InProcessCluster.create();
    savepoints = await createTemporaryDirectory();
    leader = await cluster.start('leader');
  });
  afterEach(async () => {
    await cluster.dispose();
    await removeTemporaryDirectory(savepoints);
  });

  /** Job `origin` with some state, a savepoint of it in the target directory, and the job finished. */
  async function aSavepointOfAFinishedJob(): Promise<{ readonly path: string; readonly id: number; readonly entries: unknown }> {
    await leader.manager.submitJob(cluster.definition('origin', {}, ['a']));
    for (let round = 1; round <= 2; round += 1) await changeAndCheckpoint(leader, 'origin', round);
    await put(leader.manager, 'origin', 'a', 'k3', 3);
    const outcome = await leader.manager.triggerSavepoint('origin', { targetDirectory: savepoints });
    if (outcome.status !== 'completed' || outcome.savepointPath === undefined) throw new Error(`savepoint failed: ${JSON.stringify(outcome)}`);
    await leader.manager.terminateJob('origin', JobStatus.FINISHED);
    return { path: outcome.savepointPath, id: outcome.checkpoint.checkpointId, entries: cluster.journal.snapshotOf('a', outcome.checkpoint.checkpointId) };
  }

  it('no-claim (the default): the job restores the savepoint, its first checkpoint is full, and it never deletes a file of the savepoint', async () => {
    const savepoint = await aSavepointOfAFinishedJob();
    const before = await contentOf(savepoint.path);
    // Segments enough that only the restore mode, not a compaction, makes the first checkpoint full.
    const tasks = [{ taskId: 'a', operator: 'counter', config: { maxSegments: 6 } }];
    const started = await leader.manager.submitJob(cluster.definition('copy', { restoreFrom: { path: savepoint.path }, tasks }));
    expect(started.restoredFrom).to.deep.include({ kind: 'savepoint', mode: RestoreMode.NO_CLAIM, checkpointId: savepoint.id });
    expect(started.restoredCheckpointId).to.equal(savepoint.id);
    expect(await read(leader.manager, 'copy', 'a')).to.deep.equal(savepoint.entries);

    const first = await changeAndCheckpoint(leader, 'copy', 10);
    expect(first.checkpointId, 'ids continue above the restored one').to.be.greaterThan(savepoint.id);
    for (const file of filesOf(first)) expect(file.path.startsWith('copy/'), `${file.path} belongs to the job`).to.equal(true);
    for (let round = 11; round <= 16; round += 1) await changeAndCheckpoint(leader, 'copy', round);
    await leader.manager.terminateJob('copy', JobStatus.FINISHED);
    expect(await contentOf(savepoint.path)).to.deep.equal(before);
  });

  it('claim: the job adopts the savepoint as its own checkpoint, builds on its files, and deletes them once nothing references them', async () => {
    const savepoint = await aSavepointOfAFinishedJob();
    expect(Object.keys(await contentOf(savepoint.path))).to.have.length.greaterThan(1);
    // Segments enough to build on the savepoint's three before compacting them away.
    const tasks = [{ taskId: 'a', operator: 'counter', config: { maxSegments: 6 } }];
    await leader.manager.submitJob(cluster.definition('owner', { restoreFrom: { path: savepoint.path, mode: RestoreMode.CLAIM }, tasks }));
    expect(await read(leader.manager, 'owner', 'a')).to.deep.equal(savepoint.entries);

    const first = await changeAndCheckpoint(leader, 'owner', 10);
    const adopted = filesOf(first).filter((file) => isAbsolute(file.path));
    expect(adopted.length, 'the first checkpoint builds on the savepoint\'s segments').to.be.greaterThan(0);
    for (const file of adopted) expect(file.path.startsWith(`${savepoint.path}/`)).to.equal(true);
    for (let round = 11; round <= 16; round += 1) await changeAndCheckpoint(leader, 'owner', round);
    await leader.manager.terminateJob('owner', JobStatus.FINISHED);
    expect(await contentOf(savepoint.path)).to.deep.equal({});
  });

  it('keeps retain-on-cancellation checkpoints with their shared files, restores the job from one, and never sweeps the others', async () => {
    const retainOnCancel = { checkpointing: { ...cluster.definition('orders').checkpointing, retention: CheckpointRetention.RETAIN_ON_CANCELLATION } };
    await leader.manager.submitJob(cluster.definition('orders', retainOnCancel, ['a']));
    const checkpoints: CompletedCheckpoint[] = [];
    for (let round = 1; round <= 3; round += 1) checkpoints.push(await changeAndCheckpoint(leader, 'orders', round));
    await leader.manager.terminateJob('orders', JobStatus.CANCELED);
    const storage = new FileSystemCheckpointStorage(cluster.checkpoints);
    const afterCancel = await verifyCheckpoints({ jobId: asJobId('orders'), storage });
    expect(afterCancel).to.deep.include({ checkpointsChecked: 2, missing: [], corrupt: [], orphans: [] });
    // The checkpoints' files (the stats history beside them is the job's, and a new run rewrites it).
    const checkpointFiles = (files: Record<string, string>): Record<string, string> =>
      Object.fromEntries(Object.entries(files).filter(([path]) => path.startsWith('chk-') || path.startsWith('shared/')));
    const kept = checkpointFiles(await contentOf(join(cluster.checkpoints, 'orders')));
    expect(Object.keys(kept).length).to.be.greaterThan(2);

    const standby = await cluster.start('standby');
    const retained = join(cluster.checkpoints, 'orders', `chk-${checkpoints[1]!.checkpointId}`);
    const started = await leader.manager.submitJob(cluster.definition('orders', { ...retainOnCancel, restoreFrom: { path: retained } }, ['a']));
    expect(started.restoredFrom).to.deep.include({ kind: 'retained-checkpoint', mode: RestoreMode.NO_CLAIM, checkpointId: checkpoints[1]!.checkpointId });
    expect(await read(leader.manager, 'orders', 'a')).to.deep.equal(cluster.journal.snapshotOf('a', checkpoints[1]!.checkpointId));
    const next = await changeAndCheckpoint(leader, 'orders', 10);
    expect(next.checkpointId, 'above every checkpoint of the earlier run').to.be.greaterThan(checkpoints[2]!.checkpointId);

    // A new leader recovers the job and sweeps what this run left unreferenced: never the earlier run's checkpoints.
    await leader.manager.close();
    standby.clock.advance(LEASE.renewInterval);
    await standby.events.waitFor('job-started', 'the standby recovers the restored job');
    await changeAndCheckpoint(standby, 'orders', 11);
    await standby.manager.terminateJob('orders', JobStatus.FINISHED);
    const left = await contentOf(join(cluster.checkpoints, 'orders'));
    for (const [path, hash] of Object.entries(kept)) expect(left[path], path).to.equal(hash);
  });
});
