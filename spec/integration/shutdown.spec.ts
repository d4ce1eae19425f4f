import { expect } from 'chai';
import { ask } from '../../src/actor/typed-ref.js';
import { JobStatus } from '../../src/core/job-status.js';
import { IncrementalJob, manualJob } from './support/incremental-job.js';
import { exists, expectClean } from './support/incremental-job-assertions.js';

describe('shutting a coordinator down while a checkpoint is finalizing', () => {
  let job: IncrementalJob;
  afterEach(async () => job?.dispose());

  it('SUSPENDED waits for the finalization in flight, so the checkpoint is retained and a new coordinator recovers it', async () => {
    job = await IncrementalJob.create(manualJob({ taskIds: ['a'] }));
    await job.startCoordinator();
    await job.put('a', 'k1', 1);
    job.storage.holdMetadataWrites();
    job.triggerCheckpoint();
    await job.settle();
    expect(job.storage.heldMetadataWriteIds).to.deep.equal([1]);
    let shutDown = false;
    const shutdown = ask(job.coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.SUSPENDED }).then(() => { shutDown = true; });
    await job.settle();
    expect(shutDown, 'the shutdown answered while checkpoint 1 was still being finalized').to.equal(false);
    job.storage.passHeldMetadataWrites();
    await shutdown;
    expect(job.events.some((event) => event.type === 'checkpoint-completed' && event.checkpoint.checkpointId === 1)).to.equal(true);
    expect(await exists(job, 'job-1/chk-1/_metadata')).to.equal(true);
    await job.restartCoordinator('crash');
    expect(job.recoveredLatestId).to.equal(1);
    expect(await job.read('a')).to.deep.equal({ k1: 1 });
    await expectClean(job);
  });
});
