import { expect } from 'chai';
import { dispatch, query, start, stop, type Ref } from 'nact';
import { ManualClock } from '../../src/actor/manual-clock.js';
import { ask, type TypedRef } from '../../src/actor/typed-ref.js';
import type { CheckpointCoordinatorRef } from '../../src/coordinator/checkpoint-coordinator.js';
import { spawnCheckpointCoordinator } from '../../src/coordinator/spawn-checkpoint-coordinator.js';
import type { CheckpointId } from '../../src/core/ids.js';
import type { CheckpointOutcome } from '../../src/protocol/checkpoint-outcome.js';
import type { CheckpointedOperator, TaskContext } from '../../src/task/checkpointed-operator.js';
import { deliver, operatorTask } from '../../src/task/spawn-task.js';
import type { TaskMessage } from '../../src/task/task-message.js';

/** Messages of the sequencing operator: number `n` appends n to its state; `read` answers with the state. */
type SequenceMessage = number | { readonly read: Ref<unknown> };

/** How many of its own messages each task has queued when a protocol message is sent to it. */
const BACKLOG = 200;
const oneToBacklog = Array.from({ length: BACKLOG }, (_, index) => index + 1);

/**
 * The task harness hands protocol messages (trigger, notify, restore) to its operator ahead of the task's own queued
 * messages: a snapshot then holds a prefix of them, and order is kept among the task's own messages and among the
 * protocol's. Nothing here measures time: every assertion is about what a snapshot or the operator saw.
 */
