import { expect } from 'chai';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { JobAlreadySubmittedError } from '../../src/jobmanager/job-already-submitted-error.js';
import { JobNotLedHereError } from '../../src/jobmanager/job-not-led-here-error.js';
import { UnknownOperatorKindError } from '../../src/jobmanager/unknown-operator-kind-error.js';
import { decodeStoredJob } from '../../src/jobmanager/stored-job.js';
import { JobStatus } from '../../src/core/job-status.js';
import { LEASE, InProcessCluster, put, read, type SpecJobManager } from './support/in-process-cluster.js';
import { completed } from '../integration/support/incremental-job-assertions.js';
import { rejectionOf } from '../support/rejection-of.js';

/** Lets a standby look at the job's lease: one check on its own clock. */
async function letStandbyCheck(standby: SpecJobManager): Promise<void> {
  standby.clock.advance(LEASE.renewInterval);
}

describe('job manager', () => {
  let cluster: InProcessCluster;
  beforeEach(async () => { cluster = await InProcessCluster.create(); });
  afterEach(async () => cluster.dispose());

  it('persists a submitted job in the job graph store before anything of it runs, then runs its tasks and checkpoints', async () => {
    const leader = await cluster.start('leader');
    const submitted = await leader.manager.submitJob(cluster.definition('orders'));
    expect(submitted).to.deep.include({ jobId: 'orders', restoredCheckpointId: null, restoredFrom: null });
    const types = leader.events.types();
    expect(types.indexOf('job-submitted')).to.be.greaterThan(-1);
    expect(types.indexOf('job-submitted')).to.be.lessThan(types.indexOf('job-started'));

    const stored = await cluster.storedJobGraph('orders');
    expect(stored).to.not.equal(null);
    expect(decodeStoredJob(stored!).definition).to.deep.equal(cluster.definition('orders'));

    await put(leader.manager, 'orders', 'a', 'k1', 1);
    const first = completed(await leader.manager.triggerCheckpoint('orders'));
    expect(first.checkpointId).to.equal(1);
    expect(cluster.journal.snapshotOf('a', 1)).to.deep.equal({ k1: 1 });
    expect(leader.manager.runningJobs()).to.deep.equal(['orders']);
  });

  it('refuses a definition it cannot run, naming the field or the operator kind, and stores nothing', async () => {
    const leader = await cluster.start('leader');
    const invalid = await rejectionOf(leader.manager.submitJob({ ...cluster.definition('orders'), checkpointing: { interval: 0 } }));
    expect(invalid).to.be.instanceOf(InvalidOptionError);
    expect((invalid as Error).message).to.equal('JobDefinition.checkpointing.interval must be an integer >= 1, got 0');
    const relative = await rejectionOf(leader.manager.submitJob({ ...cluster.definition('orders'), storage: { baseDirectory: 'checkpoints' } }));
    expect((relative as Error).message).to.equal('JobDefinition.storage.baseDirectory must be an absolute path (job managers may run in other working directories), got "checkpoints"');
    const typo = await rejectionOf(leader.manager.submitJob({ ...cluster.definition('orders'), restoreFrom: { path: '/tmp/x', mode: 'claimed' as never } }));
    expect((typo as Error).message).to.equal('JobDefinition.restoreFrom.mode must be one of claim, no-claim, got "claimed"');
    const unknown = await rejectionOf(leader.manager.submitJob({ ...cluster.definition('orders'), tasks: [{ taskId: 'a', operator: 'fraud-score' }] }));
    expect(unknown).to.be.instanceOf(UnknownOperatorKindError);
    expect((unknown as Error).message).to.include("operator kind 'fraud-score'").and.include('registered kinds: counter');
    expect(await cluster.storedJobIds()).to.deep.equal([]);
    expect(leader.manager.followedJobs()).to.deep.equal([]);
  });

  it('refuses a second submission of a job that is stored, on the same or another job manager', async () => {
    const leader = await cluster.start('leader');
    const standby = await cluster.start('standby');
    await leader.manager.submitJob(cluster.definition('orders'));
    expect(await rejectionOf(leader.manager.submitJob(cluster.definition('orders')))).to.be.instanceOf(JobAlreadySubmittedError);
    const elsewhere = await rejectionOf(standby.manager.submitJob(cluster.definition('orders')));
    expect(elsewhere).to.be.instanceOf(JobAlreadySubmittedError);
    expect((elsewhere as Error).message).to.include('job orders is already submitted');
    expect(leader.manager.runningJobs()).to.deep.equal(['orders']);
    expect(standby.manager.runningJobs()).to.deep.equal([]);
  });

  it('a standby takes a job over when its leader leaves: it recovers the graph, restores the latest checkpoint and continues with higher ids', async () => {
    const leader = await cluster.start('leader');
    const standby = await cluster.start('standby');
    await leader.manager.submitJob(cluster.definition('orders'));
    await put(leader.manager, 'orders', 'a', 'k1', 1);
    completed(await leader.manager.triggerCheckpoint('orders'));
    await put(leader.manager, 'orders', 'a', 'k2', 2);
    await put(leader.manager, 'orders', 'b', 'k3', 3);
    const second = completed(await leader.manager.triggerCheckpoint('orders'));
    await put(leader.manager, 'orders', 'a', 'lost', 0);
    expect(standby.manager.followedJobs()).to.deep.equal(['orders']);
    expect(standby.manager.runningJobs()).to.deep.equal([]);

    await leader.manager.close();
    await letStandbyCheck(standby);
    const started = await standby.events.waitFor('job-started', 'the standby takes the job over');
    expect(started.restoredCheckpointId).to.equal(second.checkpointId);
    expect(started.session.generation).to.be.greaterThan(1);
    expect(leader.events.all.find((event) => event.type === 'job-suspended')).to.deep.include({ jobId: 'orders', reason: 'stopped' });
    expect(await read(standby.manager, 'orders', 'a')).to.deep.equal({ k1: 1, k2: 2 });
    expect(await read(standby.manager, 'orders', 'b')).to.deep.equal({ k3: 3 });
    const third = completed(await standby.manager.triggerCheckpoint('orders'));
    expect(third.checkpointId).to.equal(second.checkpointId + 1);
  });

  it('a standby takes over at once from a job manager whose process died', async () => {
    const leader = await cluster.start('leader');
    const standby = await cluster.start('standby');
    await leader.manager.submitJob(cluster.definition('orders'));
    await put(leader.manager, 'orders', 'a', 'k1', 1);
    const first = completed(await leader.manager.triggerCheckpoint('orders'));
    cluster.data.simulateCrash(leader.services.instanceId);
    await letStandbyCheck(standby);
    expect((await standby.events.waitFor('job-started', 'the standby takes the job over')).restoredCheckpointId).to.equal(first.checkpointId);
    expect(await read(standby.manager, 'orders', 'a')).to.deep.equal({ k1: 1 });
  });

  it('ends a job on request: its graph goes and its standbys stop following it', async () => {
    const leader = await cluster.start('leader');
    const standby = await cluster.start('standby');
    await leader.manager.submitJob(cluster.definition('orders'));
    completed(await leader.manager.triggerCheckpoint('orders'));
    expect(await rejectionOf(standby.manager.terminateJob('orders', JobStatus.CANCELED))).to.be.instanceOf(JobNotLedHereError);
    expect(await rejectionOf(leader.manager.terminateJob('orders', JobStatus.SUSPENDED))).to.be.instanceOf(InvalidOptionError);

    await leader.manager.terminateJob('orders', JobStatus.FINISHED);
    expect(leader.events.all.slice(-2)).to.deep.equal([{ type: 'job-terminated', jobId: 'orders', jobStatus: JobStatus.FINISHED }, { type: 'job-unfollowed', jobId: 'orders' }]);
    expect(leader.manager.followedJobs()).to.deep.equal([]);
    expect(await cluster.storedJobIds()).to.deep.equal([]);
    // The standby hears of the removal (the in-memory mode signals every write) and stops following the job.
    await standby.events.waitFor('job-unfollowed', 'the standby stops following the ended job');
    expect(standby.manager.followedJobs()).to.deep.equal([]);
  });
});
