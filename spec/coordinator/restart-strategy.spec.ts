import { expect } from 'chai';
import { tell } from '../../src/actor/typed-ref.js';
import { CheckpointRetention } from '../../src/checkpoint/checkpoint-properties.js';
import { StandaloneCompletedCheckpointStore } from '../../src/checkpoint/standalone-completed-checkpoint-store.js';
import type { CoordinatorEvent } from '../../src/coordinator/coordinator-event.js';
import { validateCoordinatorOptions } from '../../src/coordinator/coordinator-options.js';
import { asTaskId } from '../../src/core/ids.js';
import { JobStatus } from '../../src/core/job-status.js';
import { InMemoryCheckpointStorage } from '../../src/storage/in-memory-checkpoint-storage.js';
import { operatorTask } from '../../src/task/spawn-task.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';
import { RecordingStateCleaner } from '../support/recording-state-cleaner.js';

type RestartScheduled = Extract<CoordinatorEvent, { type: 'restart-scheduled' }>;

describe('CheckpointCoordinator: restart strategies', () => {
  let h: CoordinatorHarness;
  beforeEach(() => {
    h = new CoordinatorHarness();
  });
  afterEach(() => h.dispose());

  const restarts = (): RestartScheduled[] => h.events.filter((event): event is RestartScheduled => event.type === 'restart-scheduled');

  function failTask(taskId: string, error = 'boom'): void {
    const { jobId, attemptId } = h.tasks.current(taskId);
    tell(h.coordinator, { type: 'TaskFailed', jobId, taskId: asTaskId(taskId), attemptId, error });
  }

  /** Reports the task's failure and waits until the coordinator has handled it, before the manual clock moves. */
  async function failTaskAndSettle(taskId: string): Promise<void> {
    failTask(taskId);
    await h.settle();
  }

  it('uses exponential-delay by default, with Flink\'s defaults', () => {
    expect(validateCoordinatorOptions({ jobId: 'job-1', interval: 100 }).restartStrategy).to.deep.equal({
      kind: 'exponential-delay', initialBackoff: 1_000, maxBackoff: 60_000, backoffMultiplier: 1.5, resetBackoffThreshold: 3_600_000, jitterFactor: 0.1,
      attemptsBeforeResetBackoff: Number.POSITIVE_INFINITY,
    });
  });

  it('fixed-delay restarts after its delay, up to its attempts, then fails the job terminally and shuts down with FAILED', async () => {
    const store = new StandaloneCompletedCheckpointStore({ maxRetained: 1 });
    await h.spawn({ startScheduler: false, store, restartStrategy: { kind: 'fixed-delay', attempts: 2, delay: 100 } });
    await h.triggerNow();
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      failTask('sink');
      let stats = await h.settle();
      expect(restarts().at(-1)).to.deep.include({ delayMs: 100, attempt });
      expect(stats.counts.restored).to.equal(attempt - 1);
      await h.advance(99);
      expect((await h.stats()).counts.restored).to.equal(attempt - 1);
      stats = await h.advance(1);
      expect(stats.counts.restored).to.equal(attempt);
    }
    failTask('sink', 'boom again');
    const stats = await h.settle();
    expect(stats.jobStatus).to.equal(JobStatus.FAILED);
    expect(h.events.filter((event) => event.type === 'job-failed')).to.deep.equal([h.stamped({
      type: 'job-failed',
      message: 'the restart strategy gave up: fixed-delay allows 2 restarts and 3 failures happened; last: task sink (attempt ' +
        `${h.tasks.current('sink').attemptId}) failed: boom again`,
    })]);
    expect(restarts()).to.have.length(2);
    expect(stats.timerRunning).to.equal(false);
    await store.addCheckpointAndSubsumeOldestOne({} as never).then(
      () => expect.fail('the store must be shut down'),
      (error: Error) => expect(error.message).to.include('FAILED'),
    );
  });

  it('joins failures that happen while a restore is pending: one restore for both', async () => {
    await h.spawn({ startScheduler: false, restartStrategy: { kind: 'fixed-delay', attempts: 1, delay: 100 } });
    await h.triggerNow();
    failTask('sink');
    await h.settle();
    failTask('source');
    await h.settle();
    const stats = await h.advance(100);
    expect(stats.jobStatus).to.equal(JobStatus.RUNNING);
    expect(stats.counts.restored).to.equal(1);
    expect(stats.counts.taskRestarts).to.equal(2);
    expect(restarts()).to.have.length(1);
    expect(h.tasks.of('source').slice(-1)).to.deep.equal(['Restore(1)']);
  });

  it('none fails the job on its first failure', async () => {
    await h.spawn({ startScheduler: false, restartStrategy: { kind: 'none' } });
    failTask('sink');
    const stats = await h.settle();
    expect(stats.jobStatus).to.equal(JobStatus.FAILED);
    expect(stats.counts.restored).to.equal(0);
    expect(h.events.find((event) => event.type === 'job-failed')).to.deep.include({ message: `the restart strategy gave up: none allows no restart; last: task sink (attempt ${h.tasks.current('sink').attemptId}) failed: boom` });
  });

  it('failure-rate gives up when more than maxFailuresPerInterval failures fall into one interval, and not otherwise', async () => {
    await h.spawn({ startScheduler: false, restartStrategy: { kind: 'failure-rate', maxFailuresPerInterval: 2, failureRateInterval: 1_000, delay: 10 } });
    await failTaskAndSettle('sink');
    await h.advance(10);
    await h.advance(1_000);
    await failTaskAndSettle('sink');
    await h.advance(10);
    await failTaskAndSettle('sink');
    let stats = await h.advance(10);
    expect(stats.jobStatus).to.equal(JobStatus.RUNNING);
    expect(stats.counts.restored).to.equal(3);
    failTask('sink');
    stats = await h.settle();
    expect(stats.jobStatus).to.equal(JobStatus.FAILED);
    expect(h.events.find((event) => event.type === 'job-failed')).to.deep.include({
      message: `the restart strategy gave up: failure-rate allows 2 failures per 1000 ms and 3 happened within 1000 ms; last: task sink (attempt ${h.tasks.current('sink').attemptId}) failed: boom`,
    });
  });

  it('exponential-delay backs off a task whose restore always throws, instead of restarting it thousands of times', async () => {
    let restoresTried = 0;
    await h.spawn({
      startScheduler: false,
      taskIds: [],
      tasks: [operatorTask(h.system, 'cursed', () => ({
        snapshotState: () => 1,
        restoreState: () => {
          restoresTried += 1;
          throw new Error('cannot read the restored state');
        },
      }))],
      restartStrategy: { kind: 'exponential-delay', initialBackoff: 100, maxBackoff: 1_000, backoffMultiplier: 2, jitterFactor: 0, resetBackoffThreshold: 60_000 },
    });
    await h.triggerNow();
    await h.restore();
    for (let step = 0; step < 30; step += 1) await h.advance(100);
    // Restores at 0, 100, 300, 700, 1500 and 2500 ms, each failing; the next would be at 3500.
    expect(restarts().map((event) => event.delayMs)).to.deep.equal([100, 200, 400, 800, 1_000, 1_000]);
    expect(restoresTried).to.equal(6);
  });

  it('exponential-delay starts again from its initial backoff after resetBackoffThreshold without failures', async () => {
    await h.spawn({
      startScheduler: false,
      restartStrategy: { kind: 'exponential-delay', initialBackoff: 100, maxBackoff: 10_000, backoffMultiplier: 3, jitterFactor: 0, resetBackoffThreshold: 5_000 },
    });
    await failTaskAndSettle('sink');
    await h.advance(100);
    await failTaskAndSettle('sink');
    await h.advance(300);
    await h.advance(5_000);
    await failTaskAndSettle('sink');
    await h.advance(100);
    expect(restarts().map((event) => event.delayMs)).to.deep.equal([100, 300, 100]);
  });

  it('bounds the restores caused by a storage outage: one failure, one restore, each after a growing delay', async () => {
    let outageEndsAt = 0;
    class FlakyMetadataStorage extends InMemoryCheckpointStorage {
      override async writeMetadata(...args: Parameters<InMemoryCheckpointStorage['writeMetadata']>): Promise<string> {
        if (h.clock.now() < outageEndsAt) throw new Error('connection to the object store was reset');
        return super.writeMetadata(...args);
      }
    }
    await h.spawn({
      interval: 50,
      tolerableFailures: 0,
      storage: new FlakyMetadataStorage(),
      restartStrategy: { kind: 'exponential-delay', initialBackoff: 100, maxBackoff: 10_000, backoffMultiplier: 2, jitterFactor: 0, resetBackoffThreshold: 60_000 },
    });
    await h.advance(50);
    outageEndsAt = h.clock.now() + 600;
    for (let step = 0; step < 40; step += 1) await h.advance(50);
    const stats = await h.stats();
    expect(stats.jobStatus).to.equal(JobStatus.RUNNING);
    expect(stats.counts.restored).to.be.at.most(3);
    expect(stats.counts.restored).to.equal(restarts().length);
    expect(stats.latestCompleted?.completionTimestamp).to.be.greaterThan(outageEndsAt);
  });

  describe('when the strategy gives up, the retention policy decides what stays', () => {
    for (const [retention, kept] of [[CheckpointRetention.RETAIN_ON_FAILURE, true], [CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION, false]] as const) {
      it(`${kept ? 'keeps' : 'discards'} ${retention} checkpoints`, async () => {
        const cleaner = new RecordingStateCleaner();
        await h.spawn({ startScheduler: false, stateCleaner: cleaner, retention, restartStrategy: { kind: 'none' } });
        await h.triggerNow();
        failTask('sink');
        await h.settle();
        expect(cleaner.discardedCompleted).to.deep.equal(kept ? [] : [{ checkpointId: 1, cause: 'shutdown' }]);
      });
    }

    it('keeps every checkpoint of a job that cannot be restored because of its configuration, so it can be started again with a fixed one', async () => {
      const cleaner = new RecordingStateCleaner();
      const store = new StandaloneCompletedCheckpointStore({ maxRetained: 1, discarder: cleaner });
      const first = new CoordinatorHarness();
      await first.spawn({ startScheduler: false, store, taskIds: ['source', 'sink', 'removed'] });
      await first.triggerNow();
      first.dispose();
      await h.spawn({ startScheduler: false, store, stateCleaner: cleaner });
      const stats = await h.settle();
      expect(stats.jobStatus).to.equal(JobStatus.FAILED);
      expect(cleaner.discardedCompleted).to.deep.equal([]);
    });
  });
});