describe('the task harness gives protocol messages priority over its own backlog', () => {
  let system: Ref<unknown>;
  let coordinator: CheckpointCoordinatorRef;
  /** Per task, what its operator did, in order: `m<n>` for message n, `snapshot <id> = <length>`, `complete <id>`, `restore <id>`. */
  let journals: Map<string, string[]>;

  beforeEach(() => {
    system = start();
    journals = new Map();
  });
  afterEach(() => stop(system));

  /** Appends every number it is sent to its state; `onSnapshot` runs inside the snapshot hook (to queue more work there). */
  function sequencer(taskId: string, onSnapshot: (context: TaskContext<SequenceMessage>) => void = () => undefined) {
    return (context: TaskContext<SequenceMessage>): CheckpointedOperator<number[], SequenceMessage> => {
      const journal: string[] = [];
      journals.set(taskId, journal);
      let seen: number[] = [];
      return {
        snapshotState: (id: CheckpointId) => {
          journal.push(`snapshot ${id} = ${seen.length}`);
          onSnapshot(context);
          return seen;
        },
        restoreState: (state, id) => {
          journal.push(`restore ${id}`);
          seen = state === null ? [] : [...state];
        },
        notifyCheckpointComplete: (id) => { journal.push(`complete ${id}`); },
        onMessage: (message) => {
          if (typeof message === 'number') {
            journal.push(`m${message}`);
            seen.push(message);
          } else {
            dispatch(message.read, seen.slice());
          }
        },
      };
    };
  }

  function spawnJob(taskIds: readonly string[], onSnapshot?: (context: TaskContext<SequenceMessage>) => void): void {
    coordinator = spawnCheckpointCoordinator(system, {
      jobId: 'lanes', interval: 1000, startScheduler: false, clock: new ManualClock(), retained: 3,
      tasks: taskIds.map((id) => operatorTask(system, id, sequencer(id, onSnapshot))),
    });
  }

  async function taskRef(taskId: string): Promise<TypedRef<TaskMessage<SequenceMessage>>> {
    const task = (await ask(coordinator, { type: 'GetTasks' })).find((candidate) => candidate.taskId === taskId);
    if (task === undefined) throw new Error(`no task ${taskId}`);
    return task.ref as TypedRef<TaskMessage<SequenceMessage>>;
  }

  /** The task's state once it has handled everything queued before this (its mailbox is FIFO). */
  async function stateOf(taskId: string): Promise<number[]> {
    const ref = await taskRef(taskId);
    return (await query(ref, (replyTo: Ref<unknown>) => ({ type: 'Deliver', payload: { read: replyTo } }), 10_000)) as number[];
  }

  function queueBacklog(ref: TypedRef<TaskMessage<SequenceMessage>>): void {
    for (const n of oneToBacklog) deliver(ref, n);
  }

  function snapshotOf(outcome: CheckpointOutcome, taskId: string): number[] {
    if (outcome.status !== 'completed') throw new Error(`the checkpoint failed: ${outcome.message}`);
    const state = outcome.checkpoint.taskStates[taskId as never]?.operatorState;
    if (state?.kind !== 'inline') throw new Error(`task ${taskId} snapshotted no inline state`);
    return state.value as number[];
  }

  it('a trigger overtakes the backlog: the snapshot holds exactly a prefix of the queued messages, not all of them', async () => {
    spawnJob(['a', 'b']);
    const refs = [await taskRef('a'), await taskRef('b')];
    for (const ref of refs) queueBacklog(ref);
    const outcome = await ask(coordinator, { type: 'TriggerCheckpointNow' });
    for (const taskId of ['a', 'b']) {
      const snapshot = snapshotOf(outcome, taskId);
      expect(snapshot.length, `task ${taskId} snapshotted after ${snapshot.length} of ${BACKLOG} messages`).to.be.lessThan(BACKLOG);
      expect(snapshot).to.deep.equal(oneToBacklog.slice(0, snapshot.length));
    }
    // Every queued message is still handled, after the snapshot and in the order sent.
    expect(await stateOf('a')).to.deep.equal(oneToBacklog);
    expect(await stateOf('b')).to.deep.equal(oneToBacklog);
  });

  it('a completion notification overtakes the backlog queued while its checkpoint was in flight', async () => {
    // Each task queues its backlog from inside its snapshot: when the completion is sent, all of it is still waiting.
    spawnJob(['a'], (context) => queueBacklog(context.self));
    expect((await ask(coordinator, { type: 'TriggerCheckpointNow' })).status).to.equal('completed');
    expect(await stateOf('a')).to.deep.equal(oneToBacklog);
    const journal = journals.get('a') ?? [];
    const completedAt = journal.indexOf('complete 1');
    expect(completedAt, journal.join(', ')).to.be.greaterThan(0);
    expect(journal.indexOf(`m${BACKLOG}`), 'the last queued message is handled after the completion').to.be.greaterThan(completedAt);
  });

  it('a restore overtakes the backlog: the operator is reset before the last queued message, which then applies on top', async () => {
    spawnJob(['a']);
    const ref = await taskRef('a');
    deliver(ref, 0);
    expect((await ask(coordinator, { type: 'TriggerCheckpointNow' })).status).to.equal('completed');
    queueBacklog(ref);
    expect(await ask(coordinator, { type: 'RestoreLatestCheckpoint' })).to.deep.equal({ status: 'restored', checkpointId: 1 });
    const journal = journals.get('a') ?? [];
    const state = await stateOf('a');
    const restoredAt = journal.indexOf('restore 1');
    expect(restoredAt, journal.join(', ')).to.be.greaterThan(0);
    expect(journal.indexOf(`m${BACKLOG}`)).to.be.greaterThan(restoredAt);
    // The state is the checkpoint's ([0]) followed by exactly the messages handled after the restore, in order.
    const handledAfter = journal.slice(restoredAt + 1).filter((line) => line.startsWith('m')).map((line) => Number(line.slice(1)));
    expect(handledAfter.length).to.be.greaterThan(0);
    expect(state).to.deep.equal([0, ...handledAfter]);
    expect(handledAfter).to.deep.equal(oneToBacklog.slice(BACKLOG - handledAfter.length));
  });

  it('keeps order among protocol messages and among the task\'s own messages when both overtake and wait', async () => {
    spawnJob(['a']);
    const ref = await taskRef('a');
    queueBacklog(ref);
    const first = ask(coordinator, { type: 'TriggerCheckpointNow' });
    const savepoint = ask(coordinator, { type: 'TriggerSavepoint' });
    expect((await first).status).to.equal('completed');
    expect((await savepoint).status).to.equal('completed');
    expect(await stateOf('a')).to.deep.equal(oneToBacklog);
    const journal = journals.get('a') ?? [];
    const protocol = journal.filter((line) => !line.startsWith('m'));
    // A savepoint's completion is not notified (tasks commit on checkpoints only, FLINK-25191).
    expect(protocol).to.deep.equal(['snapshot 1 = ' + protocol[0]?.split(' = ')[1], 'snapshot 2 = ' + protocol[1]?.split(' = ')[1], 'complete 1']);
    const lengths = protocol.slice(0, 2).map((line) => Number(line.split(' = ')[1]));
    expect(lengths[0]).to.be.at.most(lengths[1] as number);
    expect(lengths[1]).to.be.lessThan(BACKLOG);
    expect(journal.filter((line) => line.startsWith('m'))).to.deep.equal(oneToBacklog.map((n) => `m${n}`));
  });

  it('drains protocol messages in order through hooks that return promises, and still snapshots a prefix', async () => {
    const journal: string[] = [];
    let seen: number[] = [];
    const later = <T>(value: T): Promise<T> => Promise.resolve().then(() => value);
    coordinator = spawnCheckpointCoordinator(system, {
      jobId: 'lanes', interval: 1000, startScheduler: false, clock: new ManualClock(), retained: 3,
      tasks: [operatorTask(system, 'slow', (): CheckpointedOperator<number[], SequenceMessage> => ({
        snapshotState: (id) => {
          journal.push(`snapshot ${id}`);
          return later(seen.slice());
        },
        restoreState: () => undefined,
        notifyCheckpointComplete: async (id) => { journal.push(`complete ${id}`); await later(null); },
        onMessage: async (message) => {
          await later(null);
          if (typeof message === 'number') {
            journal.push(`m${message}`);
            seen = [...seen, message];
          } else {
            dispatch(message.read, seen.slice());
          }
        },
      }))],
    });
    const ref = await taskRef('slow');
    queueBacklog(ref);
    const checkpoint = ask(coordinator, { type: 'TriggerCheckpointNow' });
    const savepoint = ask(coordinator, { type: 'TriggerSavepoint' });
    const outcomes = [await checkpoint, await savepoint];
    const snapshots = outcomes.map((outcome) => snapshotOf(outcome, 'slow'));
    expect(snapshots[1]?.length).to.be.lessThan(BACKLOG);
    for (const snapshot of snapshots) expect(snapshot).to.deep.equal(oneToBacklog.slice(0, snapshot.length));
    expect(await stateOf('slow')).to.deep.equal(oneToBacklog);
    expect(journal.filter((line) => !line.startsWith('m'))).to.deep.equal(['snapshot 1', 'snapshot 2', 'complete 1']);
    expect(journal.filter((line) => line.startsWith('m'))).to.deep.equal(oneToBacklog.map((n) => `m${n}`));
  });

  describe('never runs two operator hooks at once', () => {
    /** A gate a hook awaits until the spec opens it. */
    function gate(): { readonly passed: Promise<void>; open(): void } {
      let open!: () => void;
      const passed = new Promise<void>((resolve) => { open = resolve; });
      return { passed, open };
    }

    async function until(condition: () => boolean, what: string): Promise<void> {
      for (let turn = 0; !condition(); turn += 1) {
        if (turn > 10_000) throw new Error(`gave up waiting for ${what}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }

    it('a message of the task waits while a snapshot taken through the lane is awaited', async () => {
      const journal: string[] = [];
      const snapshotGate = gate();
      coordinator = spawnCheckpointCoordinator(system, {
        jobId: 'lanes', interval: 1000, startScheduler: false, clock: new ManualClock(),
        tasks: [operatorTask(system, 'a', (): CheckpointedOperator<number, SequenceMessage> => ({
          snapshotState: async () => {
            journal.push('snapshot begins');
            await snapshotGate.passed;
            journal.push('snapshot ends');
            return 0;
          },
          restoreState: () => undefined,
          onMessage: (message) => { journal.push(`m${String(message)}`); },
        }))],
      });
      const ref = await taskRef('a');
      const outcome = ask(coordinator, { type: 'TriggerCheckpointNow' });
      await until(() => journal.includes('snapshot begins'), 'the snapshot');
      deliver(ref, 1);
      for (let turn = 0; turn < 50; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(journal).to.deep.equal(['snapshot begins']);
      snapshotGate.open();
      expect((await outcome).status).to.equal('completed');
      await until(() => journal.length === 3, 'the message');
      expect(journal).to.deep.equal(['snapshot begins', 'snapshot ends', 'm1']);
    });

    it('a trigger offered while the task awaits its own message is handled right after it, with nothing else queued', async () => {
      const journal: string[] = [];
      const messageGate = gate();
      coordinator = spawnCheckpointCoordinator(system, {
        jobId: 'lanes', interval: 1000, startScheduler: false, clock: new ManualClock(),
        tasks: [operatorTask(system, 'a', (): CheckpointedOperator<number, SequenceMessage> => ({
          snapshotState: (id) => {
            journal.push(`snapshot ${id}`);
            return 0;
          },
          restoreState: () => undefined,
          onMessage: async (message) => {
            journal.push(`m${String(message)} begins`);
            if (message === 1) await messageGate.passed;
            journal.push(`m${String(message)} ends`);
          },
        }))],
      });
      const ref = await taskRef('a');
      deliver(ref, 1);
      await until(() => journal.includes('m1 begins'), 'the first message');
      // A deadline, not a timing: the trigger must not wait for a mailbox message that never comes.
      const outcome = ask(coordinator, { type: 'TriggerCheckpointNow' }, 10_000);
      for (let turn = 0; turn < 50; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(journal).to.deep.equal(['m1 begins']);
      messageGate.open();
      expect((await outcome).status).to.equal('completed');
      deliver(ref, 2);
      await until(() => journal.includes('m2 ends'), 'the second message');
      expect(journal).to.deep.equal(['m1 begins', 'm1 ends', 'snapshot 1', 'm2 begins', 'm2 ends']);
    });

    it('a hook that throws when run from the lane fails the attempt, which is restarted and restored', async () => {
      let throwOnCompletion = true;
      const restored: (number | null)[] = [];
      coordinator = spawnCheckpointCoordinator(system, {
        jobId: 'lanes', interval: 1000, startScheduler: false, clock: new ManualClock(),
        restartStrategy: { kind: 'fixed-delay', attempts: 3, delay: 0 },
        tasks: [operatorTask(system, 'a', (): CheckpointedOperator<number, SequenceMessage> => ({
          snapshotState: () => 7,
          restoreState: (state) => { restored.push(state); },
          notifyCheckpointComplete: () => {
            if (throwOnCompletion) {
              throwOnCompletion = false;
              throw new Error('commit failed');
            }
          },
        }))],
      });
      const crashed = await taskRef('a');
      expect((await ask(coordinator, { type: 'TriggerCheckpointNow' })).status).to.equal('completed');
      for (let round = 0; round < 200 && (await ask(coordinator, { type: 'GetCheckpointStats' })).counts.restored === 0; round += 1) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      const stats = await ask(coordinator, { type: 'GetCheckpointStats' });
      expect(stats.counts.taskRestarts).to.equal(1);
      expect(await taskRef('a')).to.not.equal(crashed);
      await until(() => restored.length === 1, 'the restore');
      expect(restored).to.deep.equal([7]);
    });
  });
});
