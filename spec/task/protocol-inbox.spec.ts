import { expect } from 'chai';
import type { AttemptId, CheckpointId, JobId, TaskId } from '../../src/core/ids.js';
import type { NotifyCheckpointComplete } from '../../src/protocol/task-protocol.js';
import { ProtocolInbox } from '../../src/task/protocol-inbox.js';

const completion = (checkpointId: number): NotifyCheckpointComplete => ({
  type: 'NotifyCheckpointComplete', jobId: 'job' as JobId, taskId: 'task' as TaskId, attemptId: 'attempt' as AttemptId, checkpointId: checkpointId as CheckpointId,
});

describe('ProtocolInbox (a task attempt\'s priority lane)', () => {
  it('hands out what was offered in the order offered, then nothing', () => {
    const inbox = new ProtocolInbox(() => undefined);
    for (const id of [1, 2, 3]) inbox.offer(completion(id));
    expect(inbox.hasWaiting).to.equal(true);
    expect([inbox.take(), inbox.take(), inbox.take()].map((message) => message?.checkpointId)).to.deep.equal([1, 2, 3]);
    expect(inbox.hasWaiting).to.equal(false);
    expect(inbox.take()).to.equal(undefined);
  });

  it('sends one wake-up per burst: none again until the last one reached the task', () => {
    let wakeUps = 0;
    const inbox = new ProtocolInbox(() => { wakeUps += 1; });
    inbox.offer(completion(1));
    inbox.offer(completion(2));
    expect(wakeUps).to.equal(1);
    inbox.take();
    inbox.take();
    // Drained before the wake-up arrived (by another message of the task): the wake-up is still on its way.
    inbox.offer(completion(3));
    expect(wakeUps).to.equal(1);
    inbox.wokenUp();
    expect(inbox.take()?.checkpointId).to.equal(3);
    inbox.offer(completion(4));
    expect(wakeUps).to.equal(2);
  });

  it('keeps order across offers made while it is being drained', () => {
    const inbox = new ProtocolInbox(() => undefined);
    inbox.offer(completion(1));
    const seen: number[] = [];
    for (let next = inbox.take(); next !== undefined; next = inbox.take()) {
      const id = next.checkpointId ?? 0;
      seen.push(id);
      if (id < 4) inbox.offer(completion(id + 1));
    }
    expect(seen).to.deep.equal([1, 2, 3, 4]);
  });
});
