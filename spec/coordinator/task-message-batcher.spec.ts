import { expect } from 'chai';
import { spawn, start, stop, type Ref } from 'nact';
import { ask, tell, typedRef, type TypedRef } from '../../src/actor/typed-ref.js';
import type { CoordinatorInternalMessage } from '../../src/coordinator/coordinator-message.js';
import { TaskMessageBatcher } from '../../src/coordinator/task-message-batcher.js';
import { asAttemptId, asJobId, asTaskId } from '../../src/core/ids.js';
import type { TaskFailed } from '../../src/protocol/task-protocol.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';

type Recorded = CoordinatorInternalMessage | { readonly type: 'Read'; readonly replyTo: TypedRef<readonly (readonly string[])[]> };

const failure = (taskId: string, error: string): TaskFailed => ({ type: 'TaskFailed', jobId: asJobId('job'), taskId: asTaskId(taskId), attemptId: asAttemptId('a'), error });

describe('TaskMessageBatcher', () => {
  let system: Ref<unknown>;
  beforeEach(() => { system = start(); });
  afterEach(() => stop(system));

  /** An actor that reads each batch when it handles it, as the coordinator does, and answers `Read` with what it read. */
  function spawnRecorder(): TypedRef<Recorded> {
    const read: string[][] = [];
    return typedRef<Recorded>(spawn(system, (state: null, message: Recorded) => {
      if (message.type === 'Read') tell(message.replyTo, read.map((errors) => [...errors]));
      else if (message.type === 'TaskMessageBatch') read.push(message.messages.map((each) => (each as TaskFailed).error));
      return state;
    }, undefined, { initialState: null }));
  }

  it('delivers the messages sent until the receiver handles the batch as one batch, in the order they were sent', async () => {
    const recorder = spawnRecorder();
    const batcher = new TaskMessageBatcher((message) => tell(recorder, message));
    batcher.send(failure('a', 'first'));
    batcher.send(failure('b', 'second'));
    batcher.send(failure('a', 'third'));
    await new Promise((resolve) => setImmediate(resolve));
    batcher.send(failure('c', 'after it was read'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await ask(recorder, { type: 'Read' })).to.deep.equal([['first', 'second', 'third'], ['after it was read']]);
  });

  it('tells the receiver with the first message, so a burst costs no extra event-loop turn on its way', async () => {
    const recorder = spawnRecorder();
    const batcher = new TaskMessageBatcher((message) => tell(recorder, message));
    batcher.send(failure('a', 'first'));
    // The receiver's mailbox is FIFO: a Read told now is handled after the batch, which must therefore already be there.
    const read = ask(recorder, { type: 'Read' });
    batcher.send(failure('b', 'same turn'));
    expect(await read).to.deep.equal([['first', 'same turn']]);
  });

  it('keeps taking messages into the batch while the receiver is busy, and starts a new batch once it was read', async () => {
    const recorder = spawnRecorder();
    const batcher = new TaskMessageBatcher((message) => tell(recorder, message));
    batcher.send(failure('a', '1'));
    for (let turn = 0; turn < 3; turn += 1) {
      // Reads queued ahead keep the receiver busy; the batch is read when its turn comes, after all three sends.
      void ask(recorder, { type: 'Read' });
    }
    batcher.send(failure('a', '2'));
    batcher.send(failure('b', '3'));
    await ask(recorder, { type: 'Read' });
    batcher.send(failure('a', '4'));
    expect(await ask(recorder, { type: 'Read' })).to.deep.equal([['1', '2', '3'], ['4']]);
  });
});

describe('CheckpointCoordinator with batched task messages', () => {
  it('handles each message of a batch on its own: a malformed one is counted, the others take effect', async () => {
    const h = new CoordinatorHarness();
    try {
      await h.spawn({ startScheduler: false, tolerableFailures: 5 });
      h.tasks.answer('sink', 'stay-silent');
      void h.triggerNow();
      await h.settle();
      const source = h.tasks.current('source');
      const sink = h.tasks.current('sink');
      if (sink.report === undefined) throw new Error('the coordinator deploys tasks with a batching report function');
      sink.report({ type: 'AcknowledgeCheckpoint', jobId: sink.jobId, taskId: sink.taskId, attemptId: sink.attemptId, checkpointId: -1 as never, state: { operatorState: null, keyedState: [] } });
      sink.report({ type: 'AcknowledgeCheckpoint', jobId: sink.jobId, taskId: sink.taskId, attemptId: sink.attemptId, checkpointId: 1 as never, state: { operatorState: null, keyedState: [] } });
      const stats = await h.settle();
      expect(stats.counts.malformedMessages).to.equal(1);
      expect(stats.counts.completed).to.equal(1);
      expect(source.report).to.equal(sink.report);
    } finally {
      h.dispose();
    }
  });
});
