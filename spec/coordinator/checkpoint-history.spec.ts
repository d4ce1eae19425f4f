import { expect } from 'chai';
import { tell } from '../../src/actor/typed-ref.js';
import { CheckpointFailureReason } from '../../src/checkpoint/checkpoint-failure-reason.js';
import { asCheckpointId, asTaskId, type TaskId } from '../../src/core/ids.js';
import { summarizeAcknowledgementLatencies } from '../../src/coordinator/acknowledgement-latency.js';
import type { CheckpointHistoryEntry } from '../../src/checkpoint/checkpoint-history.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';

const inline = (value: string): TaskStateSnapshot => ({ operatorState: { kind: 'inline', value }, keyedState: [] });

/** A keyed snapshot referencing shared files by name (`<name>:<size>`), the way an incremental backend's acknowledgement does. */
function sharedFiles(checkpointId: number, ...files: readonly string[]): TaskStateSnapshot {
  return {
    operatorState: null,
    keyedState: [{
      kind: 'incremental', backendId: 'b', keyGroupRange: { start: 0, end: 0 }, checkpointId: asCheckpointId(checkpointId),
      sharedState: files.map((file) => {
        const [name, size] = file.split(':');
        return { handleId: name as string, handle: { kind: 'file', path: `job-1/shared/${name}`, size: Number(size), checksum: 'c'.repeat(64) } };
      }),
      privateState: [],
      metaState: { kind: 'bytes', handleName: 'meta', data: '', size: 4 },
    }],
  };
}

