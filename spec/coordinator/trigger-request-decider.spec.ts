import { expect } from 'chai';
import { CheckpointFailureReason } from '../../src/checkpoint/checkpoint-failure-reason.js';
import { CheckpointRetention } from '../../src/checkpoint/checkpoint-properties.js';
import { asTaskId } from '../../src/core/ids.js';
import type { TriggerRequest } from '../../src/coordinator/trigger-request.js';
import { decideEnqueue, decideTriggers, type TriggerLimits, type TriggerView } from '../../src/coordinator/trigger-request-decider.js';

const request = (kind: TriggerRequest['kind']): TriggerRequest => ({ kind, replyTo: null, retention: CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION });
const running: TriggerView = {
  phase: 'running', endedWith: null, taskCount: 2, tasksNotRunning: [], pendingCheckpoints: 0, pendingDiscards: 0, lastCompletionTime: Number.NEGATIVE_INFINITY, now: 1_000,
};
const limits: TriggerLimits = { maxConcurrent: 1, minPause: 0, maxPendingDiscards: 10, maxQueuedRequests: 3 };

describe('trigger request decider (pure: queue, coalescing, admission)', () => {
  it('starts the first request that may run, and leaves the rest waiting in order', () => {
    const [manual, periodic] = [request('manual'), request('periodic')];
    expect(decideTriggers([manual, periodic], running, limits, false)).to.deep.equal({ start: manual, refused: [], waiting: [periodic], wakeUpAt: null });
  });

  it('starts nothing while an id is being fetched for another request', () => {
    const queue = [request('manual')];
    expect(decideTriggers(queue, running, limits, true)).to.deep.equal({ start: null, refused: [], waiting: queue, wakeUpAt: null });
  });

  it('lets a savepoint pass checkpoints that wait for a concurrency slot', () => {
    const [manual, savepoint] = [request('manual'), request('savepoint')];
    const decision = decideTriggers([manual, savepoint], { ...running, pendingCheckpoints: 1 }, limits, false);
    expect(decision).to.deep.equal({ start: savepoint, refused: [], waiting: [manual], wakeUpAt: null });
  });

  it('holds a periodic request until the minimum pause ends, and says when that is; a manual one runs', () => {
    const view = { ...running, lastCompletionTime: 900 };
    const paused = decideTriggers([request('periodic')], view, { ...limits, minPause: 250 }, false);
    expect(paused).to.deep.include({ start: null, refused: [], wakeUpAt: 1_150 });
    const manual = request('manual');
    expect(decideTriggers([manual], view, { ...limits, minPause: 250 }, false).start).to.equal(manual);
  });

  const refusals: ReadonlyArray<readonly [string, Partial<TriggerView>, CheckpointFailureReason, string]> = [
    ['the coordinator has ended', { phase: 'ended', endedWith: 'CANCELED' }, CheckpointFailureReason.COORDINATOR_SHUTDOWN, 'the coordinator is shut down (job CANCELED)'],
    ['no task is registered', { taskCount: 0 }, CheckpointFailureReason.NO_TASKS, 'no task is registered'],
    ['the job is being restored', { phase: 'restoring' }, CheckpointFailureReason.NOT_ALL_TASKS_RUNNING, 'not every task is running (the job is being restored)'],
    ['a task is not running', { tasksNotRunning: [asTaskId('sink'), asTaskId('map')] }, CheckpointFailureReason.NOT_ALL_TASKS_RUNNING, 'not every task is running (waiting for sink, map)'],
    ['deletions are backlogged', { pendingDiscards: 11 }, CheckpointFailureReason.TOO_MANY_PENDING_DISCARDS, '11 state deletions are backlogged (maxPendingDiscards is 10)'],
  ];
  for (const [when, view, reason, message] of refusals) {
    it(`refuses every queued request when ${when}`, () => {
      const queue = [request('periodic'), request('savepoint')];
      const decision = decideTriggers(queue, { ...running, ...view }, limits, false);
      expect(decision.start).to.equal(null);
      expect(decision.waiting).to.deep.equal([]);
      expect(decision.refused.map((refusal) => [refusal.request.kind, refusal.reason, refusal.message])).to.deep.equal([
        ['periodic', reason, message], ['savepoint', reason, message],
      ]);
    });
  }

  it('coalesces a periodic request with one already waiting, and refuses any request beyond maxQueuedRequests', () => {
    expect(decideEnqueue([request('periodic')], request('periodic'), limits)).to.equal('coalesce');
    expect(decideEnqueue([request('manual')], request('periodic'), limits)).to.equal('join');
    const full = [request('manual'), request('manual'), request('savepoint')];
    expect(decideEnqueue(full, request('manual'), limits)).to.deep.include({
      reason: CheckpointFailureReason.TOO_MANY_QUEUED_REQUESTS, message: '3 trigger requests are already queued (maxQueuedRequests is 3)',
    });
  });
});
