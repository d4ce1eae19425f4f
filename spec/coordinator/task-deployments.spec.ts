import { expect } from 'chai';
import { spawn, start, stop, type Ref } from 'nact';
import { offerPriorityLane } from '../../src/actor/priority-lane.js';
import { ask, tell, typedRef, type TypedRef } from '../../src/actor/typed-ref.js';
import type { CheckpointId, JobId } from '../../src/core/ids.js';
import { TaskDeployments } from '../../src/coordinator/task-deployments.js';
import type { CoordinatorToTaskMessage } from '../../src/protocol/task-protocol.js';
import type { TaskSpec } from '../../src/protocol/task-deployment.js';

type Probe = CoordinatorToTaskMessage | { readonly type: 'Mailbox'; readonly replyTo: TypedRef<readonly string[]> };

describe('TaskDeployments', () => {
  let system: Ref<unknown>;
  beforeEach(() => { system = start(); });
  afterEach(() => stop(system));

  /** A task that logs the protocol messages reaching its mailbox (`Mailbox` answers with that log) and, given a log, offers a lane that logs too. */
  function task(taskId: string, laneLog: string[] | null): TaskSpec {
    return {
      taskId,
      deploy: () => {
        const ref = typedRef<Probe>(spawn(system, (log: readonly string[], message: Probe) => {
          if (message.type !== 'Mailbox') return [...log, message.type];
          tell(message.replyTo, log);
          return log;
        }, taskId, { initialState: [] as readonly string[] }));
        if (laneLog !== null) offerPriorityLane<CoordinatorToTaskMessage>(ref, { offer: (message) => { laneLog.push(message.type); } });
        return ref;
      },
    };
  }

  it('tells a task that offered a priority lane through the lane, and a task that did not through its mailbox', async () => {
    const laneLog: string[] = [];
    const deployments = new TaskDeployments('job' as JobId, typedRef(system), () => undefined, () => undefined);
    deployments.deploy(deployments.add(task('with-lane', laneLog)));
    deployments.deploy(deployments.add(task('mailbox-only', null)));
    deployments.tellRunning((taskId, attemptId) => ({ type: 'NotifyCheckpointComplete', jobId: 'job' as JobId, taskId, attemptId, checkpointId: 1 as CheckpointId }));
    const mailboxOf = (index: number) => ask(deployments.table.refs[index] as TypedRef<Probe>, { type: 'Mailbox' });
    expect(laneLog).to.deep.equal(['NotifyCheckpointComplete']);
    expect(await mailboxOf(0)).to.deep.equal([]);
    expect(await mailboxOf(1)).to.deep.equal(['NotifyCheckpointComplete']);
  });

  it('uses the lane of the attempt now running: a redeployed attempt without a lane is told through its mailbox', async () => {
    const laneLog: string[] = [];
    let offerLane = true;
    const deployments = new TaskDeployments('job' as JobId, typedRef(system), () => undefined, () => undefined);
    const index = deployments.add({ taskId: 'flip', deploy: (context) => task(`flip-${context.attemptId}`, offerLane ? laneLog : null).deploy(context) });
    deployments.deploy(index);
    deployments.table.markFailed(index);
    offerLane = false;
    deployments.deploy(index);
    deployments.tellRunning((taskId, attemptId) => ({ type: 'NotifyCheckpointComplete', jobId: 'job' as JobId, taskId, attemptId, checkpointId: 1 as CheckpointId }));
    expect(laneLog).to.deep.equal([]);
    expect(await ask(deployments.table.refs[index] as TypedRef<Probe>, { type: 'Mailbox' })).to.deep.equal(['NotifyCheckpointComplete']);
  });
});
