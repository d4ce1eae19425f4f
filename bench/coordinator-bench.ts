import { spawn, start, stop, type Ref } from 'nact';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ask, tell, typedRef, type TypedRef } from '../src/actor/typed-ref.js';
import type { CheckpointCoordinatorRef } from '../src/coordinator/checkpoint-coordinator.js';
import { spawnCheckpointCoordinator } from '../src/coordinator/spawn-checkpoint-coordinator.js';
import { JobStatus } from '../src/core/job-status.js';
import type { CheckpointedOperator } from '../src/task/checkpointed-operator.js';
import { operatorTask } from '../src/task/spawn-task.js';

/** The result of {@link benchCoordinator} for one number of tasks. */
export interface CoordinatorBenchResult {
  readonly tasks: number;
  /** Median ms of one checkpoint round: TriggerCheckpointNow → N triggers → N acks → completed reply. */
  readonly coordinatorMs: number;
  /** Median ms of the raw nact floor: N messages to N actors, each answering with one message to a collector. */
  readonly rawNactMs: number;
  /** coordinatorMs / rawNactMs. */
  readonly ratio: number;
  /** Heap an in-flight checkpoint (all but one task acknowledged) holds, per task, its fixed cost included. */
  readonly heapBytesPerTask: number;
}

const WARM_UP_ROUNDS = 3;

/** Measured rounds for each side: many for small jobs (noisy, cheap), fewer for large ones. */
const measuredRounds = (tasks: number): number => Math.max(9, Math.min(41, Math.floor(100_000 / tasks) | 1));

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Lets every queued nact message (each costs a setImmediate) run; no timers involved. */
async function drain(turns = 8): Promise<void> {
  for (let turn = 0; turn < turns; turn += 1) await nextTurn();
}

async function until(condition: () => boolean, what: string, maxTurns = 1_000_000): Promise<void> {
  for (let turn = 0; !condition(); turn += 1) {
    if (turn >= maxTurns) throw new Error(`coordinator bench: gave up waiting for ${what}`);
    await nextTurn();
  }
}

/**
 * A forced full GC when one can be had: `global.gc` under --expose-gc, otherwise the flag is switched on at
 * runtime and a fresh context hands out its `gc`. Null when neither works (heap deltas are then noisier).
 */
