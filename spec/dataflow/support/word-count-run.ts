import { start, stop } from 'nact';
import { ManualClock } from '../../../src/testing/index.js';
import { ask } from '../../../src/actor/typed-ref.js';
import type { CoordinatorEvent } from '../../../src/coordinator/coordinator-event.js';
import { spawnCheckpointCoordinator } from '../../../src/coordinator/spawn-checkpoint-coordinator.js';
import { JobStatus } from '../../../src/core/job-status.js';
import type { CheckpointingMode } from '../../../src/dataflow/checkpointing-mode.js';
import { CommittedOutput } from '../../../src/dataflow/committed-output.js';
import { createDataflowJob } from '../../../src/dataflow/dataflow-job.js';
import { seededRandom, sortWordCounts, wordCountGraph, type WordCount } from './word-count-job.js';

/** How one word-count run goes. */
export interface WordCountRunOptions {
  readonly lines: readonly string[];
  readonly mode: CheckpointingMode;
  /** Seeds the failure injector: which task dies, when, and how far into the message flow. */
  readonly seed: number;
  /** Task failures to cause (at least); 0 runs without failures. */
  readonly failures: number;
  /** Chance per step that the injector strikes while it still owes failures. */
  readonly failureChance?: number;
  /**
   * How the coordinator is given the job: `coordinatorOptions(listener)` (the default), or only the job's tasks with
   * the spec's own `onEvent`, as a user who composes options by hand would.
   */
  readonly wiring?: 'coordinator-options' | 'tasks-only';
}

/** What a word-count run produced. */
export interface WordCountRunResult {
  /** The committed output, sorted. */
  readonly output: readonly WordCount[];
  readonly failures: number;
  readonly restores: number;
  readonly completedCheckpoints: number;
  readonly steps: number;
  readonly repeatedCommits: number;
  /** Checkpoints aborted after their barriers were on the way (by a failure, mostly). */
  readonly abortedCheckpoints: number;
  /** Channel messages of an older epoch dropped after a restore. */
  readonly staleMessagesDropped: number;
}

const CHECKPOINT_INTERVAL = 4;
const MAX_STEPS = 5_000;
const SETTLE_EVERY = 6;

/**
 * Runs the word-count job (2 sources → 4 tokenizers → 4 keyed counters → 1 transactional sink) under the real
 * coordinator, on a manual clock: each 1 ms step lets every source emit one batch and a checkpoint is triggered every
 * 4 steps. Between steps the flow runs only a random number of mailbox hops, so steps overlap; every few steps the run
 * waits, through ask-based mailbox barriers, until the job is quiet. A seeded injector crashes a random task at a
 * random point of the message flow until it caused `failures` failures. The run ends when a completed checkpoint covers the whole input and
 * the sink has committed it.
 */
export async function runWordCount(options: WordCountRunOptions): Promise<WordCountRunResult> {
  const system = start();
  const clock = new ManualClock(0);
  const output = new CommittedOutput<WordCount>();
  const events: CoordinatorEvent[] = [];
  const job = createDataflowJob(system, wordCountGraph(options.lines, output), { mode: options.mode, clock, pace: { recordsPerStep: 3, stepDelayMs: 1 } });
  let finalCheckpoint = 0;
  const listener = (event: CoordinatorEvent): void => {
    events.push(event);
    if (event.type === 'checkpoint-completed' && finalCheckpoint === 0 && job.coversAllInput(event.checkpoint)) finalCheckpoint = event.checkpoint.checkpointId;
  };
  const coordinator = spawnCheckpointCoordinator(system, {
    jobId: 'word-count',
    interval: CHECKPOINT_INTERVAL,
    timeout: 50 * CHECKPOINT_INTERVAL,
    clock,
    // Restart at once: this spec is about what a restart restores, not about when it happens.
    restartStrategy: { kind: 'fixed-delay', attempts: Number.POSITIVE_INFINITY, delay: 0 },
    ...(options.wiring === 'tasks-only' ? { tasks: job.tasks, onEvent: listener } : job.coordinatorOptions(listener)),
  });
  const count = (type: CoordinatorEvent['type']): number => events.filter((event) => event.type === type).length;

  /** Mailbox barrier over the whole job: query the coordinator and probe every task until nothing moves for two rounds. */
  const settle = async (): Promise<void> => {
    let previous = '';
    for (let round = 0, stable = 0; round < 1_000; round += 1) {
      const stats = await ask(coordinator, { type: 'GetCheckpointStats' });
      await job.probeAll();
      const fingerprint = `${job.metrics.handledMessages}|${JSON.stringify(stats.counts)}|${events.length}`;
      stable = fingerprint === previous ? stable + 1 : 0;
      if (stable >= 2) return;
      previous = fingerprint;
    }
    throw new Error('the word-count job did not go quiet within 1,000 barrier rounds');
  };

  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const chance = options.failureChance ?? 0.15;
  try {
    await settle();
    let steps = 0;
    for (; steps < MAX_STEPS; steps += 1) {
      const done = finalCheckpoint > 0 && output.committedCheckpointOf('sink-0') >= finalCheckpoint;
      if (done && count('task-failed') >= options.failures) break;
      clock.advance(1);
      // Let the flow run only part of the way: records, barriers and acknowledgements of consecutive steps overlap.
      for (let hops = Math.floor(random() * 4); hops > 0; hops -= 1) await job.probe(pick(job.graph.taskIds));
      if (count('task-failed') < options.failures && random() < chance) {
        const victim = pick(job.graph.taskIds);
        for (let hops = Math.floor(random() * 8); hops > 0; hops -= 1) await job.probe(pick(job.graph.taskIds));
        job.crashTask(victim, `seed ${options.seed}, step ${steps}`);
      }
      if (steps % SETTLE_EVERY === 0 || done) await settle();
    }
    if (steps === MAX_STEPS) throw new Error(`seed ${options.seed}: the job did not commit its whole input within ${MAX_STEPS} steps (${count('task-failed')} failures, ${count('checkpoint-completed')} checkpoints)`);
    await ask(coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.FINISHED });
    return {
      output: sortWordCounts(output.records()),
      failures: count('task-failed'),
      restores: count('state-restored'),
      completedCheckpoints: count('checkpoint-completed'),
      steps,
      repeatedCommits: output.stats().repeatedCommits,
      abortedCheckpoints: events.filter((event) => event.type === 'checkpoint-failed' && event.checkpointId !== null).length,
      staleMessagesDropped: job.metrics.staleMessagesDropped,
    };
  } finally {
    stop(system);
  }
}
