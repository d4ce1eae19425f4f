import { expect } from 'chai';
import { asJobId, asTaskId } from '../../src/core/ids.js';
import { planRestore } from '../../src/coordinator/failover-planner.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';
import { aCheckpoint } from '../support/checkpoint-fixtures.js';

const inline = (value: string): TaskStateSnapshot => ({ operatorState: { kind: 'inline', value }, keyedState: [] });
const rules = { jobId: asJobId('job-1'), errorIfNoCheckpoint: false, allowNonRestoredState: false };
const tasks = [asTaskId('source'), asTaskId('sink')];

describe('failover planner (pure: what a restore sends to which task)', () => {
  it('gives every task its own state by index, and none to a task the checkpoint has no state for', () => {
    const checkpoint = aCheckpoint(4, { taskStates: { [asTaskId('sink')]: inline('sink@4') } });
    expect(planRestore(checkpoint, tasks, rules)).to.deep.equal({ ok: true, checkpointId: 4, states: [null, inline('sink@4')] });
  });

  it('restarts every task empty when there is no checkpoint, unless errorIfNoCheckpoint is set', () => {
    expect(planRestore(null, tasks, rules)).to.deep.equal({ ok: true, checkpointId: null, states: [null, null] });
    expect(planRestore(null, tasks, { ...rules, errorIfNoCheckpoint: true })).to.deep.equal({
      ok: false, problem: 'restore of job job-1 failed: there is no completed checkpoint to restore from and errorIfNoCheckpoint is set',
    });
  });

  it('refuses a checkpoint holding state of tasks the job no longer has, unless allowNonRestoredState is set', () => {
    const checkpoint = aCheckpoint(2, { taskStates: { [asTaskId('source')]: inline('s'), [asTaskId('gone')]: inline('g') } });
    expect(planRestore(checkpoint, tasks, rules)).to.deep.equal({
      ok: false, problem: 'restore of job job-1 failed: checkpoint 2 holds state for task(s) gone that no longer exist; set allowNonRestoredState to restore without it',
    });
    expect(planRestore(checkpoint, tasks, { ...rules, allowNonRestoredState: true })).to.deep.equal({ ok: true, checkpointId: 2, states: [inline('s'), null] });
  });
});
