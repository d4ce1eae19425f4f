import { expect } from 'chai';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LeadershipLossReason } from '../../src/ha/leadership-loss-reason.js';
import { JobStatus } from '../../src/core/job-status.js';
import { decodeStoredJob } from '../../src/jobmanager/stored-job.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import { BlobStore } from '../../src/blob/blob-store.js';
import { FileSystemBlobHaCopy } from '../../src/blob/filesystem-blob-ha-copy.js';
import { putOperatorBundle } from '../../src/blob/operator-bundle.js';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import type { DataflowVertexDefinition } from '../../src/jobmanager/dataflow-definition.js';
import type { DataflowJobDefinition } from '../../src/jobmanager/job-definition.js';
import { rejectionOf } from '../support/rejection-of.js';
import { InProcessCluster, LEASE } from './support/in-process-cluster.js';
import {
  checkpoint, CommittedOutputs, dataflowJob, expectedWordCounts, generateWords, runToTheEnd, SINK_TASKS, step, wordCountDataflow, wordCountKinds,
} from './support/word-count-dataflow.js';

const WORDS = generateWords(120, 42);

/** An operator bundle exporting the operator kind `upperCase`: { word } → { word: WORD }. */
const UPPER_CASE_BUNDLE = `
export function upperCase() {
  return {
    processRecord: (record, output) => output.collect({ word: record.word.toUpperCase() }),
    snapshotState: () => null,
    restoreState: () => {},
  };
}
`;

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
    const stored = await cluster.storedJobGraph('words');
    expect((stored?.graph as { formatVersion?: unknown } | undefined)?.formatVersion, 'a dataflow job is stored in format version 2').to.equal(2);
    expect(decodeStoredJob(stored!).definition).to.deep.equal(definition);
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

  it('a task failure rewinds the dataflow to its latest checkpoint within a leadership, again and again, and the output stays exact', async () => {
    const leader = await cluster.start('leader', { dataflow: wordCountKinds(outputs) });
    await leader.manager.submitJob(dataflowJob(cluster, 'words', wordCountDataflow(WORDS)));
    for (const victim of ['counter-1', 'sink-0', 'words-1']) {
      await step(leader, 'words');
      await checkpoint(leader, 'words');
      await step(leader, 'words');
      const from = leader.events.all.length;
      expect(leader.manager.dataflowJobOf('words')!.crashTask(victim)).to.equal(true);
      await leader.events.waitFor('coordinator-event', `the job restores after ${victim} failed`, (event) => event.event.type === 'state-restored', from);
    }
    await runToTheEnd(leader, 'words', outputs.of('words'));
    expect(leader.events.coordinatorEvents('task-failed').map((event) => event.taskId)).to.deep.equal(['counter-1', 'sink-0', 'words-1']);
    expect(outputs.of('words').wordCounts()).to.deep.equal(expectedWordCounts(WORDS));
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
    expect(await cluster.storedJobIds()).to.deep.equal([]);
  });

  it('refuses at submission a kind this job manager does not register, naming the field and the registered kinds, and stores nothing', async () => {
    const leader = await cluster.start('leader', { dataflow: wordCountKinds(outputs) });
    const [sink, counter, source] = wordCountDataflow(WORDS).vertices as [DataflowVertexDefinition, DataflowVertexDefinition, DataflowVertexDefinition];
    const submit = (vertices: readonly DataflowVertexDefinition[]): Promise<Error> => rejectionOf(leader.manager.submitJob(dataflowJob(cluster, 'words', wordCountDataflow(WORDS, { vertices }))));

    const unknownSource = await submit([sink, counter, { ...source, source: 'kafka' } as DataflowVertexDefinition]);
    expect(unknownSource).to.be.instanceOf(InvalidOptionError);
    expect(unknownSource.message).to.equal(
      "JobDefinition.dataflow.vertices[2].source names source kind 'kafka', which this job manager does not register and the job has no operatorBundle; " +
      "registered source kinds: words. Register it in every job manager (JobManagerOptions.dataflow.sources) or export it from the job's operator bundle",
    );
    expect((await submit([sink, { ...counter, operator: 'fraud-score' } as DataflowVertexDefinition, source])).message)
      .to.include("JobDefinition.dataflow.vertices[1].operator names operator kind 'fraud-score'").and.include('registered operator kinds: counter.');
    expect((await submit([{ ...sink, sink: 'kafka' } as DataflowVertexDefinition, counter, source])).message)
      .to.include("JobDefinition.dataflow.vertices[0].sink names sink kind 'kafka'").and.include('registered sink kinds: committed.');
    const keyedByCustomer = { ...counter, inputs: [{ from: 'words', partitioning: 'key-by', keySelector: 'customer' }] } as DataflowVertexDefinition;
    expect((await submit([sink, keyedByCustomer, source])).message)
      .to.include("JobDefinition.dataflow.vertices[1].inputs[0].keySelector names key selector kind 'customer'").and.include('registered key selector kinds: word.');

    expect(await cluster.storedJobIds()).to.deep.equal([]);
    expect(leader.manager.followedJobs()).to.deep.equal([]);
  });

  it('a standby that does not register a kind of the job reports it when granted the job, and stands aside', async () => {
    const leader = await cluster.start('leader', { dataflow: wordCountKinds(outputs) });
    const { sinks: _sinks, ...withoutSinks } = wordCountKinds(outputs);
    const standby = await cluster.start('standby', { dataflow: withoutSinks });
    await leader.manager.submitJob(dataflowJob(cluster, 'words', wordCountDataflow(WORDS)));
    await leader.manager.close();
    standby.clock.advance(LEASE.renewInterval);
    const failed = await standby.events.waitFor('job-start-failed', 'the standby cannot build the job');
    expect(failed.error).to.include("JobDefinition.dataflow.vertices[0].sink names sink kind 'committed', which this job manager does not register");
    expect(standby.manager.runningJobs()).to.deep.equal([]);
  });

  it('keys records by a path into them, and fails the job when a record has no key there', async () => {
    const leader = await cluster.start('leader', { dataflow: wordCountKinds(outputs) });
    const [sink, counter, source] = wordCountDataflow(WORDS).vertices as [DataflowVertexDefinition, DataflowVertexDefinition, DataflowVertexDefinition];
    const keyedBy = (keyPath: string): DataflowVertexDefinition => ({ ...counter, inputs: [{ from: 'words', partitioning: 'key-by', keyPath }] } as DataflowVertexDefinition);

    await leader.manager.submitJob(dataflowJob(cluster, 'by-path', wordCountDataflow(WORDS, { vertices: [sink, keyedBy('$.word'), source] })));
    await runToTheEnd(leader, 'by-path', outputs.of('by-path'));
    expect(outputs.of('by-path').wordCounts()).to.deep.equal(expectedWordCounts(WORDS));

    const fragile = dataflowJob(cluster, 'no-key', wordCountDataflow(WORDS, { vertices: [sink, keyedBy('$.customer'), source] }));
    await leader.manager.submitJob({ ...fragile, checkpointing: { ...fragile.checkpointing, restartStrategy: { kind: 'none' } } });
    await step(leader, 'no-key');
    const ended = await leader.events.waitFor('job-terminated', 'the job fails', (event) => event.jobId === 'no-key');
    expect(ended.jobStatus).to.equal(JobStatus.FAILED);
    const failure = leader.events.coordinatorEvents('task-failed')[0];
    expect(failure?.taskId).to.match(/^words-[01]$/);
    expect(failure?.error).to.match(/^a record from 'words' to 'counter' has no value at its key path \(key by \$\.customer; record: \{"word":"[a-z]+"\}\); every record on a key-by edge needs a key/);
    expect(outputs.of('no-key').size).to.equal(0);
  });

  it('fails a task whose kind returns something that is not a source or stream operator, naming the kind and the vertex', async () => {
    const kinds = wordCountKinds(outputs);
    const leader = await cluster.start('leader', {
      dataflow: { ...kinds, sources: { ...kinds.sources, broken: () => ({}) as never }, operators: { ...kinds.operators, hollow: () => ({ processRecord: () => undefined }) as never } },
    });
    const [sink, counter, source] = wordCountDataflow(WORDS).vertices as [DataflowVertexDefinition, DataflowVertexDefinition, DataflowVertexDefinition];
    const once = (jobId: string, vertices: readonly DataflowVertexDefinition[]): DataflowJobDefinition => {
      const definition = dataflowJob(cluster, jobId, wordCountDataflow(WORDS, { vertices }));
      return { ...definition, checkpointing: { ...definition.checkpointing, restartStrategy: { kind: 'none' } } };
    };
    await leader.manager.submitJob(once('broken', [sink, counter, { ...source, source: 'broken' } as DataflowVertexDefinition]));
    await leader.events.waitFor('job-terminated', 'the job with a broken source fails', (event) => event.jobId === 'broken');
    await leader.manager.submitJob(once('hollow', [sink, { ...counter, operator: 'hollow' } as DataflowVertexDefinition, source]));
    await leader.events.waitFor('job-terminated', 'the job with a hollow operator fails', (event) => event.jobId === 'hollow');
    const errors = leader.events.coordinatorEvents('task-failed').map((event) => event.error);
    expect(errors.find((error) => error.includes("source kind 'broken'"))).to.equal("source kind 'broken' of vertex 'words' returned {}, not a replayable source { read(offset, max) }");
    expect(errors.find((error) => error.includes("operator kind 'hollow'")))
      .to.equal("operator kind 'hollow' of vertex 'counter' returned an object without snapshotState, restoreState: a stream operator needs processRecord, snapshotState and restoreState");
  });

  it('runs a kind exported by the job\'s operator bundle, on a standby too', async () => {
    const haCopy = await FileSystemBlobHaCopy.open(join(cluster.directory, 'blob-ha'));
    const leaderBlobs = await BlobStore.open({ localDirectory: join(cluster.directory, 'blobs-leader'), haCopy });
    const standbyBlobs = await BlobStore.open({ localDirectory: join(cluster.directory, 'blobs-standby'), haCopy: await FileSystemBlobHaCopy.open(join(cluster.directory, 'blob-ha')) });
    const leader = await cluster.start('leader', { dataflow: wordCountKinds(outputs), blobs: leaderBlobs });
    const standby = await cluster.start('standby', { dataflow: wordCountKinds(outputs), blobs: standbyBlobs });
    const bundle = await putOperatorBundle(leaderBlobs, 'shout', UPPER_CASE_BUNDLE);
    const [sink, counter, source] = wordCountDataflow(WORDS).vertices as [DataflowVertexDefinition, DataflowVertexDefinition, DataflowVertexDefinition];
    const vertices: DataflowVertexDefinition[] = [
      source,
      { name: 'upper', operator: 'upperCase', parallelism: 2, inputs: [{ from: 'words', partitioning: 'forward' }] },
      { ...counter, inputs: [{ from: 'upper', partitioning: 'key-by', keyPath: '$.word' }] } as DataflowVertexDefinition,
      sink,
    ];
    await leader.manager.submitJob({ ...dataflowJob(cluster, 'shout', wordCountDataflow(WORDS, { vertices })), operatorBundle: bundle });
    await step(leader, 'shout');
    const first = await checkpoint(leader, 'shout');
    await leader.manager.close();
    standby.clock.advance(LEASE.renewInterval);
    expect((await standby.events.waitFor('job-started', 'the standby recovers the bundled job')).restoredCheckpointId).to.equal(first.checkpointId);
    await runToTheEnd(standby, 'shout', outputs.of('shout'));
    expect(outputs.of('shout').wordCounts()).to.deep.equal(expectedWordCounts(WORDS.map((word) => word.toUpperCase())));
    expect(standbyBlobs.stats.fetches, 'the standby fetched the bundle from the HA copy').to.equal(1);
  });
});
