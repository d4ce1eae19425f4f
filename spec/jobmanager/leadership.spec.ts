import { expect } from 'chai';
import { join } from 'node:path';
import { BlobStore } from '../../src/blob/blob-store.js';
import { FileSystemBlobHaCopy } from '../../src/blob/filesystem-blob-ha-copy.js';
import { putOperatorBundle } from '../../src/blob/operator-bundle.js';
import { LeadershipLossReason } from '../../src/ha/leadership-loss-reason.js';
import { JobStatus } from '../../src/core/job-status.js';
import type { IncrementalTaskMessage } from '../support/incremental-task.js';
import { deliver } from '../../src/task/spawn-task.js';
import { InProcessCluster, LEASE, put, read, tasksOf } from './support/in-process-cluster.js';
import { completed } from '../integration/support/incremental-job-assertions.js';

/** A bundle whose `wordLength` kind keeps the total length of the words it was sent, inline. */
const BUNDLE = `
export function wordLength() {
  let total = 0;
  return {
    snapshotState: () => total,
    restoreState: (state) => { total = state ?? 0; },
    onMessage: (message) => {
      if (message.kind === 'word') total += message.word.length;
      else message.reply(total);
    },
  };
}
`;

describe('job manager leadership', () => {
  let cluster: InProcessCluster;
  beforeEach(async () => { cluster = await InProcessCluster.create(); });
  afterEach(async () => cluster.dispose());

  it('a paused leader that lost its lease has its writes rejected, then suspends the job; nothing it held is lost', async () => {
    const paused = await cluster.start('paused');
    const standby = await cluster.start('standby');
    await paused.manager.submitJob(cluster.definition('orders'));
    await put(paused.manager, 'orders', 'a', 'k1', 1);
    const held = completed(await paused.manager.triggerCheckpoint('orders'));

    // The standby's clock moves a whole lease without renewals (the leader's does not move: it is paused), then one check.
    standby.clock.advance(LEASE.leaseDuration);
    standby.clock.advance(LEASE.renewInterval);
    const started = await standby.events.waitFor('job-started', 'the standby takes over from the paused leader');
    expect(started.restoredCheckpointId).to.equal(held.checkpointId);

    // Awake again, the old leader still thinks it leads: its next checkpoint's id request is rejected.
    const stale = await paused.manager.triggerCheckpoint('orders');
    expect(stale.status).to.equal('failed');
    if (stale.status === 'failed') expect(stale.message).to.match(/^checkpoint not triggered: the checkpoint id counter failed: checkpoint id counter getAndIncrement for job 'orders' was rejected: leader session generation 1 of scope 'job-orders' is no longer current/);
    paused.clock.advance(LEASE.renewInterval);
    const suspended = await paused.events.waitFor('job-suspended', 'the old leader notices it was superseded');
    expect(suspended.reason).to.equal(LeadershipLossReason.SUPERSEDED);
    expect(paused.manager.runningJobs()).to.deep.equal([]);
    expect(paused.manager.followedJobs(), 'it stands by for the job again').to.deep.equal(['orders']);

    expect(await read(standby.manager, 'orders', 'a')).to.deep.equal({ k1: 1 });
    const next = completed(await standby.manager.triggerCheckpoint('orders'));
    expect(next.checkpointId, "the rejected request took no id").to.equal(held.checkpointId + 1);
  });

  it('ends a job FAILED when its restart strategy gives up, and removes its graph', async () => {
    const leader = await cluster.start('leader');
    const definition = cluster.definition('fragile');
    await leader.manager.submitJob({ ...definition, checkpointing: { ...definition.checkpointing, restartStrategy: { kind: 'none' } } });
    const [task] = await tasksOf(leader.manager, 'fragile');
    deliver<IncrementalTaskMessage>(task!.ref, { kind: 'explode' });
    const ended = await leader.events.waitFor('job-terminated', 'the failed job ends');
    expect(ended.jobStatus).to.equal(JobStatus.FAILED);
    expect(await cluster.storedJobIds()).to.deep.equal([]);
  });

  it('a standby sharing the blob HA copy finds the operator bundle of a job it recovers, and runs it (issue 11)', async () => {
    const haCopy = await FileSystemBlobHaCopy.open(join(cluster.directory, 'blob-ha'));
    const leaderBlobs = await BlobStore.open({ localDirectory: join(cluster.directory, 'blobs-leader'), haCopy });
    const standbyBlobs = await BlobStore.open({ localDirectory: join(cluster.directory, 'blobs-standby'), haCopy: await FileSystemBlobHaCopy.open(join(cluster.directory, 'blob-ha')) });
    const leader = await cluster.start('leader', { operators: {}, blobs: leaderBlobs });
    const standby = await cluster.start('standby', { operators: {}, blobs: standbyBlobs });
    const bundle = await putOperatorBundle(leaderBlobs, 'words', BUNDLE);
    await leader.manager.submitJob({ ...cluster.definition('words', {}, ['w']), tasks: [{ taskId: 'w', operator: 'wordLength' }], operatorBundle: bundle });
    const sendWord = async (manager: typeof leader.manager, word: string): Promise<void> => {
      const [task] = await tasksOf(manager, 'words');
      deliver<{ kind: 'word'; word: string }>(task!.ref, { kind: 'word', word });
    };
    await sendWord(leader.manager, 'checkpoint');
    await sendWord(leader.manager, 'nact');
    const first = completed(await leader.manager.triggerCheckpoint('words'));
    expect(first.taskStates['w' as never]).to.deep.equal({ operatorState: { kind: 'inline', value: 14 }, keyedState: [] });

    await leader.manager.close();
    standby.clock.advance(LEASE.renewInterval);
    expect((await standby.events.waitFor('job-started', 'the standby recovers the bundled job')).restoredCheckpointId).to.equal(first.checkpointId);
    await sendWord(standby.manager, 'ha');
    const second = completed(await standby.manager.triggerCheckpoint('words'));
    expect(second.taskStates['w' as never]).to.deep.equal({ operatorState: { kind: 'inline', value: 16 }, keyedState: [] });
    expect(standbyBlobs.stats.fetches, 'the standby fetched the bundle from the HA copy').to.equal(1);
  });
});