describe('CheckpointCoordinator: the checkpoint stats history', () => {
  let h: CoordinatorHarness;
  beforeEach(() => {
    h = new CoordinatorHarness();
  });
  afterEach(() => h.dispose());

  function acknowledge(taskId: string, checkpointId: number, state: TaskStateSnapshot): void {
    const { jobId, attemptId } = h.tasks.current(taskId);
    tell(h.coordinator, { type: 'AcknowledgeCheckpoint', jobId, taskId: asTaskId(taskId), attemptId, checkpointId: asCheckpointId(checkpointId), state });
  }

  const idsAndStatuses = (entries: readonly CheckpointHistoryEntry[]): string[] => entries.map((entry) => `${entry.checkpointId}:${entry.status}`);

  it('keeps the latest historySize finished checkpoints, oldest first, followed by the ones in progress', async () => {
    await h.spawn({ startScheduler: false, historySize: 3, tolerableFailures: 10 });
    await h.triggerNow();
    h.tasks.answer('sink', 'decline');
    await h.triggerNow();
    h.tasks.answer('sink', 'acknowledge');
    await h.triggerNow();
    await h.savepoint();
    h.tasks.answer('sink', 'stay-silent');
    void h.triggerNow();
    const stats = await h.settle();

    expect(idsAndStatuses(stats.history.entries)).to.deep.equal(['2:failed', '3:completed', '4:completed', '5:in-progress']);
    expect(stats.history.entries.map((entry) => entry.kind)).to.deep.equal(['checkpoint', 'checkpoint', 'savepoint', 'checkpoint']);
    expect(stats.history.capacity).to.equal(3);
    expect(stats.history.summary).to.deep.include({ completed: 2, failed: 1, inProgress: 1 });
    expect(stats.history.entries[3]).to.deep.equal({
      checkpointId: 5, kind: 'checkpoint', status: 'in-progress', triggerTimestamp: 1000, endTimestamp: null, durationMs: null,
      acknowledgementLatency: null, slowestTask: null, stateSize: null, persistedBytes: null, failureReason: null, failureMessage: null,
    });
  });

  it('records, per checkpoint, trigger time, end-to-end duration, the acknowledgement latency summary and the slowest task', async () => {
    await h.spawn({ startScheduler: false, taskIds: ['a', 'b', 'c', 'd'] });
    for (const taskId of ['b', 'c', 'd']) h.tasks.answer(taskId, 'stay-silent');
    const outcome = h.triggerNow();
    await h.settle();
    await h.advance(10);
    acknowledge('c', 1, inline('c'));
    await h.settle();
    await h.advance(20);
    acknowledge('d', 1, inline('d'));
    await h.settle();
    await h.advance(50);
    acknowledge('b', 1, inline('b'));
    expect((await outcome).status).to.equal('completed');
    const [entry] = (await h.settle()).history.entries;

    expect(entry).to.deep.include({ checkpointId: 1, status: 'completed', triggerTimestamp: 1000, endTimestamp: 1080, durationMs: 80, failureReason: null });
    // a at 0 ms, c at 10, d at 30, b at 80: nearest-rank p99 of four is the largest.
    expect(entry?.acknowledgementLatency).to.deep.equal({ min: 0, avg: 30, p99: 80, max: 80, acknowledged: 4, tasks: 4 });
    expect(entry?.slowestTask).to.deep.equal({ taskId: 'b', latencyMs: 80 });
  });

  it('records the failure reason and message, and the latency of the tasks that did acknowledge, of an expired checkpoint', async () => {
    await h.spawn({ startScheduler: false, timeout: 500, tolerableFailures: 10 });
    h.tasks.answer('sink', 'stay-silent');
    void h.triggerNow();
    await h.settle();
    const [entry] = (await h.advance(500)).history.entries;

    expect(entry).to.deep.include({
      checkpointId: 1, status: 'failed', endTimestamp: 1500, durationMs: 500, stateSize: null, persistedBytes: null, failureReason: CheckpointFailureReason.EXPIRED,
      failureMessage: 'checkpoint 1 expired after 500 ms with 1 of 2 tasks acknowledged; not acknowledged: sink',
    });
    expect(entry?.acknowledgementLatency).to.deep.equal({ min: 0, avg: 0, p99: 0, max: 0, acknowledged: 1, tasks: 2 });
    expect(entry?.slowestTask).to.deep.equal({ taskId: 'source', latencyMs: 0 });
  });

  it('counts as persisted only what a checkpoint uploaded itself: files the previous checkpoint did not reference, and inline state', async () => {
    await h.spawn({ startScheduler: false, taskIds: ['keyed'] });
    const uploads: Record<number, TaskStateSnapshot> = {
      1: sharedFiles(1, 'one:100', 'two:200'),
      2: sharedFiles(2, 'one:100', 'two:200', 'three:30'),
      3: sharedFiles(3, 'four:330'),
    };
    h.tasks.acknowledgeWith('keyed', (id) => uploads[id] as TaskStateSnapshot);
    await h.triggerNow();
    await h.triggerNow();
    await h.triggerNow();
    const { history } = await h.settle();

    // The 4-byte meta stream is inline: written with every checkpoint's metadata.
    expect(history.entries.map((entry) => [entry.stateSize, entry.persistedBytes])).to.deep.equal([[304, 304], [334, 34], [334, 334]]);
    expect(history.summary.stateSize).to.deep.equal({ min: 304, avg: 324, max: 334 });
    expect(history.summary.persistedBytes).to.deep.equal({ min: 34, avg: 224, max: 334 });
    expect(history.summary.durationMs).to.deep.equal({ min: 0, avg: 0, max: 0 });
  });

  it('lists the restores, with the checkpoint each restored to', async () => {
    await h.spawn({ startScheduler: false });
    await h.triggerNow();
    await h.advance(5);
    await h.restore();
    await h.advance(5);
    await h.restore();
    const stats = await h.settle();

    expect(stats.history.restores).to.deep.equal([{ checkpointId: 1, timestamp: 1005 }, { checkpointId: 1, timestamp: 1010 }]);
    expect(stats.latestRestore).to.deep.equal({ checkpointId: 1, timestamp: 1010 });
  });
});

describe('summarizeAcknowledgementLatencies', () => {
  const ids = (count: number): TaskId[] => Array.from({ length: count }, (_, index) => asTaskId(`t${index}`));

  it('takes the nearest-rank 99th percentile and ignores tasks that never acknowledged', () => {
    const latencies = Float64Array.from({ length: 200 }, (_, index) => (index === 7 ? Number.NaN : index));
    const { summary, slowestTask } = summarizeAcknowledgementLatencies(latencies, ids(200));

    // 199 values 0..199 without 7: rank ceil(0.99 * 199) = 198 is the value 198.
    expect(summary).to.deep.include({ min: 0, p99: 198, max: 199, acknowledged: 199, tasks: 200 });
    expect(slowestTask).to.deep.equal({ taskId: 't199', latencyMs: 199 });
  });

  it('has no summary when no task acknowledged', () => {
    expect(summarizeAcknowledgementLatencies(Float64Array.of(Number.NaN, Number.NaN), ids(2))).to.deep.equal({ summary: null, slowestTask: null });
  });
});
