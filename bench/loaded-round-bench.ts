import { start, stop } from 'nact';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ask, type TypedRef } from '../src/actor/typed-ref.js';
import { spawnCheckpointCoordinator } from '../src/coordinator/spawn-checkpoint-coordinator.js';
import { JobStatus } from '../src/core/job-status.js';
import type { CheckpointedOperator } from '../src/task/checkpointed-operator.js';
import { deliver, operatorTask } from '../src/task/spawn-task.js';
import type { TaskMessage } from '../src/task/task-message.js';
import { QUICK_BENCH } from './quick-mode.js';

/** The result of {@link benchLoadedRound}. */
export interface LoadedRoundResult {
  readonly tasks: number;
  /** Messages of its own each task has queued when the checkpoint is triggered. */
  readonly backlog: number;
  /** Median ms of one checkpoint round (TriggerCheckpointNow → completed reply) while every task has its backlog. */
  readonly loadedMs: number;
  /** Median ms of the same round when the tasks have nothing queued, measured in the same run. */
  readonly idleMs: number;
  /** loadedMs / idleMs. */
  readonly ratio: number;
  /** Median, over the loaded rounds, of the share of its backlog a task had handled when it took its snapshot. */
  readonly backlogShareBeforeSnapshot: number;
}

const WARM_UP_ROUNDS = 2;
const MEASURED_ROUNDS = QUICK_BENCH ? 3 : 9;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(condition: () => boolean, what: string, maxTurns = 10_000_000): Promise<void> {
  for (let turn = 0; !condition(); turn += 1) {
    if (turn >= maxTurns) throw new Error(`loaded round bench: gave up waiting for ${what}`);
    await nextTurn();
  }
}

/**
 * One checkpoint round over `tasks` operator tasks while each has `backlog` messages of its own queued (each message
 * costs the operator a counter increment), against the same round with nothing queued, in the same run and on the same
 * job; rounds alternate. Without priority for protocol messages, a loaded round waits until every task has worked
 * through its whole backlog; with it, the trigger reaches each task before its next message.
 */
export async function benchLoadedRound(tasks = QUICK_BENCH ? 1_000 : 10_000, backlog = 50): Promise<LoadedRoundResult> {
  const system = start();
  try {
    let handled = 0;
    let notificationsSeen = 0;
    /** Per snapshot, how many messages the task had handled since the round's backlog was queued. */
    const handledAtSnapshot: number[] = [];
    const handledBefore = new Int32Array(tasks);
    const handledCount = new Int32Array(tasks);
    const specs = [];
    for (let index = 0; index < tasks; index += 1) {
      specs.push(operatorTask(system, `task-${index}`, (): CheckpointedOperator<number, 1> => {
        let count = 0;
        return {
          snapshotState: () => {
            handledAtSnapshot.push(handledCount[index] as number - (handledBefore[index] as number));
            return count;
          },
          restoreState: (state) => { count = state ?? 0; },
          notifyCheckpointComplete: () => { notificationsSeen += 1; },
          onMessage: (amount) => {
            count += amount;
            handled += 1;
            handledCount[index] = (handledCount[index] as number) + 1;
          },
        };
      }));
    }
    const coordinator = spawnCheckpointCoordinator(system, { jobId: 'loaded-round-bench', interval: 3_600_000, startScheduler: false, retained: 1, tasks: specs });
    const running = await ask(coordinator, { type: 'GetTasks' });
    if (running.length !== tasks || running.some((task) => !task.running)) throw new Error(`loaded round bench: ${running.length} tasks deployed, expected ${tasks} running`);
    const refs = running.map((task) => task.ref as TypedRef<TaskMessage<1>>);

    let sent = 0;
    let completedRounds = 0;
    const round = async (loaded: boolean): Promise<number> => {
      if (loaded) {
        handledBefore.set(handledCount);
        for (let message = 0; message < backlog; message += 1) for (const ref of refs) deliver(ref, 1);
        sent += backlog * tasks;
      }
      const startedAt = performance.now();
      const outcome = await ask(coordinator, { type: 'TriggerCheckpointNow' }, 600_000);
      const elapsed = performance.now() - startedAt;
      if (outcome.status !== 'completed') throw new Error(`loaded round bench: checkpoint failed: ${outcome.message}`);
      completedRounds += 1;
      // Untimed: the backlog drains and every task hears of the completion before the next round.
      await until(() => handled === sent && notificationsSeen === completedRounds * tasks, 'the backlog and the completion notifications');
      return elapsed;
    };

    for (let warmUp = 0; warmUp < WARM_UP_ROUNDS; warmUp += 1) {
      await round(false);
      await round(true);
    }
    handledAtSnapshot.length = 0;
    const idleTimes: number[] = [];
    const loadedTimes: number[] = [];
    const loadedShares: number[] = [];
    for (let measured = 0; measured < MEASURED_ROUNDS; measured += 1) {
      // Alternate which goes first, so neither always runs right after the other's garbage.
      const order = measured % 2 === 0 ? [false, true] : [true, false];
      for (const loaded of order) {
        handledAtSnapshot.length = 0;
        const elapsed = await round(loaded);
        if (loaded) {
          loadedTimes.push(elapsed);
          loadedShares.push(median(handledAtSnapshot) / backlog);
        } else {
          idleTimes.push(elapsed);
        }
      }
    }
    await ask(coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.CANCELED });
    const loadedMs = median(loadedTimes);
    const idleMs = median(idleTimes);
    return { tasks, backlog, loadedMs, idleMs, ratio: loadedMs / idleMs, backlogShareBeforeSnapshot: median(loadedShares) };
  } finally {
    stop(system);
  }
}

/** `ratio loaded/idle round tasks=<N> <ratio>`, then `suffix`, then the numbers behind the ratio. */
export function formatLoadedRoundResult(result: LoadedRoundResult, suffix = ''): string {
  return `ratio loaded/idle round tasks=${result.tasks} ${result.ratio.toFixed(2)}${suffix}`
    + `  (loaded ${result.loadedMs.toFixed(1)} ms with ${result.backlog} messages queued per task, idle ${result.idleMs.toFixed(1)} ms;`
    + ` snapshots taken after ${Math.round(result.backlogShareBeforeSnapshot * 100)}% of the backlog)`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [tasks, backlog] = process.argv.slice(2).map(Number);
  console.log(formatLoadedRoundResult(await benchLoadedRound(tasks, backlog)));
}
