import type { CompletedCheckpoint } from '../../../src/checkpoint/completed-checkpoint.js';
import type { JsonValue } from '../../../src/core/json.js';
import { CommittedOutput } from '../../../src/dataflow/committed-output.js';
import { fromArray } from '../../../src/dataflow/replayable-source.js';
import type { StreamOperator } from '../../../src/dataflow/stream-operator.js';
import { TransactionalSink } from '../../../src/dataflow/transactional-sink.js';
import type { DataflowDefinition } from '../../../src/jobmanager/dataflow-definition.js';
import type { DataflowKindOptions } from '../../../src/jobmanager/dataflow-kind.js';
import type { DataflowJobDefinition } from '../../../src/jobmanager/job-definition.js';
import { seededRandom } from '../../dataflow/support/word-count-job.js';
import { completed } from '../../integration/support/incremental-job-assertions.js';
import { tasksOf, type InProcessCluster, type SpecJobManager } from './in-process-cluster.js';

/*
 * A word count as a dataflow job defined by data: source `words` (its words in its config, replayable by offset) →
 * operator `counter` (keyed by word: it emits [word, how many times it saw the word]) → sink `committed` (a
 * transactional sink). The kinds are registered by name in every job manager of a spec's cluster; the sinks of all job
 * managers write to one CommittedOutput per job, the stand-in for an external transactional system.
 */

/** How long a spec waits for a checkpoint to complete, or for sinks to commit it (their notifications follow asynchronously). */
const COMMIT_DEADLINE_MS = 20_000;
/** The clock step that lets every source emit one batch. */
export const STEP_MS = 1;

/** One record of the source. */
export type WordRecord = { readonly word: string };
/** One record of the output: a word and how many times it had been counted (1, 2, 3, ...). */
export type WordCount = readonly [word: string, count: number];

/**
 * The committed output of one job, with a way to wait (with a deadline) until sinks have committed a checkpoint. Shared
 * by the job managers of a cluster, as an external database would be.
 */
export class WatchedCommittedOutput extends CommittedOutput<JsonValue> {
  private waiters: (() => void)[] = [];

  override commit(transactionId: string): ReturnType<CommittedOutput<JsonValue>['commit']> {
    const result = super.commit(transactionId);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
    return result;
  }

  /** Resolves once every sink task in `sinkTaskIds` has committed checkpoint `checkpointId` (or a later one). */
  whenCommittedThrough(sinkTaskIds: readonly string[], checkpointId: number): Promise<void> {
    const done = (): boolean => sinkTaskIds.every((taskId) => this.committedCheckpointOf(taskId) >= checkpointId);
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => {
        const through = sinkTaskIds.map((taskId) => `${taskId}: ${this.committedCheckpointOf(taskId)}`).join(', ');
        reject(new Error(`the sinks did not commit checkpoint ${checkpointId} within ${COMMIT_DEADLINE_MS} ms (committed through ${through})`));
      }, COMMIT_DEADLINE_MS);
      const check = (): void => {
        if (!done()) {
          this.waiters.push(check);
          return;
        }
        clearTimeout(deadline);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  /** The committed word counts, sorted by word and count (commit order differs between runs). */
  wordCounts(): WordCount[] {
    return sortWordCounts(this.records() as unknown as WordCount[]);
  }
}

/** The committed outputs of a cluster's jobs, by job id: what the `committed` sink kind writes to. */
export class CommittedOutputs {
  private readonly outputs = new Map<string, WatchedCommittedOutput>();

  of(jobId: string): WatchedCommittedOutput {
    let output = this.outputs.get(jobId);
    if (output === undefined) {
      output = new WatchedCommittedOutput();
      this.outputs.set(jobId, output);
    }
    return output;
  }
}

const counter = (): StreamOperator<WordRecord, WordCount, Record<string, number>> => {
  let seen: Record<string, number> = {};
  return {
    processRecord: (record, output) => {
      const count = (seen[record.word] ?? 0) + 1;
      seen = { ...seen, [record.word]: count };
      output.collect([record.word, count]);
    },
    snapshotState: () => seen,
    restoreState: (state) => { seen = { ...(state ?? {}) }; },
  };
};

/** The kinds of the word count, registered under the same names in every job manager of a spec. */
export function wordCountKinds(outputs: CommittedOutputs): DataflowKindOptions {
  return {
    sources: {
      words: (context) => {
        const words = (context.config as { readonly words: readonly string[] }).words;
        return fromArray(words.map((word): WordRecord => ({ word })))(context.subtask, context.parallelism);
      },
    },
    operators: { counter },
    sinks: { committed: (context) => new TransactionalSink<JsonValue>(outputs.of(context.jobId), context.taskId) },
    keySelectors: { word: (record) => (record as WordRecord).word },
  };
}

const VOCABULARY = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu'];

/** `count` words drawn from a small vocabulary, always the same for a seed. */
export function generateWords(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => VOCABULARY[Math.floor(random() * VOCABULARY.length)] as string);
}

