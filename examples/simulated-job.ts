/**
 * The main demo: eight task actors, each counting events into an incremental keyed state backend, checkpointed
 * every 200 ms to the local filesystem under ./checkpoints. Midway one task crashes; the coordinator restarts it and
 * restores every task to the latest completed checkpoint, and the job carries on. The run checks that every task came
 * back with exactly the state it had snapshotted for that checkpoint, audits the files, and exits 0 when all is well.
 */
import { rm } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { start, stop } from 'nact';
import {
  ask,
  deliver,
  FileSystemCheckpointStorage,
  HeapKeyedStateBackend,
  JobStatus,
  operatorTask,
  prepareCheckpointing,
  spawnCheckpointCoordinator,
  verifyCheckpoints,
  asJobId,
  type CheckpointedOperator,
  type CheckpointId,
  type CompletedCheckpoint,
  type CoordinatorEvent,
  type KeyedStateHandle,
  type RunningTask,
  type TaskContext,
  type TaskStateSnapshot,
  type TypedRef,
  type TaskMessage,
} from '../src/index.js';

const JOB_ID = 'simulated-job';
const TASKS = 8;
const SENSORS_PER_TASK = 5_000;
const EVENTS_PER_TASK_PER_ROUND = 3;
const BASE_DIRECTORY = resolve('checkpoints');

type DemoMessage = { readonly kind: 'event'; readonly sensor: number; readonly value: number } | { readonly kind: 'crash' };
interface CounterState {
  readonly processed: number;
  readonly [key: string]: number;
}

/** What each task snapshotted, by `<task>@<checkpoint>`: kept outside the actors so it survives their crashes. */
const snapshots = new Map<string, { processed: number; sensors: Record<string, number> }>();
const restores: { taskId: string; checkpointId: CheckpointId | null; processed: number; sensors: Record<string, number> }[] = [];