function findGc(): (() => void) | null {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- raw nact floor

interface RawNact {
  /** One round: N messages out, N answers into the collector. Resolves with the elapsed ms. */
  round(): Promise<number>;
}

function spawnRawNact(system: Ref<unknown>, tasks: number): RawNact {
  let received = 0;
  let onAllReceived: (() => void) | null = null;
  const collector = typedRef<number>(
    spawn(system, (count: number) => {
      received += 1;
      if (received === tasks && onAllReceived !== null) onAllReceived();
      return count + 1;
    }, 'raw-collector', { initialState: 0 }),
  );
  const workers: TypedRef<{ readonly round: number }>[] = [];
  for (let index = 0; index < tasks; index += 1) {
    workers.push(typedRef(spawn(system, (state: number, message: { readonly round: number }) => {
      tell(collector, message.round);
      return state;
    }, `raw-${index}`, { initialState: 0 })));
  }
  let rounds = 0;
  return {
    async round() {
      rounds += 1;
      received = 0;
      const done = new Promise<void>((resolve) => { onAllReceived = resolve; });
      const message = { round: rounds };
      const startedAt = performance.now();
      for (const worker of workers) tell(worker, message);
      await done;
      const elapsed = performance.now() - startedAt;
      onAllReceived = null;
      return elapsed;
    },
  };
}

// ---------------------------------------------------------------- coordinator round

interface CoordinatorJob {
  readonly coordinator: CheckpointCoordinatorRef;
  /** One checkpoint round, then waits until every task handled its completion notification. Resolves with the round's ms. */
  round(): Promise<number>;
  /** Waits until the coordinator and every task have handled everything sent so far. */
  settle(): Promise<void>;
  /**
   * Triggers a checkpoint that every task but one acknowledges (task 0's snapshot waits) and resolves once the
   * coordinator holds those acknowledgements; the function it resolves with lets task 0 finish and waits for completion.
   */
  holdCheckpointInFlight(): Promise<() => Promise<void>>;
}

async function spawnCoordinatorJob(system: Ref<unknown>, tasks: number, jobId: string): Promise<CoordinatorJob> {
  let snapshotsTaken = 0;
  let notificationsSeen = 0;
  /** While set, task 0's snapshot waits for it: the checkpoint stays in flight with N-1 acknowledgements. */
  let straggler: Promise<void> | null = null;
  const specs = [];
  for (let index = 0; index < tasks; index += 1) {
    const isStraggler = index === 0;
    specs.push(operatorTask(system, `task-${index}`, (): CheckpointedOperator<number> => {
      let value = index;
      return {
        snapshotState: () => {
          value += 1;
          snapshotsTaken += 1;
          if (isStraggler && straggler !== null) return straggler.then(() => value);
          return value;
        },
        restoreState: (state) => { value = state ?? index; },
        notifyCheckpointComplete: () => { notificationsSeen += 1; },
      };
    }));
  }
  const coordinator = spawnCheckpointCoordinator(system, { jobId, interval: 3_600_000, startScheduler: false, retained: 1, tasks: specs });
  const running = await ask(coordinator, { type: 'GetTasks' });
  if (running.length !== tasks || running.some((task) => !task.running)) throw new Error(`coordinator bench: ${running.length} tasks deployed, expected ${tasks} running`);

  let completedRounds = 0;
  const checkpoint = async (): Promise<void> => {
    const outcome = await ask(coordinator, { type: 'TriggerCheckpointNow' }, 600_000);
    if (outcome.status !== 'completed') throw new Error(`coordinator bench: checkpoint failed: ${outcome.message}`);
    completedRounds += 1;
  };
  const settle = async (): Promise<void> => {
    await ask(coordinator, { type: 'GetCheckpointStats' });
    await until(() => notificationsSeen === completedRounds * tasks, 'completion notifications');
    await drain();
  };

  return {
    coordinator,
    settle,
    async round() {
      const startedAt = performance.now();
      await checkpoint();
      const elapsed = performance.now() - startedAt;
      await settle();
      return elapsed;
    },
    async holdCheckpointInFlight() {
      let release!: () => void;
      straggler = new Promise<void>((resolve) => { release = resolve; });
      const before = snapshotsTaken;
      const completion = checkpoint();
      await until(() => snapshotsTaken - before === tasks, 'the snapshots of the round');
      await nextTurn();
      // FIFO mailbox: the reply comes after the N-1 acknowledgements sent before it were handled.
      await ask(coordinator, { type: 'GetCheckpointStats' });
      return async () => {
        release();
        straggler = null;
        await completion;
        await settle();
      };
    },
  };
}

/** In-flight tasks the heap estimate spreads over at least: heap readings wobble by ~0.2 MB, ~20 B per task at 10,000. */
const HEAP_SAMPLE_TASKS = 10_000;
const HEAP_SAMPLES = 5;

/**
 * Heap held by in-flight checkpoints, per task: `jobs` already-warm jobs (enough that together they have at least
 * {@link HEAP_SAMPLE_TASKS} tasks) each hold one checkpoint with all acknowledgements but one; the heap after a full
 * GC is compared with the heap after a full GC while idle (each job then retains its one completed checkpoint). This
 * includes each checkpoint's fixed cost, spread over its tasks. Median of {@link HEAP_SAMPLES} samples.
 */
async function inFlightHeapBytesPerTask(jobs: readonly CoordinatorJob[], tasks: number): Promise<number> {
  const gc = findGc();
  const heapAfterGc = (): number => {
    // Twice: the second collection also finishes sweeping what the first one freed, so heapUsed is exact.
    gc?.();
    gc?.();
    return process.memoryUsage().heapUsed;
  };
  const samples: number[] = [];
  for (let sample = 0; sample < (gc === null ? 3 * HEAP_SAMPLES : HEAP_SAMPLES); sample += 1) {
    for (const job of jobs) await job.settle();
    const idle = heapAfterGc();
    const finishers: (() => Promise<void>)[] = [];
    for (const job of jobs) finishers.push(await job.holdCheckpointInFlight());
    const inFlight = heapAfterGc();
    for (const finish of finishers) await finish();
    samples.push((inFlight - idle) / (jobs.length * tasks));
  }
  return Math.max(0, median(samples));
}

// ---------------------------------------------------------------- the bench

/**
 * Compares one checkpoint round of a coordinator over `tasks` operator tasks (trigger → all acks → completed)
 * with the raw nact floor for the same fan-out (N messages out, N answers into one actor), in the same process.
 * Both sides are warmed up, then measured in interleaved rounds; the medians are reported. Also estimates the
 * heap one in-flight checkpoint holds per task.
 */
export async function benchCoordinator(tasks: number): Promise<{ tasks: number; coordinatorMs: number; rawNactMs: number; ratio: number; heapBytesPerTask: number }> {
  if (!Number.isSafeInteger(tasks) || tasks < 1) throw new RangeError(`benchCoordinator: tasks must be a positive integer, got ${tasks}`);
  const rawSystem = start();
  const jobSystem = start();
  try {
    const raw = spawnRawNact(rawSystem, tasks);
    const job = await spawnCoordinatorJob(jobSystem, tasks, 'coordinator-bench-0');
    for (let round = 0; round < WARM_UP_ROUNDS; round += 1) {
      await raw.round();
      await drain();
      await job.round();
    }
    const rawTimes: number[] = [];
    const coordinatorTimes: number[] = [];
    const rounds = measuredRounds(tasks);
    for (let round = 0; round < rounds; round += 1) {
      // Alternate which side goes first, so neither always runs right after the other's garbage.
      if (round % 2 === 0) {
        rawTimes.push(await raw.round());
        await drain();
        coordinatorTimes.push(await job.round());
      } else {
        coordinatorTimes.push(await job.round());
        rawTimes.push(await raw.round());
        await drain();
      }
    }

    // More jobs of the same size for the heap estimate, so that it spans at least HEAP_SAMPLE_TASKS tasks.
    const jobs = [job];
    while (jobs.length * tasks < HEAP_SAMPLE_TASKS) {
      const extra = await spawnCoordinatorJob(jobSystem, tasks, `coordinator-bench-${jobs.length}`);
      for (let round = 0; round < WARM_UP_ROUNDS; round += 1) await extra.round();
      jobs.push(extra);
    }
    const heapBytesPerTask = await inFlightHeapBytesPerTask(jobs, tasks);
    for (const each of jobs) await ask(each.coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.CANCELED });

    const coordinatorMs = median(coordinatorTimes);
    const rawNactMs = median(rawTimes);
    return { tasks, coordinatorMs, rawNactMs, ratio: coordinatorMs / rawNactMs, heapBytesPerTask };
  } finally {
    stop(jobSystem);
    stop(rawSystem);
  }
}

/** `ratio coordinator/raw-nact tasks=<N> <ratio>`, then `suffix`, then the absolute numbers behind the ratio. */
export function formatCoordinatorResult(result: CoordinatorBenchResult, suffix = ''): string {
  return `ratio coordinator/raw-nact tasks=${result.tasks} ${result.ratio.toFixed(2)}${suffix}`
    + `  (coordinator ${result.coordinatorMs.toFixed(2)} ms, raw nact ${result.rawNactMs.toFixed(2)} ms, in-flight heap ${Math.round(result.heapBytesPerTask)} B/task)`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = process.argv.slice(2).map(Number);
  for (const tasks of sizes.length > 0 ? sizes : [100, 1_000, 10_000, 100_000]) console.log(formatCoordinatorResult(await benchCoordinator(tasks)));
}