/** Orders word counts by word, then count, so two runs' outputs compare record by record. */
export function sortWordCounts(records: readonly WordCount[]): WordCount[] {
  return [...records].sort(([a, m], [b, n]) => a.localeCompare(b) || m - n);
}

/** The oracle: what a failure-free run commits, sorted. For each word seen n times, (word, 1) up to (word, n). */
export function expectedWordCounts(words: readonly string[]): WordCount[] {
  const totals = new Map<string, number>();
  for (const word of words) totals.set(word, (totals.get(word) ?? 0) + 1);
  return sortWordCounts([...totals].flatMap(([word, total]) => Array.from({ length: total }, (_, index): WordCount => [word, index + 1])));
}

/** The word count's dataflow: 2 sources → 3 counters keyed by word (selector kind `word`) → 2 transactional sinks (rebalanced). */
export function wordCountDataflow(words: readonly string[], overrides: Partial<DataflowDefinition> = {}): DataflowDefinition {
  return {
    vertices: [
      { name: 'sink', sink: 'committed', parallelism: 2, inputs: [{ from: 'counter', partitioning: 'rebalance' }] },
      { name: 'counter', operator: 'counter', parallelism: 3, inputs: [{ from: 'words', partitioning: 'key-by', keySelector: 'word' }] },
      { name: 'words', source: 'words', parallelism: 2, config: { words: [...words] } },
    ],
    mode: 'exactly-once',
    pace: { recordsPerStep: 4, stepDelayMs: STEP_MS },
    ...overrides,
  };
}

/** A dataflow job of the cluster: checkpoints triggered by the spec only, restarts at once, storage in the cluster's directory. */
export function dataflowJob(cluster: InProcessCluster, jobId: string, dataflow: DataflowDefinition): DataflowJobDefinition {
  return {
    jobId,
    dataflow,
    checkpointing: { interval: 60_000, startScheduler: false, retained: 2, restartStrategy: { kind: 'fixed-delay', attempts: null, delay: 0 } },
    storage: { baseDirectory: cluster.checkpoints },
  };
}

/** The sink task ids of the word count's dataflow. */
export const SINK_TASKS = ['sink-0', 'sink-1'] as const;

/**
 * Lets every source of a job led by `member` emit one batch: waits until the coordinator deployed the tasks (its answer
 * to GetTasks queues behind its start), moves the clock one step, then waits until each source handled the step (a
 * probe queues behind it in the source's mailbox).
 */
export async function step(member: SpecJobManager, jobId: string): Promise<void> {
  const dataflow = member.manager.dataflowJobOf(jobId);
  if (dataflow === null) throw new Error(`job ${jobId} does not run as a dataflow on ${member.name}`);
  await tasksOf(member.manager, jobId);
  member.clock.advance(STEP_MS);
  await Promise.all(dataflow.sourceTaskIds.map((taskId) => dataflow.probe(taskId)));
}

/** Triggers a checkpoint of a job led by `member` and returns it completed (its barriers passed every record emitted before). */
export async function checkpoint(member: SpecJobManager, jobId: string): Promise<CompletedCheckpoint> {
  let deadline: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    deadline = setTimeout(() => reject(new Error(`a checkpoint of job ${jobId} on ${member.name} did not complete within ${COMMIT_DEADLINE_MS} ms: its barriers did not reach every task`)), COMMIT_DEADLINE_MS);
  });
  try {
    return completed(await Promise.race([member.manager.triggerCheckpoint(jobId), late]));
  } finally {
    clearTimeout(deadline);
  }
}

/** Whether a completed checkpoint of a job led by `member` covers all input of its sources. */
export function coversAllInput(member: SpecJobManager, jobId: string, checkpointed: CompletedCheckpoint): boolean {
  const dataflow = member.manager.dataflowJobOf(jobId);
  if (dataflow === null) throw new Error(`job ${jobId} does not run as a dataflow on ${member.name}`);
  return dataflow.coversAllInput(checkpointed);
}

/**
 * Runs a job led by `member` to the end of its input: a step, then a checkpoint, until a checkpoint covers all input;
 * then waits until the sinks committed it. Returns that checkpoint's id.
 */
export async function runToTheEnd(member: SpecJobManager, jobId: string, output: WatchedCommittedOutput, maxSteps = 500): Promise<number> {
  for (let steps = 0; steps < maxSteps; steps += 1) {
    await step(member, jobId);
    const last = await checkpoint(member, jobId);
    if (coversAllInput(member, jobId, last)) {
      await output.whenCommittedThrough(SINK_TASKS, last.checkpointId);
      return last.checkpointId;
    }
  }
  throw new Error(`job ${jobId} did not read all its input within ${maxSteps} steps on ${member.name}`);
}
