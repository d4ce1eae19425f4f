import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { start, stop } from 'nact';
import { ask } from '../src/actor/typed-ref.js';
import { spawnCheckpointCoordinator } from '../src/coordinator/spawn-checkpoint-coordinator.js';
import { JobStatus } from '../src/core/job-status.js';
import { CommittedOutput } from '../src/dataflow/committed-output.js';
import { createDataflowJob } from '../src/dataflow/dataflow-job.js';
import { expectedWordCounts, generateLines, wordCountGraph, type WordCount } from '../examples/word-count/word-count-job.js';

const LINES = 320_000;
const INTERVAL_MS = 100;
const ROUNDS = 5;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

interface RunResult {
  readonly recordsPerSecond: number;
  readonly checkpoints: number;
}

/** Runs the word count flat out once and measures words per second until the sink has taken in every record. */
async function runOnce(lines: readonly string[], words: number, checkpointing: boolean): Promise<RunResult> {
  collectGarbage();
  const system = start();
  const output = new CommittedOutput<WordCount>();
  const job = createDataflowJob(system, wordCountGraph(lines, output), { pace: { recordsPerStep: 50, stepDelayMs: 0 } });
  let checkpoints = 0;
  try {
    const started = performance.now();
    const coordinator = spawnCheckpointCoordinator(system, {
      jobId: 'word-count-bench',
      interval: INTERVAL_MS,
      startScheduler: checkpointing,
      ...job.coordinatorOptions((event) => {
        if (event.type === 'checkpoint-completed') checkpoints += 1;
        if (event.type === 'task-failed' || event.type === 'job-failed') throw new Error(`the benchmark job failed: ${JSON.stringify(event)}`);
      }),
    });
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (job.metrics.recordsInOf('sink') >= words) {
          clearInterval(poll);
          resolve();
        } else if (performance.now() - started > 60_000) {
          clearInterval(poll);
          reject(new Error(`the benchmark job took in ${job.metrics.recordsInOf('sink')} of ${words} records in 60 s`));
        }
      }, 1);
    });
    const seconds = (performance.now() - started) / 1000;
    await ask(coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.CANCELED });
    return { recordsPerSecond: words / seconds, checkpoints };
  } finally {
    stop(system);
  }
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/**
 * Throughput of the word-count job (2 sources → 4 tokenizers → 4 keyed counters → 1 transactional sink, sources
 * flat out, words counted at the sink) with exactly-once checkpoints every 100 ms on the system clock, versus the
 * same job with checkpointing off (`startScheduler: false`), same input (about 1.9 million words, about 1 s a run). After a
 * warm-up of each, on and off runs alternate in ABBA order, each starting from a collected heap; each side's median
 * counts, so a burst of load from other processes moves one sample, not the result. `ratio` = on / off (target >= 0.90).
 */
export async function benchDataflowRatio(): Promise<{ ratio: number; recordsPerSecondOn: number; recordsPerSecondOff: number }> {
  const lines = generateLines(LINES, 11);
  const words = expectedWordCounts(lines).length;
  await runOnce(lines, words, true);
  await runOnce(lines, words, false);
  const on: number[] = [];
  const off: number[] = [];
  const measureOn = async (): Promise<void> => {
    const run = await runOnce(lines, words, true);
    if (run.checkpoints === 0) throw new Error('the checkpointed run completed no checkpoint: it measured nothing');
    on.push(run.recordsPerSecond);
  };
  const measureOff = async (): Promise<void> => {
    off.push((await runOnce(lines, words, false)).recordsPerSecond);
  };
  for (let round = 0; round < ROUNDS; round += 1) {
    if (round % 2 === 0) {
      await measureOn();
      await measureOff();
    } else {
      await measureOff();
      await measureOn();
    }
  }
  const recordsPerSecondOn = median(on);
  const recordsPerSecondOff = median(off);
  return { ratio: recordsPerSecondOn / recordsPerSecondOff, recordsPerSecondOn, recordsPerSecondOff };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { ratio, recordsPerSecondOn, recordsPerSecondOff } = await benchDataflowRatio();
  console.log(`records/s with checkpoints every ${INTERVAL_MS} ms: ${Math.round(recordsPerSecondOn)}, without: ${Math.round(recordsPerSecondOff)}`);
  console.log(`ratio checkpointing/off interval=${INTERVAL_MS}ms ${ratio.toFixed(3)}`);
}
