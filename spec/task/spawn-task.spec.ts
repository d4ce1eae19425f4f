import { expect } from 'chai';
import { dispatch, query, start, stop, type Ref } from 'nact';
import { ManualClock } from '../../src/testing/index.js';
import { ask, tell, type TypedRef } from '../../src/actor/typed-ref.js';
import type { CheckpointCoordinatorRef } from '../../src/coordinator/checkpoint-coordinator.js';
import type { CheckpointStats } from '../../src/protocol/checkpoint-stats.js';
import { spawnCheckpointCoordinator } from '../../src/coordinator/spawn-checkpoint-coordinator.js';
import type { CheckpointId } from '../../src/core/ids.js';
import { deliver, operatorTask } from '../../src/task/spawn-task.js';
import type { TaskMessage } from '../../src/task/task-message.js';
import type { CheckpointedOperator } from '../../src/task/checkpointed-operator.js';

type CounterMessage = { readonly kind: 'add'; readonly amount: number } | { readonly kind: 'read'; readonly replyTo: Ref<unknown> } | { readonly kind: 'explode' };

/** Everything a counter operator was asked to do, across attempts. */
const journal: string[] = [];

function counter(taskId: string, failSnapshot = false) {
  return (): CheckpointedOperator<number, CounterMessage> => {
    let count = 0;
    return {
      snapshotState: (id: CheckpointId) => {
        if (failSnapshot) throw new Error('disk is full');
        journal.push(`${taskId} snapshot ${id} = ${count}`);
        return count;
      },
      restoreState: (state, id) => {
        journal.push(`${taskId} restore ${id} = ${state}`);
        count = state ?? 0;
      },
      notifyCheckpointComplete: (id) => { journal.push(`${taskId} complete ${id}`); },
      notifyCheckpointAborted: (id) => { journal.push(`${taskId} aborted ${id}`); },
      onMessage: (message) => {
        if (message.kind === 'add') count += message.amount;
        if (message.kind === 'read') dispatch(message.replyTo, count);
        if (message.kind === 'explode') throw new Error('operator bug');
      },
    };
  };
}

