import { expect } from 'chai';
import { CheckpointRetention, CheckpointType } from '../../src/checkpoint/checkpoint-properties.js';
import { PendingCheckpoint } from '../../src/checkpoint/pending-checkpoint.js';
import { TaskAcknowledgeResult } from '../../src/checkpoint/task-acknowledge-result.js';
import { asAttemptId, asCheckpointId, asJobId, asTaskId } from '../../src/core/ids.js';
import { PendingCheckpointTable, type CheckpointInFlight } from '../../src/coordinator/pending-checkpoint-table.js';
import { EMPTY_TASK_STATE } from '../../src/state/state-handles.js';

const attempt = asAttemptId('attempt-a');
function inFlight(id: number, type: CheckpointType = CheckpointType.CHECKPOINT): CheckpointInFlight {
  const pending = new PendingCheckpoint(asJobId('job-1'), asCheckpointId(id), 0, { type, retention: CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION, forced: false }, {
    taskIds: [asTaskId('a'), asTaskId('b')], attemptIds: [attempt, asAttemptId('attempt-b')],
  });
  return { pending, requesters: [], expiry: { cancel: () => undefined } };
}

describe('pending checkpoint table (acknowledgement classification and look-ups, without an actor system)', () => {
  it('classifies acknowledgements: success, duplicate, unknown attempt or task, and no longer in flight', () => {
    const table = new PendingCheckpointTable();
    const one = inFlight(1);
    table.add(one);
    const ack = (id: number, index: number | undefined, attemptId = attempt, retained = false) =>
      table.acknowledge(asCheckpointId(id), index, attemptId, EMPTY_TASK_STATE, 5, () => retained).result;
    expect(table.acknowledge(asCheckpointId(1), 0, attempt, EMPTY_TASK_STATE, 5, () => false)).to.deep.equal({ result: TaskAcknowledgeResult.SUCCESS, inFlight: one });
    expect(ack(1, 0)).to.equal(TaskAcknowledgeResult.DUPLICATE);
    expect(ack(1, 1, asAttemptId('an-old-attempt'))).to.equal(TaskAcknowledgeResult.UNKNOWN);
    expect(ack(1, undefined)).to.equal(TaskAcknowledgeResult.UNKNOWN);
    expect(ack(7, 0)).to.equal(TaskAcknowledgeResult.DISCARDED);
    expect(ack(7, 0, attempt, true), 'a retained checkpoint owns its files').to.equal(TaskAcknowledgeResult.DUPLICATE);
    table.startFinalizing(one);
    expect(ack(1, 1, asAttemptId('attempt-b')), 'a finalizing checkpoint owns its files').to.equal(TaskAcknowledgeResult.DUPLICATE);
  });

  it('knows what is in flight, what a completion subsumes and the newest checkpoint completed or finalizing', () => {
    const table = new PendingCheckpointTable();
    const [one, two, savepoint, four] = [inFlight(1), inFlight(2), inFlight(3, CheckpointType.SAVEPOINT), inFlight(4)];
    for (const each of [one, two, savepoint, four]) table.add(each);
    table.startFinalizing(two);
    expect([...table.inFlightIds()].sort()).to.deep.equal([1, 2, 3, 4]);
    expect(table.pendingCheckpointCount(), 'savepoints do not count').to.equal(2);
    expect(table.olderPendingCheckpoints(4), 'a completion subsumes older checkpoints, never savepoints').to.deep.equal([one]);
    expect(table.newestCompletedOrFinalizing(0)).to.equal(2);
    expect(table.newestCompletedOrFinalizing(5)).to.equal(5);
    expect(table.finishFinalizing(2)).to.equal(two);
    expect(table.size).to.equal(3);
  });
});
