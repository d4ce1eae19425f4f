import { expect } from 'chai';
import type { AttemptId, CheckpointId, JobId, TaskId } from '../../src/core/ids.js';
import type { NotifyCheckpointComplete } from '../../src/protocol/task-protocol.js';
import { ProtocolInbox } from '../../src/task/protocol-inbox.js';

const completion = (checkpointId: number): NotifyCheckpointComplete => ({
  type: 'NotifyCheckpointComplete', jobId: 'job' as JobId, taskId: 'task' as TaskId, attemptId: 'attempt' as AttemptId, checkpointId: checkpointId as CheckpointId,
});

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** An inbox whose harness records each look and takes everything waiting; `free` says whether the operator is. */
function recordingInbox(name: string, looks: string[], free: () => boolean = () => true): ProtocolInbox {
  const inbox: ProtocolInbox = new ProtocolInbox({
    get isFree() {
      return free();
    },
    lookAtInbox() {
      const taken: number[] = [];
      for (let next = inbox.take(); next !== undefined; next = inbox.take()) taken.push(next.checkpointId ?? 0);
      looks.push(`${name}:${taken.join(',')}`);
    },
  });
  return inbox;
}

describe('ProtocolInbox (a task attempt\'s priority lane)', () => {
  it('hands out what was offered in the order offered, then nothing', () => {
    const inbox = new ProtocolInbox({ isFree: false, lookAtInbox: () => undefined });
    for (const id of [1, 2, 3]) inbox.offer(completion(id));
    expect(inbox.hasWaiting).to.equal(true);
    expect([inbox.take(), inbox.take(), inbox.take()].map((message) => message?.checkpointId)).to.deep.equal([1, 2, 3]);
    expect(inbox.hasWaiting).to.equal(false);
    expect(inbox.take()).to.equal(undefined);
  });

  it('asks a free harness to look once per burst, after the offerer\'s code and in the same turn, inboxes in the order offered to', async () => {
    const looks: string[] = [];
    const first = recordingInbox('first', looks);
    const second = recordingInbox('second', looks);
    second.offer(completion(1));
    first.offer(completion(1));
    second.offer(completion(2));
    expect(looks, 'never inside the offerer\'s code').to.deep.equal([]);
    await Promise.resolve();
    expect(looks).to.deep.equal(['second:1,2', 'first:1']);
    first.offer(completion(2));
    await nextTurn();
    expect(looks).to.deep.equal(['second:1,2', 'first:1', 'first:2']);
  });

  it('leaves what is offered to a busy harness for the harness to take when it is done', async () => {
    const looks: string[] = [];
    let free = false;
    const inbox = recordingInbox('busy', looks, () => free);
    inbox.offer(completion(1));
    await nextTurn();
    expect(looks).to.deep.equal([]);
    expect(inbox.take()?.checkpointId).to.equal(1);
    free = true;
    inbox.offer(completion(2));
    await nextTurn();
    expect(looks).to.deep.equal(['busy:2']);
  });

  it('does not ask the harness to look when it already took everything before the look was due', async () => {
    const looks: string[] = [];
    const inbox = recordingInbox('quick', looks);
    inbox.offer(completion(1));
    inbox.take();
    await nextTurn();
    expect(looks).to.deep.equal([]);
  });

  it('keeps order across offers made while it is being drained', () => {
    const inbox = new ProtocolInbox({ isFree: false, lookAtInbox: () => undefined });
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