describe('spawnTask (the task harness)', () => {
  let system: Ref<unknown>;
  let coordinator: CheckpointCoordinatorRef;
  beforeEach(() => {
    system = start();
    journal.length = 0;
  });
  afterEach(() => stop(system));

  function spawnJob(taskIds: readonly string[], options: { failingSnapshot?: string } = {}): void {
    coordinator = spawnCheckpointCoordinator(system, {
      jobId: 'counting',
      interval: 1000,
      startScheduler: false,
      clock: new ManualClock(),
      tolerableFailures: 10,
      restartStrategy: { kind: 'fixed-delay', attempts: Number.POSITIVE_INFINITY, delay: 0 },
      tasks: taskIds.map((id) => operatorTask(system, id, counter(id, options.failingSnapshot === id))),
    });
  }

  async function taskRef(taskId: string): Promise<TypedRef<TaskMessage<CounterMessage>>> {
    const tasks = await ask(coordinator, { type: 'GetTasks' });
    const task = tasks.find((candidate) => candidate.taskId === taskId);
    if (task === undefined) throw new Error(`no task ${taskId}`);
    return task.ref as TypedRef<TaskMessage<CounterMessage>>;
  }

  async function read(taskId: string): Promise<number> {
    const ref = await taskRef(taskId);
    return (await query(ref, (replyTo: Ref<unknown>) => ({ type: 'Deliver', payload: { kind: 'read', replyTo } }), 2000)) as number;
  }

  async function waitForStats(condition: (stats: CheckpointStats) => boolean): Promise<CheckpointStats> {
    for (let round = 0; round < 200; round += 1) {
      const stats = await ask(coordinator, { type: 'GetCheckpointStats' });
      if (condition(stats)) return stats;
    }
    throw new Error('the coordinator never reached the expected state');
  }

  it('snapshots the operator state on trigger and commits it on completion', async () => {
    spawnJob(['a', 'b']);
    deliver(await taskRef('a'), { kind: 'add', amount: 5 });
    const outcome = await ask(coordinator, { type: 'TriggerCheckpointNow' });
    expect(outcome.status === 'completed' && outcome.checkpoint.taskStates).to.deep.equal({
      a: { operatorState: { kind: 'inline', value: 5 }, keyedState: [] },
      b: { operatorState: { kind: 'inline', value: 0 }, keyedState: [] },
    });
    expect(await read('a')).to.equal(5);
    expect(journal).to.include.members(['a snapshot 1 = 5', 'a complete 1', 'b complete 1']);
  });

  it('declines the checkpoint when the operator snapshot throws, naming the reason', async () => {
    spawnJob(['a', 'b'], { failingSnapshot: 'b' });
    const outcome = await ask(coordinator, { type: 'TriggerCheckpointNow' });
    expect(outcome).to.deep.include({ status: 'failed', reason: 'declined', message: 'task b declined checkpoint 1: disk is full' });
  });

  it('reports a crashed operator; the coordinator restarts it and every task comes back with the checkpoint state', async () => {
    spawnJob(['a', 'b']);
    deliver(await taskRef('a'), { kind: 'add', amount: 3 });
    deliver(await taskRef('b'), { kind: 'add', amount: 7 });
    await ask(coordinator, { type: 'TriggerCheckpointNow' });
    deliver(await taskRef('a'), { kind: 'add', amount: 100 });
    deliver(await taskRef('b'), { kind: 'add', amount: 100 });
    const crashed = await taskRef('b');
    deliver(crashed, { kind: 'explode' });
    const stats = await waitForStats((current) => current.counts.restored === 1);
    expect(stats.counts.taskRestarts).to.equal(1);
    expect(await taskRef('b')).to.not.equal(crashed);
    expect(await read('a')).to.equal(3);
    expect(await read('b')).to.equal(7);
    expect(journal.filter((line) => line.includes('restore'))).to.have.members(['a restore 1 = 3', 'b restore 1 = 7']);
    deliver(await taskRef('b'), { kind: 'add', amount: 1 });
    const next = await ask(coordinator, { type: 'TriggerCheckpointNow' });
    expect(next.status === 'completed' && next.checkpoint.taskStates['b' as never]).to.deep.equal({ operatorState: { kind: 'inline', value: 8 }, keyedState: [] });
  });

  it('treats a task actor stopped from outside as failed and restarts it', async () => {
    spawnJob(['a']);
    stop(await taskRef('a'));
    const stats = await waitForStats((current) => current.counts.taskRestarts === 1);
    expect(stats.latestRestore?.checkpointId).to.equal(null);
    expect(await read('a')).to.equal(0);
  });

  it('copies the snapshotted value, so later changes to the operator state do not leak into the checkpoint', async () => {
    const shared = { items: [1] };
    coordinator = spawnCheckpointCoordinator(system, {
      jobId: 'copying', interval: 1000, startScheduler: false, clock: new ManualClock(),
      tasks: [operatorTask(system, 'list', () => ({ snapshotState: () => shared, restoreState: () => undefined }))],
    });
    const outcome = await ask(coordinator, { type: 'TriggerCheckpointNow' });
    shared.items.push(2);
    expect(outcome.status === 'completed' && outcome.checkpoint.taskStates['list' as never]).to.deep.equal({ operatorState: { kind: 'inline', value: { items: [1] } }, keyedState: [] });
  });

  describe('a snapshot value that is not JSON', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const cases: ReadonlyArray<readonly [string, () => unknown, string]> = [
      ['a function', () => () => 1, '$ is a function'],
      ['a nested symbol', () => ({ a: { b: [1, Symbol('x')] } }), '$.a.b[1] is a symbol'],
      ['a bigint', () => ({ total: 10n }), '$.total is a bigint'],
      ['NaN', () => ({ average: Number.NaN }), '$.average is NaN'],
      ['Infinity', () => [Number.POSITIVE_INFINITY], '$[0] is Infinity'],
      ['a Map', () => ({ index: new Map([['k', 1]]) }), '$.index is a Map'],
      ['a Date', () => ({ at: new Date(0) }), '$.at is a Date'],
      ['undefined in an array', () => [1, undefined], '$[1] is undefined'],
      ['a cycle', () => cyclic, '$.self is a cycle back to $'],
    ];
    for (const [what, value, path] of cases) {
      it(`is declined by the task, naming the path of the bad value (${what}), and checkpointing goes on`, async () => {
        let bad = true;
        coordinator = spawnCheckpointCoordinator(system, {
          jobId: 'not-json', interval: 1000, startScheduler: false, clock: new ManualClock(), tolerableFailures: 5,
          tasks: [operatorTask(system, 'odd', () => ({ snapshotState: () => (bad ? value() : 1) as never, restoreState: () => undefined }))],
        });
        const outcome = await ask(coordinator, { type: 'TriggerCheckpointNow' });
        expect(outcome).to.deep.include({ status: 'failed', checkpointId: 1, reason: 'declined' });
        expect(outcome.status === 'failed' && outcome.message).to.equal(`task odd declined checkpoint 1: snapshotState returned a value that is not JSON: ${path}`);
        bad = false;
        expect((await ask(coordinator, { type: 'TriggerCheckpointNow' })).status).to.equal('completed');
      });
    }
  });

  it('keeps its state when it receives a message it does not understand', async () => {
    spawnJob(['a']);
    deliver(await taskRef('a'), { kind: 'add', amount: 4 });
    tell(await taskRef('a') as unknown as TypedRef<unknown>, { type: 'Gibberish' });
    tell(await taskRef('a') as unknown as TypedRef<unknown>, 42);
    expect(await read('a')).to.equal(4);
    deliver(await taskRef('a'), { kind: 'add', amount: 1 });
    expect(await read('a')).to.equal(5);
    const stats = await ask(coordinator, { type: 'GetCheckpointStats' });
    expect(stats.counts.taskRestarts).to.equal(0);
  });
});
