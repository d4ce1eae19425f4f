import { expect } from 'chai';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createHighAvailabilityServices } from '../../src/ha/high-availability-services.js';
import { LeadershipLossReason } from '../../src/ha/leadership-loss-reason.js';
import { JobStatus } from '../../src/core/job-status.js';
import { decodeStoredJob } from '../../src/jobmanager/stored-job.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import { InProcessCluster, LEASE } from './support/in-process-cluster.js';
import {
  checkpoint, CommittedOutputs, dataflowJob, expectedWordCounts, generateWords, runToTheEnd, SINK_TASKS, step, wordCountDataflow, wordCountKinds,
} from './support/word-count-dataflow.js';

const WORDS = generateWords(120, 42);

/** How many records the sources of the word count had read at a checkpoint (the sum of their offsets). */
function readAt(checkpointed: CompletedCheckpoint): number {
  return ['words-0', 'words-1'].reduce((sum, taskId) => {
    const handle = checkpointed.taskStates[taskId as never]?.operatorState;
    if (handle?.kind !== 'inline') throw new Error(`checkpoint ${checkpointed.checkpointId} holds no inline position of ${taskId}`);
    return sum + (handle.value as { readonly offset: number }).offset;
  }, 0);
}

describe('dataflow jobs in the job manager', () => {
  let cluster: InProcessCluster;
  let outputs: CommittedOutputs;
  beforeEach(async () => {
    cluster = await InProcessCluster.create();
    outputs = new CommittedOutputs();
  });
  afterEach(async () => cluster.dispose());

  it('runs a dataflow job defined as data: the graph is stored first, and every word count is committed exactly once', async () => {
    const leader = await cluster.start('leader', { dataflow: wordCountKinds(outputs) });
    const definition = dataflowJob(cluster, 'words', wordCountDataflow(WORDS));
    const submitted = await leader.manager.submitJob(definition);
    expect(submitted).to.deep.include({ jobId: 'words', restoredCheckpointId: null });
    const observer = await createHighAvailabilityServices({ mode: 'none', data: cluster.data });
    try {
      const stored = await observer.jobGraphStore.recoverJobGraph('words');
      expect((stored?.graph as { formatVersion?: unknown } | undefined)?.formatVersion, 'a dataflow job is stored in format version 2').to.equal(2);
      expect(decodeStoredJob(stored!).definition).to.deep.equal(definition);
    } finally {
      await observer.close();
    }
    expect(leader.manager.dataflowJobOf('words')?.graph.taskIds).to.deep.equal(['words-0', 'words-1', 'counter-0', 'counter-1', 'counter-2', 'sink-0', 'sink-1']);

    await runToTheEnd(leader, 'words', outputs.of('words'));
    expect(outputs.of('words').wordCounts()).to.deep.equal(expectedWordCounts(WORDS));
    expect(outputs.of('words').stats().repeatedCommits, 'no failure: nothing was committed twice').to.equal(0);
  });

  it('a standby takes a dataflow job over when its leader closes mid-run: it resumes from the latest checkpoint and commits exactly the failure-free output', async () => {
    const leader = await cluster.start('leader', { dataflow: wordCountKinds(outputs) });
    const standby = await cluster.start('standby', { dataflow: wordCountKinds(outputs) });

    // The failure-free run, on the same cluster.
    await leader.manager.submitJob(dataflowJob(cluster, 'reference', wordCountDataflow(WORDS)));
    await runToTheEnd(leader, 'reference', outputs.of('reference'));
    const failureFree = outputs.of('reference').wordCounts();
    expect(failureFree).to.deep.equal(expectedWordCounts(WORDS));

    await leader.manager.submitJob(dataflowJob(cluster, 'words', wordCountDataflow(WORDS)));
    const output = outputs.of('words');
    let lastOnLeader: CompletedCheckpoint | null = null;
    for (let round = 0; round < 3; round += 1) {
      await step(leader, 'words');
      await step(leader, 'words');
      lastOnLeader = await checkpoint(leader, 'words');
    }
    if (lastOnLeader === null) throw new Error('no checkpoint');
    await output.whenCommittedThrough(SINK_TASKS, lastOnLeader.checkpointId);
    // Records read and counted after the last checkpoint: the standby must read them again, and count them once.
    await step(leader, 'words');
    await step(leader, 'words');
    const read = leader.manager.dataflowJobOf('words')!.metrics.recordsInOf('words');
    expect(read, 'the sources read past the last checkpoint').to.be.greaterThan(readAt(lastOnLeader));
    const committedByLeader = output.size;
    expect(committedByLeader, 'the leader committed part of the output').to.be.greaterThan(0).and.lessThan(failureFree.length);

    await leader.manager.close();
    standby.clock.advance(LEASE.renewInterval);
    const started = await standby.events.waitFor('job-started', 'the standby takes the dataflow job over', (event) => event.jobId === 'words');
    expect(started.restoredCheckpointId).to.equal(lastOnLeader.checkpointId);
    expect(leader.events.all.find((event) => event.type === 'job-suspended' && event.jobId === 'words')).to.deep.include({ reason: LeadershipLossReason.STOPPED });

    const final = await runToTheEnd(standby, 'words', output);
    expect(final).to.be.greaterThan(lastOnLeader.checkpointId);
    expect(output.wordCounts()).to.deep.equal(failureFree);
    expect(output.stats().stagedTransactions, 'nothing is left staged').to.equal(0);
  });

  it('a paused leader whose leadership was taken commits nothing more: its checkpoints are refused, it suspends, and the output equals the failure-free run', async () => {
    const paused = await cluster.start('paused', { dataflow: wordCountKinds(outputs) });
    const standby = await cluster.start('standby', { dataflow: wordCountKinds(outputs) });
    await paused.manager.submitJob(dataflowJob(cluster, 'words', wordCountDataflow(WORDS)));
    const output = outputs.of('words');
    await step(paused, 'words');
    await step(paused, 'words');
    const held = await checkpoint(paused, 'words');
    await step(paused, 'words');
    await step(paused, 'words');

    // The standby's clock moves a whole lease without renewals (the leader is paused), then one check.
    standby.clock.advance(LEASE.leaseDuration);
    standby.clock.advance(LEASE.renewInterval);
    const started = await standby.events.waitFor('job-started', 'the standby takes over from the paused leader');
    expect(started.restoredCheckpointId).to.equal(held.checkpointId);
    await step(standby, 'words');
    const first = await checkpoint(standby, 'words');

    // Awake again, the old leader's sources emit and it asks for a checkpoint: the fenced id counter refuses it.
    await step(paused, 'words');
    const stale = await paused.manager.triggerCheckpoint('words');
    expect(stale.status).to.equal('failed');
    paused.clock.advance(LEASE.renewInterval);
    const suspended = await paused.events.waitFor('job-suspended', 'the old leader notices it was superseded');
    expect(suspended.reason).to.equal(LeadershipLossReason.SUPERSEDED);

    await output.whenCommittedThrough(SINK_TASKS, first.checkpointId);
    await runToTheEnd(standby, 'words', output);
    expect(output.wordCounts()).to.deep.equal(expectedWordCounts(WORDS));
  });

  it('takes self-contained savepoints of a running dataflow job (its sinks commit on checkpoints only), and removes its graph when it ends', async () => {
    const leader = await cluster.start('leader', { dataflow: wordCountKinds(outputs) });
    await leader.manager.submitJob(dataflowJob(cluster, 'words', wordCountDataflow(WORDS)));
    await step(leader, 'words');
    const before = await checkpoint(leader, 'words');
    await outputs.of('words').whenCommittedThrough(SINK_TASKS, before.checkpointId);
    await step(leader, 'words');
    const savepoint = await leader.manager.triggerSavepoint('words', { targetDirectory: join(cluster.directory, 'savepoints') });
    if (savepoint.status !== 'completed') throw new Error(`the savepoint failed: ${savepoint.message}`);
    expect(savepoint.checkpoint.properties.type).to.equal('savepoint');
    expect(savepoint.checkpoint.taskStates['words-0' as never]?.operatorState).to.deep.equal({ kind: 'inline', value: { offset: 8, end: false } });
    expect((await stat(join(savepoint.savepointPath!, '_metadata'))).isFile()).to.equal(true);
    expect(outputs.of('words').committedCheckpointOf('sink-0'), 'a savepoint commits nothing').to.equal(before.checkpointId);

    await runToTheEnd(leader, 'words', outputs.of('words'));
    expect(outputs.of('words').wordCounts()).to.deep.equal(expectedWordCounts(WORDS));
    await leader.manager.terminateJob('words', JobStatus.FINISHED);
    expect(leader.manager.followedJobs()).to.deep.equal([]);
    expect(leader.manager.dataflowJobOf('words')).to.equal(null);
    const observer = await createHighAvailabilityServices({ mode: 'none', data: cluster.data });
    try {
      expect(await observer.jobGraphStore.jobIds()).to.deep.equal([]);
    } finally {
      await observer.close();
    }
  });
});
