import { expect } from 'chai';
import { spawn, start, stop, type Ref } from 'nact';
import { ask, tell, typedRef, type TypedRef } from '../../src/actor/typed-ref.js';
import type { CoordinatorInternalMessage } from '../../src/coordinator/coordinator-message.js';
import { TaskMessageBatcher } from '../../src/coordinator/task-message-batcher.js';
import { asAttemptId, asJobId, asTaskId } from '../../src/core/ids.js';
import type { TaskFailed } from '../../src/protocol/task-protocol.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';

type Recorded = CoordinatorInternalMessage | { readonly type: 'Read'; readonly replyTo: TypedRef<readonly CoordinatorInternalMessage[]> };

const failure = (taskId: string, error: string): TaskFailed => ({ type: 'TaskFailed', jobId: asJobId('job'), taskId: asTaskId(taskId), attemptId: asAttemptId('a'), error });

describe('TaskMessageBatcher', () => {
  let system: Ref<unknown>;
  beforeEach(() => { system = start(); });
  afterEach(() => stop(system));

  it('delivers the messages of one event-loop turn as one batch, in the order they were sent', async () => {
    const received: CoordinatorInternalMessage[] = [];
    const recorder = typedRef<Recorded>(spawn(system, (state: null, message: Recorded) => {
      if (message.type === 'Read') tell(message.replyTo, [...received]);
      else received.push(message);
      return state;
    }, undefined, { initialState: null }));
    const batcher = new TaskMessageBatcher(recorder);
    batcher.send(failure('a', 'first'));
    batcher.send(failure('b', 'second'));
    batcher.send(failure('a', 'third'));
    await new Promise((resolve) => setImmediate(resolve));
    batcher.send(failure('c', 'next turn'));
    await new Promise((resolve) => setImmediate(resolve));
    const batches = await ask(recorder, { type: 'Read' });
    expect(batches.map((batch) => batch.type === 'TaskMessageBatch' && batch.messages.map((message) => (message as TaskFailed).error))).to.deep.equal([
      ['first', 'second', 'third'],
      ['next turn'],
    ]);
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
