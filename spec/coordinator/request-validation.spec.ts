import { expect } from 'chai';
import sinon from 'sinon';
import { ask, tell } from '../../src/actor/typed-ref.js';
import { CheckpointFailureReason } from '../../src/checkpoint/checkpoint-failure-reason.js';
import { StandaloneCheckpointIDCounter } from '../../src/checkpoint/standalone-checkpoint-id-counter.js';
import { StandaloneCompletedCheckpointStore } from '../../src/checkpoint/standalone-completed-checkpoint-store.js';
import { validateCoordinatorOptions, type CheckpointCoordinatorOptions } from '../../src/coordinator/coordinator-options.js';
import { asCheckpointId, asTaskId } from '../../src/core/ids.js';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { JobStatus } from '../../src/core/job-status.js';
import { aCheckpoint } from '../support/checkpoint-fixtures.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';

describe('CheckpointCoordinator: inputs are checked where they enter', () => {
  let h: CoordinatorHarness;
  beforeEach(() => {
    h = new CoordinatorHarness();
  });
  afterEach(() => h.dispose());

  const raw = (): Parameters<typeof tell<unknown>>[0] => h.coordinator as unknown as Parameters<typeof tell<unknown>>[0];
  const problems = (): string[] => h.events.flatMap((event) => (event.type === 'malformed-message' ? [event.problem] : []));

  describe('client requests', () => {
    it('refuses a savepoint whose retention is not a known policy, answering with what was wrong, and writes nothing', async () => {
      const store = new StandaloneCompletedCheckpointStore({ maxRetained: 1 });
      await h.spawn({ startScheduler: false, store });
      const outcome = await ask(h.coordinator, { type: 'TriggerSavepoint', retention: 'forever' as never });
      expect(outcome).to.deep.equal({
        status: 'failed', checkpointId: null, reason: CheckpointFailureReason.INVALID_REQUEST,
        message: 'TriggerSavepoint.retention must be one of never-retain-after-termination, retain-on-cancellation, retain-on-failure, got "forever"',
      });
      const stats = await h.settle();
      expect(stats.counts.triggered).to.equal(0);
      expect(stats.counts.malformedMessages).to.equal(1);
      expect(store.getAllCheckpoints()).to.deep.equal([]);
    });

    it('ignores a shutdown whose jobStatus is not a job status, and the job goes on running', async () => {
      await h.spawn({ startScheduler: false });
      tell(raw(), { type: 'ShutdownCoordinator', jobStatus: 'EXPLODED', replyTo: h.coordinator });
      const stats = await h.settle();
      expect(stats.jobStatus).to.equal(JobStatus.RUNNING);
      expect(problems()).to.deep.equal(['ShutdownCoordinator.jobStatus must be one of RUNNING, FINISHED, CANCELED, FAILED, SUSPENDED, got "EXPLODED"']);
      expect((await h.triggerNow()).status).to.equal('completed');
    });

    it('ignores a request whose replyTo is not an actor ref', async () => {
      await h.spawn({ startScheduler: false });
      tell(raw(), { type: 'GetCheckpointStats', replyTo: { path: 'not a ref' } });
      tell(raw(), { type: 'TriggerCheckpointNow', replyTo: 'somebody' });
      const stats = await h.settle();
      expect(stats.counts.malformedMessages).to.equal(2);
      expect(stats.counts.triggered).to.equal(0);
      expect(problems()).to.deep.equal(['GetCheckpointStats.replyTo must be an actor ref', 'TriggerCheckpointNow.replyTo must be an actor ref']);
    });
  });

  describe('the coordinator\'s own messages', () => {
    it('are not accepted from outside: a forged completion cannot subsume the job\'s checkpoints', async () => {
      await h.spawn({ startScheduler: false });
      tell(raw(), { type: 'CheckpointFinalized', checkpoint: aCheckpoint(1_000_000_000), subsumed: [] });
      tell(raw(), { type: 'SchedulerTick', generation: 1 });
      tell(raw(), { type: 'CheckpointExpired', checkpointId: 1 });
      const stats = await h.settle();
      expect(stats.counts.malformedMessages).to.equal(3);
      expect(problems()[0]).to.equal("'CheckpointFinalized' is the coordinator's own message and is not accepted from outside");
      const outcome = await h.triggerNow();
      expect(outcome.status === 'completed' && outcome.checkpoint.checkpointId).to.equal(1);
      expect((await h.triggerNow()).status).to.equal('completed');
    });
  });

  describe('options Node.js cannot honour', () => {
    const base: CheckpointCoordinatorOptions = { jobId: 'job-1', interval: 100 };
    const refused = (options: Partial<CheckpointCoordinatorOptions> & Record<string, unknown>, message: string): void => {
      expect(() => validateCoordinatorOptions({ ...base, ...options } as CheckpointCoordinatorOptions)).to.throw(InvalidOptionError, message);
    };

    for (const key of ['interval', 'initialDelay', 'timeout', 'minPause'] as const) {
      it(`refuses ${key} of 2^31 ms or more, which a Node.js timer would clamp to 1 ms`, () => {
        refused({ [key]: 2 ** 31 }, `CheckpointCoordinatorOptions.${key} must be below 2147483648 ms (the longest a Node.js timer waits), got 2147483648`);
      });
    }

    it('refuses collaborators that lack the methods the engine calls, naming them', () => {
      refused({ clock: { now: () => 0 } as never }, 'CheckpointCoordinatorOptions.clock lacks the method schedule');
      refused({ store: { getLatestCheckpoint: () => null } as never }, 'CheckpointCoordinatorOptions.store lacks the methods addCheckpointAndSubsumeOldestOne, getAllCheckpoints, getNumberOfRetainedCheckpoints, shutdown');
      refused({ idCounter: {} as never }, 'CheckpointCoordinatorOptions.idCounter lacks the methods getAndIncrement, get, setCount, shutdown');
      refused({ storage: { writeMetadata: async () => '' } as never }, 'CheckpointCoordinatorOptions.storage lacks the methods');
      refused({ stateCleaner: 'clean' as never }, 'CheckpointCoordinatorOptions.stateCleaner must be an object');
      expect(() => validateCoordinatorOptions({ ...base, store: new StandaloneCompletedCheckpointStore({ maxRetained: 1 }), idCounter: new StandaloneCheckpointIDCounter() })).to.not.throw();
    });

    it('fails the deployment of a task whose deploy returns something other than an actor ref, naming the task', async () => {
      await h.spawn({
        startScheduler: false,
        restartStrategy: { kind: 'none' },
        taskIds: ['source'],
        tasks: [h.tasks.task('source'), { taskId: 'hollow', deploy: () => undefined as never }],
      });
      const stats = await h.settle();
      expect(stats.jobStatus).to.equal(JobStatus.FAILED);
      const failed = h.events.find((event) => event.type === 'job-failed');
      expect(failed?.type === 'job-failed' && failed.message).to.match(/task hollow: its deploy function returned undefined instead of an actor ref/);
    });
  });

  describe('asking for a checkpoint', () => {
    let clock: sinon.SinonFakeTimers | null = null;
    afterEach(() => clock?.restore());

    it('resolves when its checkpoint completes, however long that takes up to the checkpoint timeout', async () => {
      await h.spawn({ startScheduler: false, timeout: 600_000 });
      h.tasks.answer('sink', 'stay-silent');
      clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      let settled = false;
      const outcome = h.triggerNow().finally(() => { settled = true; });
      await h.settle();
      clock.tick(60_000);
      await h.settle();
      expect(settled, 'the ask gave up while its checkpoint was still running').to.equal(false);
      const { jobId, attemptId } = h.tasks.current('sink');
      tell(h.coordinator, { type: 'AcknowledgeCheckpoint', jobId, taskId: asTaskId('sink'), attemptId, checkpointId: asCheckpointId(1), state: { operatorState: null, keyedState: [] } });
      expect((await outcome).status).to.equal('completed');
    });
  });
});