function countingOperator(storage: FileSystemCheckpointStorage) {
  return (context: TaskContext<DemoMessage>): CheckpointedOperator<CounterState, DemoMessage> => {
    const options = { jobId: context.jobId, keyGroupRange: { start: 0, end: 127 }, numberOfKeyGroups: 128, storage, strategy: 'incremental' as const, maxSegments: 6 };
    const freshBackend = (): HeapKeyedStateBackend => {
      const fresh = new HeapKeyedStateBackend(options);
      for (let sensor = 0; sensor < SENSORS_PER_TASK; sensor += 1) fresh.put(`sensor-${sensor}`, 0);
      return fresh;
    };
    let backend = freshBackend();
    let processed = 0;
    const sensorsNow = (): Record<string, number> => Object.fromEntries([...backend.entries()].map(([key, value]) => [key, value as number]));
    return {
      onMessage(message) {
        if (message.kind === 'crash') throw new Error('simulated operator failure');
        processed += 1;
        const key = `sensor-${message.sensor}`;
        backend.put(key, ((backend.get(key) as number | undefined) ?? 0) + message.value);
      },
      snapshotState(checkpointId) {
        snapshots.set(`${context.taskId}@${checkpointId}`, { processed, sensors: sensorsNow() });
        return { processed };
      },
      async snapshotKeyedState(checkpointId): Promise<readonly KeyedStateHandle[]> {
        return [(await backend.snapshot(checkpointId)).jobManagerOwnedSnapshot];
      },
      async restoreKeyedState(handles) {
        backend = await HeapKeyedStateBackend.restore(options, handles);
      },
      restoreState(state, checkpointId) {
        if (checkpointId === null) backend = freshBackend();
        processed = state?.processed ?? 0;
        restores.push({ taskId: context.taskId, checkpointId, processed, sensors: sensorsNow() });
      },
      notifyCheckpointComplete: (checkpointId) => backend.notifyCheckpointComplete(checkpointId),
      notifyCheckpointAborted: (checkpointId) => backend.notifyCheckpointAborted(checkpointId),
    };
  };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

function fileSizes(state: TaskStateSnapshot): Map<string, number> {
  const files = new Map<string, number>();
  {
    for (const keyed of state.keyedState) {
      if (keyed.kind === 'key-groups') {
        if (keyed.stream.kind === 'file') files.set(keyed.stream.path, keyed.stream.size);
        continue;
      }
      for (const { handle } of [...keyed.sharedState, ...keyed.privateState, { handle: keyed.metaState }]) {
        if (handle.kind === 'file') files.set(handle.path, handle.size);
      }
    }
  }
  return files;
}

async function main(): Promise<number> {
  await rm(`${BASE_DIRECTORY}/${JOB_ID}`, { recursive: true, force: true });
  const storage = new FileSystemCheckpointStorage(BASE_DIRECTORY);
  const checkpointing = await prepareCheckpointing({ jobId: JOB_ID, storage, retained: 2 });
  const system = start();
  const uploaded = new Set<string>();
  const completed: CompletedCheckpoint[] = [];
  let restored: Extract<CoordinatorEvent, { type: 'state-restored' }> | null = null;

  console.log(`demo 1/2, incremental checkpoints and a task failure: ${TASKS} counting tasks, a checkpoint every 200 ms to ${BASE_DIRECTORY}/${JOB_ID}; one task crashes and every task is restored\n`);
  const coordinator = spawnCheckpointCoordinator(system, {
    jobId: JOB_ID,
    interval: 200,
    timeout: 5_000,
    tolerableFailures: 3,
    restartStrategy: { kind: 'exponential-delay', initialBackoff: 100, maxBackoff: 2_000 },
    ...checkpointing,
    tasks: Array.from({ length: TASKS }, (_, index) => operatorTask(system, `counter-${index}`, countingOperator(storage))),
    onEvent(event) {
      switch (event.type) {
        case 'checkpoint-completed': {
          const { checkpoint } = event;
          completed.push(checkpoint);
          let written = 0;
          let compacted = 0;
          for (const state of Object.values(checkpoint.taskStates)) {
            let taskWritten = 0;
            let taskSize = 0;
            for (const [path, size] of fileSizes(state)) {
              taskSize += size;
              if (!uploaded.has(path)) { uploaded.add(path); taskWritten += size; }
            }
            written += taskWritten;
            // An incremental task uploads only what changed, until it holds more than maxSegments segments and compacts.
            if (completed.length > 1 && taskSize > 0 && taskWritten >= taskSize * 0.9) compacted += 1;
          }
          const label = completed.length === 1 ? '  (first: the whole state)' : compacted > 0 ? `  (compaction: ${compacted} task(s) re-uploaded their whole state)` : '';
          console.log(`  checkpoint ${String(checkpoint.checkpointId).padStart(2)} completed in ${String(checkpoint.completionTimestamp - checkpoint.triggerTimestamp).padStart(3)} ms: written ${kib(written).padStart(9)}, referenced ${kib(checkpoint.stateSize).padStart(9)}${label}`);
          break;
        }
        case 'checkpoint-failed':
          if (event.checkpointId !== null) console.log(`  checkpoint ${event.checkpointId} ${event.reason}: ${event.message}`);
          break;
        case 'task-failed':
          console.log(`\n  !! ${event.taskId} failed: ${event.error}`);
          break;
        case 'task-restarted':
          console.log(`  -> ${event.taskId} restarted as attempt ${event.attemptId.slice(0, 8)}`);
          break;
        case 'state-restored':
          restored = event;
          console.log(`  -> every task restored to checkpoint ${event.checkpointId}\n`);
          break;
        case 'job-failed':
        case 'restore-failed':
        case 'storage-failure':
        case 'internal-error':
          console.log(`  !! ${event.type}: ${event.message}`);
          break;
        default:
          break;
      }
    },
  });

  let tasks: readonly RunningTask[] = await ask(coordinator, { type: 'GetTasks' });
  let driving = true;
  let sent = 0;
  const drive = async (): Promise<void> => {
    while (driving) {
      tasks = await ask(coordinator, { type: 'GetTasks' });
      for (let round = 0; round < EVENTS_PER_TASK_PER_ROUND; round += 1) {
        for (const task of tasks) {
          deliver(task.ref as TypedRef<TaskMessage<DemoMessage>>, { kind: 'event', sensor: Math.floor(Math.random() * SENSORS_PER_TASK), value: 1 + Math.floor(Math.random() * 9) });
          sent += 1;
        }
      }
      await new Promise((resolveTimer) => setTimeout(resolveTimer, 2));
    }
  };
  const driver = drive();
  const waitUntil = async (condition: () => boolean, what: string, limitMs = 10_000): Promise<void> => {
    const deadline = Date.now() + limitMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolveTimer) => setTimeout(resolveTimer, 20));
    }
  };

  await waitUntil(() => completed.length >= 4, 'four checkpoints');
  const victim = tasks[3] as RunningTask;
  deliver(victim.ref as TypedRef<TaskMessage<DemoMessage>>, { kind: 'crash' });
  await waitUntil(() => restored !== null, 'the restore');
  const restoredTo = (restored as unknown as { checkpointId: CheckpointId | null }).checkpointId;
  const checkpointsBeforeRestore = completed.length;
  await waitUntil(() => completed.length >= checkpointsBeforeRestore + 3, 'three checkpoints after the restore');
  driving = false;
  await driver;
  const final = await ask(coordinator, { type: 'TriggerCheckpointNow' });
  const stats = await ask(coordinator, { type: 'GetCheckpointStats' });
  await ask(coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.SUSPENDED });
  await checkpointing.discarder.whenIdle();
  stop(system);

  let ok = true;
  console.log('restore check (state each task got back == what it snapshotted for that checkpoint):');
  // Tasks restore concurrently; print them in task order.
  const byTask = [...restores].sort((a, b) => a.taskId.localeCompare(b.taskId, 'en', { numeric: true }));
  for (const restore of byTask) {
    const expected = snapshots.get(`${restore.taskId}@${restore.checkpointId}`);
    const same = expected !== undefined && expected.processed === restore.processed && JSON.stringify(sortKeys(expected.sensors)) === JSON.stringify(sortKeys(restore.sensors));
    ok &&= same && restore.checkpointId === restoredTo;
    console.log(`  ${restore.taskId.padEnd(10)} checkpoint ${restore.checkpointId}: processed=${String(restore.processed).padStart(6)} sensors=${Object.keys(restore.sensors).length} ${same ? 'matches' : 'DIFFERS'}`);
  }
  ok &&= restores.length === TASKS;

  console.log('\nfinal states (from the last checkpoint):');
  if (final.status !== 'completed') {
    console.log(`  final checkpoint failed: ${final.message}`);
    ok = false;
  } else {
    for (const [taskId, state] of Object.entries(final.checkpoint.taskStates)) {
      const processed = state.operatorState?.kind === 'inline' ? (state.operatorState.value as CounterState).processed : 0;
      const before = restores.find((restore) => restore.taskId === taskId)?.processed ?? 0;
      ok &&= processed > before;
      console.log(`  ${taskId.padEnd(10)} processed=${String(processed).padStart(6)} (restored at ${before}, carried on: ${processed > before ? 'yes' : 'NO'})`);
    }
  }

  const audit = await verifyCheckpoints({ jobId: asJobId(JOB_ID), storage });
  ok &&= audit.ok;
  console.log(`\nsummary: ${stats.counts.completed} checkpoints completed, ${stats.counts.failed} aborted, ${stats.counts.taskRestarts} task restart, ${stats.counts.restored} restore, ${sent} events sent`);
  console.log(`audit of ${audit.checkpointsChecked} retained checkpoints on disk: ${audit.filesChecked} files verified, ${audit.missing.length} missing, ${audit.corrupt.length} corrupt, ${audit.orphans.length} orphans`);
  console.log(`checkpoints kept (job SUSPENDED) in ${BASE_DIRECTORY}/${JOB_ID}`);
  console.log(`look next: npx nact-checkpoint report --dir ${relative(process.cwd(), BASE_DIRECTORY) || '.'} --job ${JOB_ID} --out report.html   (history, list, inspect <id>, verify: see --help)`);
  console.log(ok ? '\nrestore: verified' : '\nrestore: FAILED');
  return ok ? 0 : 1;
}

function sortKeys(record: Record<string, number>): [string, number][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
