import { expect } from 'chai';
import { tell } from '../../src/actor/typed-ref.js';
import { ask } from '../../src/actor/typed-ref.js';
import { CheckpointFailureReason } from '../../src/checkpoint/checkpoint-failure-reason.js';
import { asTaskId } from '../../src/core/ids.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';

describe('CheckpointCoordinator savepoints', () => {
  let h: CoordinatorHarness;
  beforeEach(() => {
    h = new CoordinatorHarness();
  });
  afterEach(() => h.dispose());

  function failTask(taskId: string): void {
    const { jobId, attemptId } = h.tasks.current(taskId);
    tell(h.coordinator, { type: 'TaskFailed', jobId, taskId: asTaskId(taskId), attemptId, error: 'boom' });
  }

  it('tells tasks of completed checkpoints only: a savepoint completes without NotifyCheckpointComplete, so no sink commits on it (FLINK-25191)', async () => {
    await h.spawn({ startScheduler: false, taskIds: ['sink'] });
    expect((await h.triggerNow()).status).to.equal('completed');
    expect((await h.savepoint()).status).to.equal('completed');
    expect((await h.triggerNow()).status).to.equal('completed');
    await h.settle();
    expect(h.tasks.of('sink')).to.deep.equal(['Trigger(1)', 'Ack(1)', 'Complete(1)', 'Trigger(2)', 'Ack(2)', 'Trigger(3)', 'Ack(3)', 'Complete(3)']);
  });

  it('restores the latest checkpoint after a failure, not a later savepoint, and continues ids above the savepoint', async () => {
    await h.spawn({ startScheduler: false, retained: 2 });
    await h.triggerNow();
    await h.savepoint();
    failTask('source');
    await h.settle();
    expect(h.tasks.of('sink').filter((line) => line.startsWith('Restore'))).to.deep.equal(['Restore(1)']);
    expect(h.events.find((event) => event.type === 'state-restored')).to.deep.include({ checkpointId: 1 });
    const next = await h.triggerNow();
    expect(next.status === 'completed' && next.checkpoint.checkpointId).to.equal(3);
  });

  it('restores a savepoint when no checkpoint is retained', async () => {
    await h.spawn({ startScheduler: false });
    await h.savepoint();
    failTask('source');
    await h.settle();
    expect(h.tasks.of('source').filter((line) => line.startsWith('Restore'))).to.deep.equal(['Restore(1)']);
  });

  it('asks tasks for full snapshots while only savepoints are retained, and for incremental ones once a checkpoint completed', async () => {
    await h.spawn({ startScheduler: false, taskIds: ['source'] });
    await h.triggerNow();
    expect(h.tasks.triggers.at(-1)).to.not.have.property('fullSnapshot');

    const fresh = new CoordinatorHarness();
    try {
      await fresh.spawn({ startScheduler: false, taskIds: ['source'] });
      await fresh.savepoint();
      await fresh.triggerNow();
      await fresh.triggerNow();
      expect(fresh.tasks.triggers.map((trigger) => [trigger.checkpointId, trigger.fullSnapshot ?? false])).to.deep.equal([[1, false], [2, true], [3, false]]);
    } finally {
      fresh.dispose();
    }
  });

  it('refuses a savepoint request whose target directory is not a path, answering with what was wrong', async () => {
    await h.spawn({ startScheduler: false });
    const outcome = await ask(h.coordinator, { type: 'TriggerSavepoint', targetDirectory: '' });
    expect(outcome).to.deep.equal({
      status: 'failed', checkpointId: null, reason: CheckpointFailureReason.INVALID_REQUEST, message: 'TriggerSavepoint.targetDirectory must be a non-empty directory path, got ""',
    });
    expect(h.tasks.triggers).to.deep.equal([]);
  });
});
