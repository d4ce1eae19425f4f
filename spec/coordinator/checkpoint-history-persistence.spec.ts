import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { asJobId } from '../../src/core/ids.js';
import { JobStatus } from '../../src/core/job-status.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { InMemoryCheckpointStorage } from '../../src/storage/in-memory-checkpoint-storage.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';
import { FailingHistoryWriteStorage } from '../support/failing-history-write-storage.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

describe('CheckpointCoordinator: the persisted checkpoint history', () => {
  let h: CoordinatorHarness;
  let directory: string;
  beforeEach(async () => {
    h = new CoordinatorHarness();
    directory = await createTemporaryDirectory();
  });
  afterEach(async () => {
    h.dispose();
    await removeTemporaryDirectory(directory);
  });

  it('writes the history beside the checkpoints, complete once the shutdown is answered', async () => {
    const storage = new FileSystemCheckpointStorage(directory);
    await h.spawn({ startScheduler: false, storage, tolerableFailures: 5 });
    await h.triggerNow();
    h.tasks.answer('sink', 'decline');
    await h.triggerNow();
    h.tasks.answer('sink', 'acknowledge');
    await h.triggerNow();
    await h.advance(3);
    await h.restore();
    const stats = await h.settle();
    await h.shutdown(JobStatus.SUSPENDED);

    const persisted = await storage.readHistory(asJobId('job-1'));
    expect(persisted).to.deep.equal({
      jobId: 'job-1', writtenAt: 1003, totals: { triggered: 3, completed: 2, failed: 1, restored: 1 }, history: JSON.parse(JSON.stringify(stats.history)),
    });
    expect(persisted?.history.entries.map((entry) => `${entry.checkpointId}:${entry.status}`)).to.deep.equal(['1:completed', '2:failed', '3:completed']);
    expect((await readdir(join(directory, 'job-1'))).sort()).to.deep.equal(['checkpoint-history.json', 'chk-1', 'chk-3']);
  });

  it('writes nothing with persistHistory: false, and nothing without a storage', async () => {
    const storage = new InMemoryCheckpointStorage();
    await h.spawn({ startScheduler: false, storage, persistHistory: false });
    await h.triggerNow();
    await h.shutdown(JobStatus.SUSPENDED);

    expect(await storage.readHistory(asJobId('job-1'))).to.equal(null);
  });

  it('reports a history that cannot be written as a storage failure, and checkpoints go on', async () => {
    const storage = new FailingHistoryWriteStorage();
    await h.spawn({ startScheduler: false, storage });
    expect((await h.triggerNow()).status).to.equal('completed');
    expect((await h.triggerNow()).status).to.equal('completed');
    await h.settle();

    expect(storage.historyWriteAttempts).to.equal(2);
    expect(h.events.filter((event) => event.type === 'storage-failure')).to.deep.equal([1, 2].map(() => h.stamped({
      type: 'storage-failure', message: 'writing the checkpoint history of job job-1 to memory failed: ENOSPC: no space left on device, write',
    })));
    expect((await h.stats()).counts.completed).to.equal(2);
  });
});
