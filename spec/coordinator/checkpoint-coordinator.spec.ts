import { expect } from 'chai';
import { ask, tell } from '../../src/actor/typed-ref.js';
import { CheckpointFailureReason } from '../../src/checkpoint/checkpoint-failure-reason.js';
import { StandaloneCompletedCheckpointStore } from '../../src/checkpoint/standalone-completed-checkpoint-store.js';
import { asCheckpointId, asJobId, asTaskId } from '../../src/core/ids.js';
import { JobStatus } from '../../src/core/job-status.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';
import { aStateWithFiles } from '../support/checkpoint-fixtures.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';
import { FullDiskStore } from '../support/full-disk-store.js';
import { RecordingStateCleaner } from '../support/recording-state-cleaner.js';

const inline = (value: string): TaskStateSnapshot => ({ operatorState: { kind: 'inline', value }, keyedState: [] });

describe('CheckpointCoordinator', () => {
  let h: CoordinatorHarness;
  beforeEach(() => {
    h = new CoordinatorHarness();
  });
  afterEach(() => h.dispose());

  /** Sends an acknowledgement as if the task's current attempt had sent it. */
  function acknowledge(taskId: string, checkpointId: number, state = inline(`${taskId}-manual`), overrides: Record<string, unknown> = {}): void {
    const { jobId, attemptId } = h.tasks.current(taskId);
    tell(h.coordinator, { type: 'AcknowledgeCheckpoint', jobId, taskId: asTaskId(taskId), attemptId, checkpointId: asCheckpointId(checkpointId), state, ...overrides });
  }

  function decline(taskId: string, checkpointId: number): void {
    const { jobId, attemptId } = h.tasks.current(taskId);
    tell(h.coordinator, { type: 'DeclineCheckpoint', jobId, taskId: asTaskId(taskId), attemptId, checkpointId: asCheckpointId(checkpointId), reason: 'out of buffers' });
  }

  function failTask(taskId: string, error = 'boom'): void {
    const { jobId, attemptId } = h.tasks.current(taskId);
    tell(h.coordinator, { type: 'TaskFailed', jobId, taskId: asTaskId(taskId), attemptId, error });
  }

  describe('triggering', () => {
    it('triggers periodically after the initial delay: Trigger(1) -> Ack(1) -> Complete(1) on every task', async () => {
      await h.spawn({ interval: 100, initialDelay: 50 });
      await h.advance(49);
      expect(h.tasks.log).to.deep.equal([]);
      await h.advance(1);
      expect(h.tasks.of('source')).to.deep.equal(['Trigger(1)', 'Ack(1)', 'Complete(1)']);
      expect(h.tasks.of('sink')).to.deep.equal(['Trigger(1)', 'Ack(1)', 'Complete(1)']);
      await h.advance(100);
      expect(h.tasks.of('source')).to.deep.equal(['Trigger(1)', 'Ack(1)', 'Complete(1)', 'Trigger(2)', 'Ack(2)', 'Complete(2)']);
    });

    it('answers a manual trigger with the completed checkpoint holding every task state', async () => {
      await h.spawn({ startScheduler: false });
      const outcome = await h.triggerNow();
      expect(outcome.status).to.equal('completed');
      if (outcome.status !== 'completed') return;
      expect(outcome.checkpoint.checkpointId).to.equal(1);
      expect(outcome.checkpoint.taskStates).to.deep.equal({ source: inline('source@1'), sink: inline('sink@1') });
      expect(Object.isFrozen(outcome.checkpoint)).to.equal(true);
      expect(Object.isFrozen(outcome.checkpoint.taskStates)).to.equal(true);
    });

    it('takes no periodic checkpoint while the scheduler is stopped, and resumes when it starts', async () => {
      await h.spawn({ startScheduler: false, interval: 100 });
      await h.advance(500);
      expect(h.tasks.log).to.deep.equal([]);
      await askDone('StartCheckpointScheduler');
      await h.advance(100);
      expect(h.tasks.of('source')).to.deep.equal(['Trigger(1)', 'Ack(1)', 'Complete(1)']);
      await askDone('StopCheckpointScheduler');
      await h.advance(1000);
      expect((await h.stats()).counts.triggered).to.equal(1);
      expect((await h.stats()).timerRunning).to.equal(false);
    });

    it('refuses a trigger while a task is not running, and nothing becomes pending', async () => {
      await h.spawn({ startScheduler: false, restartStrategy: { kind: 'fixed-delay', attempts: Number.POSITIVE_INFINITY, delay: 1000 } });
      failTask('sink');
      await h.settle();
      const outcome = await h.triggerNow();
      expect(outcome).to.deep.include({ status: 'failed', reason: CheckpointFailureReason.NOT_ALL_TASKS_RUNNING, checkpointId: null });
      expect(outcome.status === 'failed' && outcome.message).to.match(/not every task is running \(waiting for sink\)/);
      const stats = await h.stats();
      expect(stats.counts.triggered).to.equal(0);
      expect(stats.counts.inProgress).to.equal(0);
    });

    it('refuses a trigger when no task is registered', async () => {
      await h.spawn({ startScheduler: false, taskIds: [] });
      expect(await h.triggerNow()).to.deep.include({ status: 'failed', reason: CheckpointFailureReason.NO_TASKS });
    });

    it('keeps at most maxConcurrent checkpoints pending: a periodic trigger waits for a free slot', async () => {
      await h.spawn({ interval: 100, maxConcurrent: 1 });
      h.tasks.answer('sink', 'stay-silent');
      await h.advance(100);
      await h.advance(300);
      let stats = await h.stats();
      expect(stats.counts.triggered).to.equal(1);
      expect(stats.counts.inProgress).to.equal(1);
      acknowledge('sink', 1);
      stats = await h.settle();
      expect(stats.counts.completed).to.equal(1);
      expect(h.tasks.of('source').filter((line) => line.startsWith('Trigger'))).to.deep.equal(['Trigger(1)', 'Trigger(2)']);
    });

    it('runs a savepoint at once even when maxConcurrent checkpoints are pending', async () => {
      await h.spawn({ interval: 100, maxConcurrent: 1 });
      h.tasks.answer('sink', 'stay-silent');
      await h.advance(100);
      h.tasks.answer('sink', 'acknowledge');
      const outcome = await h.savepoint();
      expect(outcome.status).to.equal('completed');
      if (outcome.status === 'completed') {
        expect(outcome.checkpoint.checkpointId).to.equal(2);
        expect(outcome.checkpoint.properties.type).to.equal('savepoint');
      }
      expect((await h.stats()).counts.inProgress).to.equal(1);
    });

    it('makes a periodic trigger inside minPause wait until the pause has passed', async () => {
      await h.spawn({ interval: 100, minPause: 250 });
      await h.advance(100);
      expect((await h.stats()).latestCompleted?.checkpointId).to.equal(1);
      await h.advance(249);
      expect((await h.stats()).counts.triggered).to.equal(1);
      await h.advance(1);
      const stats = await h.stats();
      expect(stats.counts.triggered).to.equal(2);
      expect(stats.latestCompleted?.completionTimestamp).to.equal(1_000 + 100 + 250);
    });

    it('runs a manual trigger at once inside minPause', async () => {
      await h.spawn({ interval: 100, minPause: 10_000 });
      await h.advance(100);
      const outcome = await h.triggerNow();
      expect(outcome.status === 'completed' && outcome.checkpoint.checkpointId).to.equal(2);
    });

    it('refuses requests beyond maxQueuedRequests with a reason saying so', async () => {
      await h.spawn({ startScheduler: false, maxQueuedRequests: 1 });
      h.tasks.answer('sink', 'stay-silent');
      const first = h.triggerNow();
      await h.settle();
      const second = h.triggerNow();
      const third = await h.triggerNow();
      expect(third).to.deep.include({ status: 'failed', reason: CheckpointFailureReason.TOO_MANY_QUEUED_REQUESTS });
      expect(third.status === 'failed' && third.message).to.match(/1 trigger requests are already queued \(maxQueuedRequests is 1\)/);
      h.tasks.answer('sink', 'acknowledge');
      acknowledge('sink', 1);
      expect((await first).status).to.equal('completed');
      expect((await second).status).to.equal('completed');
    });

    it('refuses triggers while too many state deletions are backlogged', async () => {
      const cleaner = new RecordingStateCleaner();
      cleaner.backlog = 11;
      await h.spawn({ startScheduler: false, stateCleaner: cleaner, maxPendingDiscards: 10 });
      expect(await h.triggerNow()).to.deep.include({ status: 'failed', reason: CheckpointFailureReason.TOO_MANY_PENDING_DISCARDS });
      cleaner.backlog = 10;
      expect((await h.triggerNow()).status).to.equal('completed');
    });
  });

  describe('acknowledgements', () => {
    it('ignores a duplicate acknowledgement: it changes nothing and discards nothing', async () => {
      const cleaner = new RecordingStateCleaner();
      await h.spawn({ startScheduler: false, stateCleaner: cleaner });
      h.tasks.answer('sink', 'stay-silent');
      const outcome = h.triggerNow();
      await h.settle();
      acknowledge('source', 1, aStateWithFiles('source-copy', 1));
      let stats = await h.settle();
      expect(stats.counts.duplicateAcknowledgements).to.equal(1);
      expect(stats.counts.inProgress).to.equal(1);
      acknowledge('sink', 1);
      const completed = await outcome;
      expect(completed.status === 'completed' && completed.checkpoint.taskStates[asTaskId('source')]).to.deep.equal(inline('source@1'));
      acknowledge('sink', 1, aStateWithFiles('sink-copy', 1));
      stats = await h.settle();
      expect(stats.counts.duplicateAcknowledgements).to.equal(2);
      expect(cleaner.discardedFiles).to.deep.equal([]);
    });

    it('discards the state of an acknowledgement from an unknown attempt once its checkpoint has settled', async () => {
      const cleaner = new RecordingStateCleaner();
      await h.spawn({ startScheduler: false, stateCleaner: cleaner });
      h.tasks.answer('sink', 'stay-silent');
      void h.triggerNow();
      await h.settle();
      acknowledge('sink', 1, aStateWithFiles('stale', 1), { attemptId: 'an-old-attempt' });
      const stats = await h.settle();
      expect(stats.counts.discardedAcknowledgements).to.equal(1);
      expect(stats.counts.inProgress).to.equal(1);
      expect(cleaner.discardedFiles, 'while checkpoint 1, whose directory the files lie in, is in flight').to.deep.equal([]);
      acknowledge('sink', 1);
      await h.settle();
      expect(cleaner.discardedFiles).to.deep.equal(['job-1/chk-1/stale-operator', 'job-1/shared/stale-1']);
    });

    it('discards the state of an acknowledgement that arrives after its checkpoint was aborted', async () => {
      const cleaner = new RecordingStateCleaner();
      await h.spawn({ startScheduler: false, stateCleaner: cleaner, timeout: 500, tolerableFailures: 5 });
      h.tasks.acknowledgeWith('source', (id) => aStateWithFiles('source', id));
      h.tasks.answer('sink', 'stay-silent');
      void h.triggerNow();
      await h.settle();
      await h.advance(500);
      acknowledge('sink', 1, aStateWithFiles('sink', 1));
      await h.settle();
      expect(cleaner.abortedDirectories).to.deep.equal([1]);
      expect(cleaner.discardedFiles).to.deep.equal(['job-1/shared/source-1', 'job-1/chk-1/sink-operator', 'job-1/shared/sink-1']);
    });

    it('ignores messages of another job and leaves their state untouched', async () => {
      const cleaner = new RecordingStateCleaner();
      await h.spawn({ startScheduler: false, stateCleaner: cleaner });
      h.tasks.answer('sink', 'stay-silent');
      void h.triggerNow();
      await h.settle();
      acknowledge('sink', 1, aStateWithFiles('sink', 1, 'job-2'), { jobId: asJobId('job-2') });
      failTaskOfOtherJob('sink');
      const stats = await h.settle();
      expect(stats.counts.foreignMessages).to.equal(2);
      expect(stats.counts.inProgress).to.equal(1);
      expect(stats.counts.taskRestarts).to.equal(0);
      expect(cleaner.discardedFiles).to.deep.equal([]);
    });
  });

  describe('aborting', () => {
    it('aborts an expired checkpoint and notifies every task once, leaving other pending checkpoints alone', async () => {
      await h.spawn({ startScheduler: false, timeout: 1000, maxConcurrent: 2, tolerableFailures: 5 });
      h.tasks.answer('sink', 'stay-silent');
      const first = h.triggerNow();
      await h.settle();
      await h.advance(400);
      void h.triggerNow();
      await h.settle();
      await h.advance(600);
      const outcome = await first;
      expect(outcome).to.deep.include({ status: 'failed', checkpointId: 1, reason: CheckpointFailureReason.EXPIRED });
      expect(outcome.status === 'failed' && outcome.message).to.equal('checkpoint 1 expired after 1000 ms with 1 of 2 tasks acknowledged; not acknowledged: sink');
      expect(h.tasks.of('sink')).to.deep.equal(['Trigger(1)', 'Trigger(2)', 'Aborted(1)']);
      const stats = await h.stats();
      expect(stats.counts.inProgress).to.equal(1);
      expect(stats.counts.failed).to.equal(1);
    });

    it('aborts a declined checkpoint once, ignoring repeated declines', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 5 });
      h.tasks.answer('sink', 'decline');
      const outcome = await h.triggerNow();
      expect(outcome).to.deep.include({ status: 'failed', reason: CheckpointFailureReason.DECLINED });
      expect(outcome.status === 'failed' && outcome.message).to.equal('task sink declined checkpoint 1: not ready');
      decline('sink', 1);
      decline('source', 1);
      const stats = await h.settle();
      expect(h.tasks.of('source')).to.deep.equal(['Trigger(1)', 'Ack(1)', 'Aborted(1)']);
      expect(stats.counts.failed).to.equal(1);
    });

    it('discards the state collected by an aborted checkpoint', async () => {
      const cleaner = new RecordingStateCleaner();
      await h.spawn({ startScheduler: false, stateCleaner: cleaner, tolerableFailures: 5 });
      h.tasks.acknowledgeWith('source', (id) => aStateWithFiles('source', id));
      h.tasks.answer('sink', 'decline');
      await h.triggerNow();
      expect(cleaner.abortedDirectories, 'the private files, in the directory of the aborted checkpoint').to.deep.equal([1]);
      expect(cleaner.discardedFiles).to.deep.equal(['job-1/shared/source-1']);
    });

    it('keeps the shared files of an aborted checkpoint until the checkpoints in flight beside it have settled', async () => {
      const cleaner = new RecordingStateCleaner();
      await h.spawn({ startScheduler: false, stateCleaner: cleaner, maxConcurrent: 2, tolerableFailures: 5 });
      h.tasks.acknowledgeWith('source', (id) => aStateWithFiles('source', id));
      h.tasks.answer('sink', 'stay-silent');
      void h.triggerNow();
      void h.triggerNow();
      await h.settle();
      decline('sink', 1);
      await h.settle();
      expect(cleaner.abortedDirectories).to.deep.equal([1]);
      expect(cleaner.discardedSharedFiles()).to.deep.equal([]);
      acknowledge('sink', 2);
      await h.settle();
      expect(cleaner.discardedSharedFiles()).to.deep.equal(['job-1/shared/source-1']);
    });
  });

  describe('shared state of aborted checkpoints', () => {
    it('waits for checkpoints triggered before the uploading checkpoint was aborted, which may carry the same upload', async () => {
      const cleaner = new RecordingStateCleaner();
      await h.spawn({ startScheduler: false, stateCleaner: cleaner, maxConcurrent: 3, tolerableFailures: 5 });
      h.tasks.acknowledgeWith('source', (id) => aStateWithFiles('source', id));
      h.tasks.answer('sink', 'stay-silent');
      void h.triggerNow();
      void h.triggerNow();
      await h.settle();
      decline('sink', 2);
      await h.settle();
      void h.triggerNow();
      await h.settle();
      decline('sink', 1);
      await h.settle();
      expect(cleaner.discardedSharedFiles()).to.deep.equal([]);
      acknowledge('sink', 3);
      await h.settle();
      expect(cleaner.discardedSharedFiles()).to.deep.equal(['job-1/shared/source-2', 'job-1/shared/source-1']);
    });
  });

  describe('tolerable failures', () => {
    it('fails the job when counted failures exceed tolerableFailures, and restores the latest checkpoint', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 1 });
      await h.triggerNow();
      h.tasks.answer('sink', 'decline');
      await h.triggerNow();
      expect((await h.stats()).counts.jobFailures).to.equal(0);
      await h.triggerNow();
      const stats = await h.settle();
      expect(stats.counts.jobFailures).to.equal(1);
      expect(h.events.find((event) => event.type === 'restart-scheduled')).to.deep.include({
        cause: '2 checkpoint failures in a row exceed tolerableFailures (1); last: task sink declined checkpoint 3: not ready',
      });
      expect(h.tasks.of('source').slice(-1)).to.deep.equal(['Restore(1)']);
      expect(stats.latestRestore?.checkpointId).to.equal(1);
    });

    it('counts a checkpoint id once, does not count subsumed or task-failure aborts, and resets on success', async () => {
      await h.spawn({ startScheduler: false, tolerableFailures: 1, timeout: 100, maxConcurrent: 2 });
      h.tasks.answer('sink', 'decline');
      await h.triggerNow();
      expect((await h.stats()).continuousFailures).to.equal(1);
      h.tasks.answer('sink', 'acknowledge');
      await h.triggerNow();
      expect((await h.stats()).continuousFailures).to.equal(0);
      h.tasks.answer('sink', 'stay-silent');
      void h.triggerNow();
      await h.settle();
      decline('sink', 3);
      await h.advance(100);
      const stats = await h.stats();
      expect(stats.continuousFailures).to.equal(1);
      expect(stats.counts.jobFailures).to.equal(0);
    });
  });

  describe('completion', () => {
    it('subsumes older pending checkpoints and notifies completions in id order', async () => {
      await h.spawn({ startScheduler: false, maxConcurrent: 3 });
      h.tasks.answer('sink', 'stay-silent');
      const first = h.triggerNow();
      void h.triggerNow();
      await h.settle();
      acknowledge('sink', 2);
      const outcome = await first;
      expect(outcome).to.deep.include({ status: 'failed', checkpointId: 1, reason: CheckpointFailureReason.SUBSUMED });
      await h.settle();
      expect(h.tasks.of('sink')).to.deep.equal(['Trigger(1)', 'Trigger(2)', 'Aborted(1)', 'Complete(2)']);
      expect((await h.stats()).continuousFailures).to.equal(0);
    });

    it('aborts as subsumed, not as a failure, a checkpoint fully acknowledged after a newer one completed', async () => {
      const store = new StandaloneCompletedCheckpointStore({ maxRetained: 3 });
      await h.spawn({ startScheduler: false, maxConcurrent: 3, store });
      h.tasks.answer('sink', 'stay-silent');
      const first = h.triggerNow();
      const second = h.triggerNow();
      await h.settle();
      acknowledge('sink', 2);
      acknowledge('sink', 1);
      expect((await second).status).to.equal('completed');
      expect(await first).to.deep.include({ status: 'failed', reason: CheckpointFailureReason.SUBSUMED });
      expect((await h.stats()).continuousFailures).to.equal(0);
      expect(store.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId)).to.deep.equal([2]);
    });

    it('keeps a savepoint that completes after a later checkpoint', async () => {
      const store = new StandaloneCompletedCheckpointStore({ maxRetained: 1 });
      await h.spawn({ startScheduler: false, maxConcurrent: 3, store });
      h.tasks.answer('sink', 'stay-silent');
      const savepoint = h.savepoint();
      const checkpoint = h.triggerNow();
      await h.settle();
      acknowledge('sink', 2);
      expect((await checkpoint).status).to.equal('completed');
      acknowledge('sink', 1);
      expect((await savepoint).status).to.equal('completed');
      expect(store.getAllCheckpoints().map((each) => [each.checkpointId, each.properties.type])).to.deep.equal([[1, 'savepoint'], [2, 'checkpoint']]);
      expect(store.getLatestCheckpoint()?.checkpointId).to.equal(2);
    });

    it('never subsumes a pending savepoint', async () => {
      await h.spawn({ startScheduler: false, maxConcurrent: 3 });
      h.tasks.answer('sink', 'stay-silent');
      void h.savepoint();
      void h.triggerNow();
      await h.settle();
      acknowledge('sink', 2);
      const stats = await h.settle();
      expect(stats.counts.completed).to.equal(1);
      expect(stats.counts.inProgress).to.equal(1);
      expect(h.tasks.of('sink')).to.not.include('Aborted(1)');
    });

    it('keeps the retained number of checkpoints in the store, oldest subsumed first', async () => {
      const store = new StandaloneCompletedCheckpointStore({ maxRetained: 2 });
      await h.spawn({ startScheduler: false, store });
      for (let round = 0; round < 4; round += 1) await h.triggerNow();
      expect(store.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId)).to.deep.equal([3, 4]);
    });

    it('keeps, and reports, the files of a checkpoint the store refuses because it retains another with the same id', async () => {
      const cleaner = new RecordingStateCleaner();
      const store = new StandaloneCompletedCheckpointStore({ maxRetained: 2 });
      const stuckCounter = { getAndIncrement: async () => asCheckpointId(1), get: async () => asCheckpointId(1), setCount: async () => undefined, shutdown: async () => undefined };
      await h.spawn({ startScheduler: false, store, stateCleaner: cleaner, idCounter: stuckCounter, tolerableFailures: 5 });
      h.tasks.acknowledgeWith('source', (id) => aStateWithFiles('source', id));
      expect((await h.triggerNow()).status).to.equal('completed');
      const outcome = await h.triggerNow();
      expect(outcome).to.deep.include({ status: 'failed', checkpointId: 1, reason: CheckpointFailureReason.IO_FAILURE });
      await h.settle();
      expect([cleaner.discardedFiles, cleaner.abortedDirectories, cleaner.released]).to.deep.equal([[], [], []]);
      expect(h.events.find((event) => event.type === 'state-discard-refused')).to.deep.equal(h.stamped({
        type: 'state-discard-refused', checkpointId: asCheckpointId(1),
        refused: ['job-1/chk-1/source-operator', 'job-1/shared/source-1'].map((path) => ({ path, reason: 'the store retains another checkpoint 1' })),
      }));
      expect((await h.stats()).counts.refusedDiscards).to.equal(2);
    });

    it('keeps, and reports, the private files of a retained checkpoint that an acknowledgement from a stale attempt names', async () => {
      const cleaner = new RecordingStateCleaner();
      await h.spawn({ startScheduler: false, stateCleaner: cleaner });
      h.tasks.acknowledgeWith('source', (id) => aStateWithFiles('source', id));
      h.tasks.answer('sink', 'stay-silent');
      const outcome = h.triggerNow();
      await h.settle();
      acknowledge('source', 1, aStateWithFiles('source', 1), { attemptId: 'a-stale-attempt' });
      await h.settle();
      acknowledge('sink', 1);
      expect((await outcome).status).to.equal('completed');
      await h.settle();
      expect(cleaner.discardedFiles).to.deep.equal([]);
      expect(h.events.find((event) => event.type === 'state-discard-refused')).to.deep.equal(h.stamped({
        type: 'state-discard-refused', checkpointId: asCheckpointId(1), refused: [{ path: 'job-1/chk-1/source-operator', reason: 'retained checkpoint 1 references it' }],
      }));
    });

    it('reports a finalize failure as a counted failure and keeps the previous checkpoints', async () => {
      const store = new FullDiskStore({ maxRetained: 2 });
      await h.spawn({ startScheduler: false, store, tolerableFailures: 5 });
      await h.triggerNow();
      store.full = true;
      const outcome = await h.triggerNow();
      expect(outcome).to.deep.include({ status: 'failed', checkpointId: 2, reason: CheckpointFailureReason.IO_FAILURE });
      expect(outcome.status === 'failed' && outcome.message).to.equal('checkpoint 2 could not be finalized: adding it to the completed checkpoint store failed: no space left on device');
      expect(store.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId)).to.deep.equal([1]);
      await h.settle();
      expect(h.tasks.of('source').slice(-1)).to.deep.equal(['Aborted(2)']);
      expect((await h.stats()).continuousFailures).to.equal(1);
    });
  });

  describe('restore after failure', () => {
    it('restarts a failed task as a new attempt and restores every task to the latest completed checkpoint', async () => {
      await h.spawn({ interval: 100 });
      await h.advance(100);
      h.tasks.answer('sink', 'stay-silent');
      await h.advance(100);
      const failedAttempt = h.tasks.current('sink').attemptId;
      failTask('sink');
      let stats = await h.settle();
      const newAttempt = h.tasks.current('sink').attemptId;
      expect(newAttempt).to.not.equal(failedAttempt);
      expect(h.tasks.of('source')).to.deep.equal(['Trigger(1)', 'Ack(1)', 'Complete(1)', 'Trigger(2)', 'Ack(2)', 'Aborted(2)', 'Restore(1)']);
      expect(h.tasks.of('sink').slice(-1)).to.deep.equal(['Restore(1)']);
      expect(stats.counts.taskRestarts).to.equal(1);
      expect(stats.counts.restored).to.equal(1);
      expect(stats.timerRunning).to.equal(true);
      h.tasks.answer('sink', 'acknowledge');
      stats = await h.advance(100);
      expect(stats.latestCompleted?.checkpointId).to.equal(3);
      expect(h.tasks.of('sink').slice(-3)).to.deep.equal(['Trigger(3)', 'Ack(3)', 'Complete(3)']);
    });

    it('sends each task its own state from the checkpoint', async () => {
      await h.spawn({ startScheduler: false, taskIds: ['source', 'map', 'sink'] });
      await h.triggerNow();
      h.events.length = 0;
      failTask('source');
      await h.settle();
      expect(h.events.find((event) => event.type === 'state-restored')).to.deep.equal(h.stamped({ type: 'state-restored', checkpointId: asCheckpointId(1), tasks: 3 }));
      expect(h.events.filter((event) => event.type === 'task-restarted').map((event) => event.type === 'task-restarted' && event.taskId)).to.deep.equal(['source']);
      for (const taskId of ['source', 'map', 'sink']) expect(h.tasks.restoredStates.get(taskId), taskId).to.deep.equal([inline(`${taskId}@1`)]);
    });

    it('stamps every RestoreState of one restore with the same restore round, and a later restore with a higher one', async () => {
      await h.spawn({ startScheduler: false, taskIds: ['source', 'map', 'sink'] });
      await h.triggerNow();
      failTask('source');
      await h.settle();
      failTask('map');
      await h.settle();

      const rounds = h.tasks.restores.map((restore) => [restore.taskId, restore.restoreRound]);
      expect(rounds).to.have.length(6);
      const [first, second] = [rounds.slice(0, 3), rounds.slice(3)].map((restore) => new Set(restore.map(([, round]) => round)));
      expect([first!.size, second!.size], 'one round per restore').to.deep.equal([1, 1]);
      expect([...second!][0]).to.be.greaterThan([...first!][0] as number);
    });

    it('restores a task the checkpoint holds no state for to empty, and the others to their own state', async () => {
      const first = new CoordinatorHarness();
      await first.spawn({ startScheduler: false, taskIds: ['source'] });
      const outcome = await first.triggerNow();
      first.dispose();
      if (outcome.status !== 'completed') throw new Error(outcome.message);
      const store = new StandaloneCompletedCheckpointStore({ maxRetained: 1 });
      await store.addCheckpointAndSubsumeOldestOne(outcome.checkpoint);
      await h.spawn({ startScheduler: false, store, taskIds: ['source', 'added-later'] });
      expect(h.tasks.restoredStates.get('source')).to.deep.equal([inline('source@1')]);
      expect(h.tasks.restoredStates.get('added-later')).to.deep.equal([null]);
    });

    it('ignores a failure report from an attempt that was already replaced', async () => {
      await h.spawn({ startScheduler: false });
      const oldAttempt = h.tasks.current('sink');
      failTask('sink');
      await h.settle();
      tell(h.coordinator, { type: 'TaskFailed', jobId: oldAttempt.jobId, taskId: oldAttempt.taskId, attemptId: oldAttempt.attemptId, error: 'again' });
      expect((await h.settle()).counts.taskRestarts).to.equal(1);
    });

    it('restarts tasks empty when there is no completed checkpoint', async () => {
      await h.spawn({ startScheduler: false });
      failTask('sink');
      const stats = await h.settle();
      expect(h.tasks.of('source')).to.deep.equal(['Restore(null)']);
      expect(stats.latestRestore?.checkpointId).to.equal(null);
      expect(stats.jobStatus).to.equal(JobStatus.RUNNING);
    });

    it('fails the restore when there is no checkpoint and errorIfNoCheckpoint is set', async () => {
      await h.spawn({ startScheduler: false, errorIfNoCheckpoint: true });
      failTask('sink');
      const stats = await h.settle();
      expect(stats.jobStatus).to.equal(JobStatus.FAILED);
      expect(h.events.find((event) => event.type === 'restore-failed')).to.deep.equal(h.stamped({
        type: 'restore-failed',
        message: 'restore of job job-1 failed: there is no completed checkpoint to restore from and errorIfNoCheckpoint is set',
      }));
      expect(await h.restore()).to.deep.equal({ status: 'failed', message: 'the job is FAILED: nothing to restore into' });
    });

    it('fails the restore when the checkpoint holds state for a task that no longer exists, unless allowNonRestoredState is set', async () => {
      const first = new CoordinatorHarness();
      await first.spawn({ startScheduler: false, taskIds: ['source', 'sink', 'ghost'] });
      const outcome = await first.triggerNow();
      first.dispose();
      if (outcome.status !== 'completed') throw new Error(outcome.message);
      /** A store recovered with the checkpoint, as a new coordinator's would be. */
      const recoveredStore = async (): Promise<StandaloneCompletedCheckpointStore> => {
        const store = new StandaloneCompletedCheckpointStore({ maxRetained: 1 });
        await store.addCheckpointAndSubsumeOldestOne(outcome.checkpoint);
        return store;
      };

      await h.spawn({ startScheduler: false, store: await recoveredStore() });
      expect(h.events.find((event) => event.type === 'restore-failed')).to.deep.equal(h.stamped({
        type: 'restore-failed',
        message: 'restore of job job-1 failed: checkpoint 1 holds state for task(s) ghost that no longer exist; set allowNonRestoredState to restore without it',
      }));

      const lenient = new CoordinatorHarness();
      try {
        await lenient.spawn({ startScheduler: false, store: await recoveredStore(), allowNonRestoredState: true });
        expect(lenient.tasks.of('source')).to.deep.equal(['Restore(1)']);
        expect((await lenient.stats()).jobStatus).to.equal(JobStatus.RUNNING);
      } finally {
        lenient.dispose();
      }
    });

    it('restores on request, and continues ids after the restored checkpoint', async () => {
      await h.spawn({ startScheduler: false });
      await h.triggerNow();
      expect(await h.restore()).to.deep.equal({ status: 'restored', checkpointId: 1 });
      const outcome = await h.triggerNow();
      expect(outcome.status === 'completed' && outcome.checkpoint.checkpointId).to.equal(2);
    });
  });

  describe('stats', () => {
    it('reports counts, the latest completed checkpoint and per-task acknowledgement latency', async () => {
      await h.spawn({ startScheduler: false });
      h.tasks.answer('sink', 'stay-silent');
      void h.triggerNow();
      await h.settle();
      await h.advance(30);
      acknowledge('sink', 1, inline('12345'));
      const stats = await h.settle();
      expect(stats.counts).to.include({ triggered: 1, completed: 1, failed: 0, inProgress: 0 });
      expect(stats.latestCompleted).to.deep.equal({
        checkpointId: 1, type: 'checkpoint', durationMs: 30, stateSize: JSON.stringify('source@1').length + JSON.stringify('12345').length, completionTimestamp: 1_030,
      });
      expect(stats.lastAcknowledgementLatencies).to.deep.equal({ checkpointId: 1, perTask: { source: 0, sink: 30 } });
      expect(Object.isFrozen(stats.counts)).to.equal(true);
    });
  });

  describe('robustness', () => {
    it('counts and reports malformed messages and keeps working', async () => {
      await h.spawn({ startScheduler: false });
      const raw = h.coordinator as unknown as Parameters<typeof tell<unknown>>[0];
      tell(raw, null);
      tell(raw, { type: 'Nonsense' });
      tell(raw, { type: 'AcknowledgeCheckpoint', jobId: 'job-1', taskId: 'sink', attemptId: 'x', checkpointId: -3, state: inline('x') });
      tell(raw, { type: 'GetCheckpointStats' });
      const stats = await h.settle();
      expect(stats.counts.malformedMessages).to.equal(4);
      expect(h.events.filter((event) => event.type === 'malformed-message')).to.deep.equal([
        h.stamped({ type: 'malformed-message', problem: 'expected a message object, got null' }),
        h.stamped({ type: 'malformed-message', problem: "unknown message type 'Nonsense'" }),
        h.stamped({ type: 'malformed-message', problem: 'AcknowledgeCheckpoint.checkpointId must be a positive integer, got -3' }),
        h.stamped({ type: 'malformed-message', problem: 'GetCheckpointStats.replyTo must be an actor ref' }),
      ]);
      expect((await h.triggerNow()).status).to.equal('completed');
    });

    it('fails the job, naming the task, when a task cannot be deployed, and leaves no task of it running', async () => {
      await h.spawn({
        startScheduler: false,
        restartStrategy: { kind: 'none' },
        taskIds: ['source'],
        tasks: [h.tasks.task('source'), { taskId: 'broken', deploy: () => { throw new Error('no such operator'); } }],
      });
      const stats = await h.stats();
      expect(stats.jobStatus).to.equal(JobStatus.FAILED);
      expect(h.events.find((event) => event.type === 'job-failed')).to.deep.equal(h.stamped({
        type: 'job-failed', message: 'the restart strategy gave up: none allows no restart; last: deploying task broken failed: no such operator',
      }));
      expect((await ask(h.coordinator, { type: 'GetTasks' })).map((task) => task.running)).to.deep.equal([false, false]);
    });

    it('keeps working when the event listener throws', async () => {
      await h.spawn({ startScheduler: false, onEvent: () => { throw new Error('listener bug'); } });
      expect((await h.triggerNow()).status).to.equal('completed');
      expect((await h.stats()).counts.internalErrors).to.be.greaterThan(0);
    });

    it('on shutdown aborts pending checkpoints, refuses new triggers and shuts the store down', async () => {
      const store = new StandaloneCompletedCheckpointStore({ maxRetained: 1 });
      await h.spawn({ startScheduler: false, store });
      h.tasks.answer('sink', 'stay-silent');
      const pending = h.triggerNow();
      await h.settle();
      await h.shutdown(JobStatus.CANCELED);
      expect(await pending).to.deep.include({ status: 'failed', reason: CheckpointFailureReason.COORDINATOR_SHUTDOWN });
      expect(await h.triggerNow()).to.deep.include({ status: 'failed', reason: CheckpointFailureReason.COORDINATOR_SHUTDOWN });
      expect((await h.stats()).jobStatus).to.equal(JobStatus.CANCELED);
      await store.addCheckpointAndSubsumeOldestOne({} as never).then(
        () => expect.fail('a shut down store must refuse checkpoints'),
        (error: Error) => expect(error.name).to.equal('CheckpointStoreShutDownError'),
      );
    });
  });

  function failTaskOfOtherJob(taskId: string): void {
    const { attemptId } = h.tasks.current(taskId);
    tell(h.coordinator, { type: 'TaskFailed', jobId: asJobId('job-2'), taskId: asTaskId(taskId), attemptId, error: 'elsewhere' });
  }

  async function askDone(type: 'StartCheckpointScheduler' | 'StopCheckpointScheduler'): Promise<void> {
    await ask(h.coordinator, { type });
  }
});
