import { expect } from 'chai';
import { dispatch, query, start, stop, type Ref } from 'nact';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../src/testing/index.js';
import { ask, type TypedRef } from '../../src/actor/typed-ref.js';
import type { CheckpointCoordinatorRef } from '../../src/coordinator/checkpoint-coordinator.js';
import { prepareCheckpointing } from '../../src/recovery/prepare-checkpointing.js';
import { spawnCheckpointCoordinator } from '../../src/coordinator/spawn-checkpoint-coordinator.js';
import { asJobId } from '../../src/core/ids.js';
import type { JsonValue } from '../../src/core/json.js';
import { KeyedStateWithLocalRecovery } from '../../src/local-recovery/keyed-state-with-local-recovery.js';
import { TaskLocalStateStore } from '../../src/local-recovery/task-local-state-store.js';
import { RestoredFileSource, SnapshotStrategy, type RestoreSummary } from '../../src/backend/heap-keyed-state-backend.js';
import { KeyGroupRanges } from '../../src/state/key-groups.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import type { CheckpointedOperator } from '../../src/task/checkpointed-operator.js';
import { deliver, operatorTask } from '../../src/task/spawn-task.js';
import type { TaskMessage } from '../../src/task/task-message.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

type CounterMessage =
  | { readonly kind: 'put'; readonly key: string; readonly value: JsonValue }
  | { readonly kind: 'read'; readonly replyTo: Ref<unknown> }
  | { readonly kind: 'explode' };

const JOB = 'local-recovery-job';

describe('task-local recovery in a running job (coordinator, task harness, filesystem storage)', () => {
  let directory: string;
  let system: Ref<unknown>;
  let coordinator: CheckpointCoordinatorRef;
  let summaries: RestoreSummary[];

  beforeEach(async () => {
    directory = await createTemporaryDirectory();
    system = start();
    summaries = [];
  });
  afterEach(async () => {
    stop(system);
    await removeTemporaryDirectory(directory);
  });

  const localRoot = (): string => join(directory, 'local');

  /** Every attempt opens the task's local store anew, as a restarted process would. */
  function keyedCounter(): CheckpointedOperator<null, CounterMessage> {
    let keyed: Promise<KeyedStateWithLocalRecovery> | null = null;
    const ready = (): Promise<KeyedStateWithLocalRecovery> => {
      keyed ??= TaskLocalStateStore.open({ localRootDirectory: localRoot(), jobId: JOB, taskId: 'counter-0' }).then((store) => new KeyedStateWithLocalRecovery({
        jobId: asJobId(JOB), keyGroupRange: KeyGroupRanges.of(0, 15), numberOfKeyGroups: 16, storage: new FileSystemCheckpointStorage(join(directory, 'durable')), strategy: SnapshotStrategy.INCREMENTAL,
      }, store));
      return keyed;
    };
    return {
      snapshotState: () => null,
      restoreState: () => undefined,
      snapshotKeyedState: async (checkpointId) => [await (await ready()).snapshot(checkpointId)],
      restoreKeyedState: async (handles) => {
        summaries.push(await (await ready()).restore(handles));
      },
      notifyCheckpointComplete: async (checkpointId) => (await ready()).notifyCheckpointComplete(checkpointId),
      notifyCheckpointAborted: async (checkpointId) => (await ready()).notifyCheckpointAborted(checkpointId),
      onMessage: async (message) => {
        const state = await ready();
        if (message.kind === 'put') state.backend.put(message.key, message.value);
        if (message.kind === 'read') dispatch(message.replyTo, Object.fromEntries(state.backend.entries()));
        if (message.kind === 'explode') throw new Error('operator bug');
      },
    };
  }

  async function task(): Promise<TypedRef<TaskMessage<CounterMessage>>> {
    const [running] = await ask(coordinator, { type: 'GetTasks' });
    if (running === undefined) throw new Error('no task');
    return running.ref as TypedRef<TaskMessage<CounterMessage>>;
  }

  /** The task's state, read through its mailbox: whatever was delivered before (a restore included) has been handled. */
  async function read(): Promise<Record<string, JsonValue>> {
    return (await query(await task(), (replyTo: Ref<unknown>) => ({ type: 'Deliver', payload: { kind: 'read', replyTo } }), 5_000)) as Record<string, JsonValue>;
  }

  async function put(key: string, value: JsonValue): Promise<void> {
    deliver(await task(), { kind: 'put', key, value });
  }

  async function crashAndWaitForRestore(): Promise<RestoreSummary> {
    const crashed = await task();
    const restoresBefore = summaries.length;
    deliver(crashed, { kind: 'explode' });
    // Mailbox round trips until the restore (which reads files) has happened, for as long as a loaded machine may need.
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && (summaries.length === restoresBefore || (await task()) === crashed);) {
      await ask(coordinator, { type: 'GetCheckpointStats' });
      if ((await task()) !== crashed) await read();
    }
    const summary = summaries[restoresBefore];
    if (summary === undefined) throw new Error('the task was never restored');
    return summary;
  }

  it('a task restarted on the same machine restores locally; a task that lost its disk restores from the durable copy', async () => {
    const checkpointing = await prepareCheckpointing({ jobId: JOB, storage: new FileSystemCheckpointStorage(join(directory, 'durable')), retained: 1 });
    coordinator = spawnCheckpointCoordinator(system, {
      jobId: JOB, interval: 1_000, startScheduler: false, clock: new ManualClock(), tolerableFailures: 10,
      restartStrategy: { kind: 'fixed-delay', attempts: Number.POSITIVE_INFINITY, delay: 0 },
      ...checkpointing,
      tasks: [operatorTask(system, 'counter-0', keyedCounter)],
    });
    await put('a', 1);
    await put('b', 2);
    expect((await ask(coordinator, { type: 'TriggerCheckpointNow' })).status).to.equal('completed');
    await put('c', 3);

    const local = await crashAndWaitForRestore();
    expect(await read()).to.deep.equal({ a: 1, b: 2 });
    expect(local.filesFromTaskLocal).to.be.above(0);
    expect(local.files.every((file) => file.source === RestoredFileSource.TASK_LOCAL)).to.equal(true);

    await put('d', 4);
    expect((await ask(coordinator, { type: 'TriggerCheckpointNow' })).status).to.equal('completed');
    await rm(localRoot(), { recursive: true, force: true });

    const durable = await crashAndWaitForRestore();
    expect(await read()).to.deep.equal({ a: 1, b: 2, d: 4 });
    expect(durable.filesFromTaskLocal).to.equal(0);
    expect(durable.files.map((file) => [file.source, file.reason])).to.deep.equal(durable.files.map(() => [RestoredFileSource.DURABLE, 'no task-local copy of checkpoint 2']));
  });
});
