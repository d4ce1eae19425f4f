import { expect } from 'chai';
import { tell } from '../../src/actor/typed-ref.js';
import { CheckpointFailureReason, countsAsFailure } from '../../src/checkpoint/checkpoint-failure-reason.js';
import type { CheckpointIDCounter } from '../../src/checkpoint/checkpoint-id-counter.js';
import { asCheckpointId, asTaskId } from '../../src/core/ids.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';
import { InMemoryCheckpointStorage } from '../../src/storage/in-memory-checkpoint-storage.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';
import { FullDiskStore } from '../support/full-disk-store.js';

/** An id counter on a broken disk: every id it is asked for fails. */
const brokenIdCounter: CheckpointIDCounter = {
  getAndIncrement: async () => { throw new Error('input/output error on /var/checkpoints/job-1/checkpoint-id-counter'); },
  get: async () => asCheckpointId(1),
  setCount: async () => undefined,
  shutdown: async () => undefined,
};

/** Storage whose metadata writes fail, as on a full disk. */
class FullDiskStorage extends InMemoryCheckpointStorage {
  override async writeMetadata(): Promise<string> {
    throw new Error('no space left on device');
  }
}

describe('CheckpointCoordinator: failures are counted, named and bounded', () => {
  let h: CoordinatorHarness;
  beforeEach(() => {
    h = new CoordinatorHarness();
  });
  afterEach(() => h.dispose());

  function acknowledgeRaw(taskId: string, checkpointId: number, state: unknown): void {
    const { jobId, attemptId } = h.tasks.current(taskId);
    const raw = h.coordinator as unknown as Parameters<typeof tell<unknown>>[0];
    tell(raw, { type: 'AcknowledgeCheckpoint', jobId, taskId: asTaskId(taskId), attemptId, checkpointId: asCheckpointId(checkpointId), state });
  }

  describe('a checkpoint never vanishes', () => {
    it('fails a checkpoint at once as declined when a participant acknowledges with state that is not JSON, and goes on checkpointing', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 5 });
      h.tasks.answer('sink', 'stay-silent');
      const outcome = h.triggerNow();
      await h.settle();
      acknowledgeRaw('sink', 1, { operatorState: { kind: 'inline', value: { total: 10n } }, keyedState: [] });
      expect(await outcome).to.deep.equal({
        status: 'failed', checkpointId: 1, reason: CheckpointFailureReason.DECLINED,
        message: 'task sink sent a malformed acknowledgement of checkpoint 1: AcknowledgeCheckpoint.state.operatorState.value is not JSON: $.total is a bigint',
      });
      const stats = await h.settle();
      expect(stats.counts.malformedMessages).to.equal(1);
      expect(stats.counts.failed).to.equal(1);
      expect(stats.continuousFailures).to.equal(1);
      expect(h.tasks.of('source')).to.deep.equal(['Trigger(1)', 'Ack(1)', 'Aborted(1)']);
      h.tasks.answer('sink', 'acknowledge');
      expect((await h.triggerNow()).status).to.equal('completed');
    });

    it('fails a checkpoint at once, without waiting for its timeout, when a participant acknowledges with a malformed state', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 5, timeout: 60_000 });
      h.tasks.answer('sink', 'stay-silent');
      const outcome = h.triggerNow();
      await h.settle();
      acknowledgeRaw('sink', 1, { operatorState: null, keyedState: [{ kind: 'incremental', backendId: 7 }] });
      const failed = await outcome;
      expect(failed).to.deep.include({ status: 'failed', checkpointId: 1, reason: CheckpointFailureReason.DECLINED });
      expect(failed.status === 'failed' && failed.message).to.match(/^task sink sent a malformed acknowledgement of checkpoint 1: AcknowledgeCheckpoint\.state\.keyedState\[0\]/);
    });

    it('only counts a malformed acknowledgement for an unknown checkpoint or from an unknown task, and leaves pending checkpoints alone', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 5 });
      h.tasks.answer('sink', 'stay-silent');
      void h.triggerNow();
      await h.settle();
      acknowledgeRaw('sink', 7, { operatorState: 5, keyedState: [] });
      const stats = await h.settle();
      expect(stats.counts.malformedMessages).to.equal(1);
      expect(stats.counts.inProgress).to.equal(1);
      expect(stats.counts.failed).to.equal(0);
    });
  });

  describe('I/O failures count', () => {
    it('counts a failing id counter toward tolerableFailures, so a broken disk fails the job instead of stopping checkpointing silently', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 1, idCounter: brokenIdCounter });
      const first = await h.triggerNow();
      expect(first).to.deep.equal({
        status: 'failed', checkpointId: null, reason: CheckpointFailureReason.IO_FAILURE,
        message: 'checkpoint not triggered: the checkpoint id counter failed: input/output error on /var/checkpoints/job-1/checkpoint-id-counter',
      });
      expect((await h.stats()).continuousFailures).to.equal(1);
      await h.triggerNow();
      const stats = await h.settle();
      expect(stats.counts.jobFailures).to.equal(1);
      expect(h.events.some((event) => event.type === 'restart-scheduled')).to.equal(true);
    });

    it('fails a checkpoint whose metadata cannot be written as an I/O failure, and counts it', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 5, storage: new FullDiskStorage() });
      const outcome = await h.triggerNow();
      expect(outcome).to.deep.include({ status: 'failed', checkpointId: 1, reason: CheckpointFailureReason.IO_FAILURE });
      expect(outcome.status === 'failed' && outcome.message).to.equal('checkpoint 1 could not be finalized: writing its metadata to memory failed: no space left on device');
      expect((await h.stats()).continuousFailures).to.equal(1);
    });

    it('fails a checkpoint the store cannot add as an I/O failure, and counts it', async () => {
      const store = new FullDiskStore({ maxRetained: 1 });
      store.full = true;
      await h.spawn({ startScheduler: false, tolerableFailures: 5, store });
      const outcome = await h.triggerNow();
      expect(outcome).to.deep.include({ status: 'failed', checkpointId: 1, reason: CheckpointFailureReason.IO_FAILURE });
      expect(outcome.status === 'failed' && outcome.message).to.equal('checkpoint 1 could not be finalized: adding it to the completed checkpoint store failed: no space left on device');
      expect((await h.stats()).continuousFailures).to.equal(1);
    });

    it('pins which reasons count toward tolerableFailures', () => {
      const counted = Object.values(CheckpointFailureReason).filter((reason) => countsAsFailure(reason)).sort();
      expect(counted).to.deep.equal([
        CheckpointFailureReason.DECLINED, CheckpointFailureReason.EXPIRED, CheckpointFailureReason.FINALIZE_FAILURE, CheckpointFailureReason.IO_FAILURE,
      ].sort());
      expect(Object.values(CheckpointFailureReason)).to.not.include.members(['too-many-concurrent-checkpoints', 'minimum-pause-not-elapsed', 'id-counter-failure']);
    });
  });

  describe('an expiry names the tasks that did not acknowledge', () => {
    it('lists the silent tasks', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 5, timeout: 1000, taskIds: ['source', 'map', 'sink'] });
      h.tasks.answer('sink', 'stay-silent');
      h.tasks.answer('map', 'stay-silent');
      const outcome = h.triggerNow();
      await h.settle();
      await h.advance(1000);
      expect(await outcome).to.deep.include({ status: 'failed', reason: CheckpointFailureReason.EXPIRED, message: 'checkpoint 1 expired after 1000 ms with 1 of 3 tasks acknowledged; not acknowledged: map, sink' });
    });

    it('names the first ten silent tasks and how many more there are', async () => {
      const taskIds = Array.from({ length: 13 }, (_, index) => `t${String(index).padStart(2, '0')}`);
      await h.spawn({ startScheduler: false, tolerableFailures: 5, timeout: 500, taskIds });
      for (const taskId of taskIds) h.tasks.answer(taskId, 'stay-silent');
      const outcome = h.triggerNow();
      await h.settle();
      await h.advance(500);
      expect(await outcome).to.deep.include({
        message: 'checkpoint 1 expired after 500 ms with 0 of 13 tasks acknowledged; not acknowledged: t00, t01, t02, t03, t04, t05, t06, t07, t08, t09 and 3 more',
      });
    });
  });

  describe('failure counting per reason', () => {
    const inline = (value: string): TaskStateSnapshot => ({ operatorState: { kind: 'inline', value }, keyedState: [] });

    it('does not count aborts by a task failure', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 0 });
      h.tasks.answer('sink', 'stay-silent');
      const outcome = h.triggerNow();
      await h.settle();
      const { jobId, attemptId } = h.tasks.current('sink');
      tell(h.coordinator, { type: 'TaskFailed', jobId, taskId: asTaskId('sink'), attemptId, error: 'boom' });
      expect(await outcome).to.deep.include({ reason: CheckpointFailureReason.TASK_FAILURE });
      const stats = await h.settle();
      expect(stats.continuousFailures).to.equal(0);
      expect(stats.counts.jobFailures).to.equal(0);
    });

    it('does not count a checkpoint subsumed by a newer one', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 0, maxConcurrent: 2 });
      h.tasks.answer('sink', 'stay-silent');
      const first = h.triggerNow();
      void h.triggerNow();
      await h.settle();
      const { jobId, attemptId } = h.tasks.current('sink');
      tell(h.coordinator, { type: 'AcknowledgeCheckpoint', jobId, taskId: asTaskId('sink'), attemptId, checkpointId: asCheckpointId(2), state: inline('sink@2') });
      expect(await first).to.deep.include({ reason: CheckpointFailureReason.SUBSUMED });
      const stats = await h.settle();
      expect(stats.continuousFailures).to.equal(0);
      expect(stats.counts.jobFailures).to.equal(0);
    });

    it('counts each declined checkpoint once, however many tasks decline it', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 5 });
      h.tasks.answer('sink', 'decline');
      h.tasks.answer('source', 'decline');
      await h.triggerNow();
      expect((await h.settle()).continuousFailures).to.equal(1);
    });
  });
});
