import { expect } from 'chai';
import type { TypedRef } from '../../src/actor/typed-ref.js';
import type { AttemptId } from '../../src/core/ids.js';
import { TaskTable } from '../../src/coordinator/task-table.js';
import type { CoordinatorToTaskMessage } from '../../src/protocol/task-protocol.js';

/** A stand-in for a task attempt's ref: the table only stores it (and looks up the lane it offered, here none). */
const aRef = (): TypedRef<CoordinatorToTaskMessage> => ({}) as TypedRef<CoordinatorToTaskMessage>;
const spec = (taskId: string) => ({ taskId, deploy: () => aRef() });

describe('TaskTable', () => {
  it('hands every checkpoint triggered between two changes the same participants, without copying them again', () => {
    const table = new TaskTable();
    table.markRunning(table.add(spec('a')), 'a-1' as AttemptId, aRef());
    table.markRunning(table.add(spec('b')), 'b-1' as AttemptId, aRef());
    const first = table.participants();
    expect(table.participants()).to.equal(first);
    expect(first).to.deep.equal({ taskIds: ['a', 'b'], attemptIds: ['a-1', 'b-1'] });
  });

  it('keeps the participants of a triggered checkpoint as they were when a task is redeployed or added later', () => {
    const table = new TaskTable();
    table.markRunning(table.add(spec('a')), 'a-1' as AttemptId, aRef());
    const before = table.participants();
    table.markFailed(0);
    table.markRunning(0, 'a-2' as AttemptId, aRef());
    table.markRunning(table.add(spec('b')), 'b-1' as AttemptId, aRef());
    expect(before).to.deep.equal({ taskIds: ['a'], attemptIds: ['a-1'] });
    expect(Object.isFrozen(before.attemptIds)).to.equal(true);
    expect(table.participants()).to.deep.equal({ taskIds: ['a', 'b'], attemptIds: ['a-2', 'b-1'] });
  });
});
