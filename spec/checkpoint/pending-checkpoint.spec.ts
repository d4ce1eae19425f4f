import { expect } from 'chai';
import { CheckpointFailureReason } from '../../src/checkpoint/checkpoint-failure-reason.js';
import { CheckpointRetention, CheckpointType } from '../../src/checkpoint/checkpoint-properties.js';
import { PendingCheckpoint } from '../../src/checkpoint/pending-checkpoint.js';
import { TaskAcknowledgeResult } from '../../src/checkpoint/task-acknowledge-result.js';
import { asAttemptId, asCheckpointId, asJobId, asTaskId } from '../../src/core/ids.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';

const state = (value: string): TaskStateSnapshot => ({ operatorState: { kind: 'inline', value }, keyedState: [] });

function aPendingCheckpoint(): PendingCheckpoint {
  return new PendingCheckpoint(asJobId('job'), asCheckpointId(7), 100, { type: CheckpointType.CHECKPOINT, retention: CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION, forced: false }, {
    taskIds: [asTaskId('a'), asTaskId('b')],
    attemptIds: [asAttemptId('a-1'), asAttemptId('b-1')],
  });
}

describe('PendingCheckpoint', () => {
  it('answers success, then duplicate, for the same task and keeps the first state', () => {
    const pending = aPendingCheckpoint();
    expect(pending.acknowledgeTask(0, asAttemptId('a-1'), state('first'), 110)).to.equal(TaskAcknowledgeResult.SUCCESS);
    expect(pending.acknowledgeTask(0, asAttemptId('a-1'), state('second'), 120)).to.equal(TaskAcknowledgeResult.DUPLICATE);
    expect(pending.numberOfAcknowledgedTasks).to.equal(1);
    pending.acknowledgeTask(1, asAttemptId('b-1'), state('b'), 130);
    expect(pending.finalize(140, null).taskStates).to.deep.equal({ a: state('first'), b: state('b') });
  });

  it('answers unknown for another attempt or a task it was not triggered on', () => {
    const pending = aPendingCheckpoint();
    expect(pending.acknowledgeTask(0, asAttemptId('a-0'), state('old'), 110)).to.equal(TaskAcknowledgeResult.UNKNOWN);
    expect(pending.acknowledgeTask(2, asAttemptId('c-1'), state('new task'), 110)).to.equal(TaskAcknowledgeResult.UNKNOWN);
    expect(pending.numberOfAcknowledgedTasks).to.equal(0);
  });

  it('answers discarded after it was aborted, and hands back the collected states once', () => {
    const pending = aPendingCheckpoint();
    pending.acknowledgeTask(0, asAttemptId('a-1'), state('a'), 110);
    expect(pending.abort(CheckpointFailureReason.EXPIRED)).to.deep.equal([state('a')]);
    expect(pending.abort(CheckpointFailureReason.EXPIRED)).to.deep.equal([]);
    expect(pending.acknowledgeTask(1, asAttemptId('b-1'), state('b'), 120)).to.equal(TaskAcknowledgeResult.DISCARDED);
    expect(pending.abortReason).to.equal(CheckpointFailureReason.EXPIRED);
  });

  it('finalizes into a deeply frozen completed checkpoint with size and latencies', () => {
    const pending = aPendingCheckpoint();
    pending.acknowledgeTask(1, asAttemptId('b-1'), state('bb'), 130);
    expect(() => pending.finalize(140, null)).to.throw('checkpoint 7 cannot be finalized: 1 task(s) have not acknowledged');
    pending.acknowledgeTask(0, asAttemptId('a-1'), state('a'), 105);
    const completed = pending.finalize(140, 'job/chk-7/_metadata');
    expect(completed).to.deep.include({ checkpointId: 7, triggerTimestamp: 100, completionTimestamp: 140, stateSize: 3 + 4, externalPointer: 'job/chk-7/_metadata' });
    expect(Object.isFrozen(completed.taskStates['a' as never])).to.equal(true);
    expect(pending.acknowledgementLatencies()).to.deep.equal({ a: 5, b: 30 });
    expect(pending.acknowledgeTask(0, asAttemptId('a-1'), state('late'), 150)).to.equal(TaskAcknowledgeResult.DISCARDED);
  });

  it('hands out the states it finalized, in task order, and none before finalizing or after an abort', () => {
    const pending = aPendingCheckpoint();
    pending.acknowledgeTask(1, asAttemptId('b-1'), state('b'), 130);
    pending.acknowledgeTask(0, asAttemptId('a-1'), state('a'), 110);
    expect(pending.finalizedStates()).to.equal(null);
    const completed = pending.finalize(140, null);
    const states = pending.finalizedStates();
    expect(states).to.deep.equal([state('a'), state('b')]);
    expect(states?.[0]).to.equal(completed.taskStates['a' as never]);
    const aborted = aPendingCheckpoint();
    aborted.acknowledgeTask(0, asAttemptId('a-1'), state('a'), 110);
    aborted.abort(CheckpointFailureReason.DECLINED);
    expect(aborted.finalizedStates()).to.equal(null);
  });

  it('keeps acknowledgement latencies to the millisecond as offsets from the trigger', () => {
    const pending = new PendingCheckpoint(asJobId('job'), asCheckpointId(1), 1_764_000_000_000, { type: CheckpointType.CHECKPOINT, retention: CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION, forced: false }, {
      taskIds: [asTaskId('a'), asTaskId('b')],
      attemptIds: [asAttemptId('a-1'), asAttemptId('b-1')],
    });
    pending.acknowledgeTask(0, asAttemptId('a-1'), state('a'), 1_764_000_000_000 + 3_600_000 + 7);
    expect(pending.acknowledgementLatencies()).to.deep.equal({ a: 3_600_007, b: null });
    expect([...pending.acknowledgementLatencyArray()].map((latency) => (Number.isNaN(latency) ? 'NaN' : latency))).to.deep.equal([3_600_007, 'NaN']);
  });
});
