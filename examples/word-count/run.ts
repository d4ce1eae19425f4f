/**
 * The word-count dataflow (2 sources → 4 tokenizers → 4 keyed counters → 1 transactional sink) checkpointed every
 * 50 ms into ./checkpoints, with seeded task failures injected while it runs. Prints every checkpoint, failure and
 * restore, then checks the committed output against a word count computed directly from the input.
 *
 *   npx tsx examples/word-count/run.ts [seed]
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { start, stop } from 'nact';
import { ask } from '../../src/actor/typed-ref.js';
import { spawnCheckpointCoordinator } from '../../src/coordinator/spawn-checkpoint-coordinator.js';
import { JobStatus } from '../../src/core/job-status.js';
import { CommittedOutput } from '../../src/dataflow/committed-output.js';
import { createDataflowJob } from '../../src/dataflow/dataflow-job.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { prepareCheckpointing } from '../../src/recovery/prepare-checkpointing.js';
import { expectedWordCounts, generateLines, seededRandom, sortWordCounts, wordCountGraph, type WordCount } from './word-count-job.js';

const JOB_ID = 'word-count';
const BASE = './checkpoints';
const FAILURES = 6;
const DEADLINE_MS = 25_000;

const seed = Number(process.argv[2] ?? 1);
const lines = generateLines(4_000, seed);
const started = Date.now();
const at = (): string => `${String(Date.now() - started).padStart(5)} ms`;

console.log(`demo 2/2, exactly-once dataflow under failures: word count (2 sources -> 4 tokenizers -> 4 counters -> 1 transactional sink), a checkpoint every 50 ms to ${join(BASE, JOB_ID)}, ${FAILURES} injected task failures\n`);
// A fresh run: the committed output below starts empty, so nothing of an earlier run may be restored.
await rm(join(BASE, JOB_ID), { recursive: true, force: true });
const storage = new FileSystemCheckpointStorage(BASE);
// The durable set-up: subsumed checkpoints' chk-* directories are deleted, ids survive restarts, orphans are swept.
const checkpointing = await prepareCheckpointing({ jobId: JOB_ID, storage, retained: 2 });
const system = start();
const output = new CommittedOutput<WordCount>();
const job = createDataflowJob(system, wordCountGraph(lines, output), { pace: { recordsPerStep: 4, stepDelayMs: 1 } });
const counts = { checkpoints: 0, failures: 0, restores: 0 };
let finalCheckpoint = 0;

const coordinator = spawnCheckpointCoordinator(system, {
  jobId: JOB_ID,
  interval: 50,
  timeout: 5_000,
  ...checkpointing,
  // Flink's default restart strategy with a short backoff, so the demo's injected failures cost little time.
  restartStrategy: { kind: 'exponential-delay', initialBackoff: 20, maxBackoff: 200 },
  ...job.coordinatorOptions((event) => {
    switch (event.type) {
      case 'checkpoint-completed': {
        const { checkpoint } = event;
        counts.checkpoints += 1;
        const covers = job.coversAllInput(checkpoint);
        if (covers && finalCheckpoint === 0) finalCheckpoint = checkpoint.checkpointId;
        console.log(`${at()}  checkpoint ${checkpoint.checkpointId} completed in ${checkpoint.completionTimestamp - checkpoint.triggerTimestamp} ms, ${checkpoint.stateSize} bytes -> ${checkpoint.externalPointer}${covers ? '  (covers the whole input)' : ''}`);
        break;
      }
      case 'checkpoint-failed':
        if (event.checkpointId !== null) console.log(`${at()}  checkpoint ${event.checkpointId} aborted (${event.reason})`);
        break;
      case 'task-failed':
        counts.failures += 1;
        console.log(`${at()}  FAILURE  ${event.taskId}: ${event.error}`);
        break;
      case 'task-restarted':
        console.log(`${at()}  restarted ${event.taskId} as a new attempt`);
        break;
      case 'state-restored':
        counts.restores += 1;
        console.log(`${at()}  restored all ${event.tasks} tasks to checkpoint ${event.checkpointId ?? '(none: from the beginning)'}`);
        break;
      case 'job-failed':
      case 'restore-failed':
      case 'storage-failure':
      case 'internal-error':
        console.log(`${at()}  ${event.type}: ${event.message}`);
        break;
    }
  }),
});

// Seeded failure injector: a random task crashes every 40-120 ms until FAILURES failures happened.
const random = seededRandom(seed);
const injectFailures = (): void => {
  if (counts.failures >= FAILURES || finalCheckpoint > 0) return;
  const victim = job.graph.taskIds[Math.floor(random() * job.graph.taskIds.length)] as string;
  job.crashTask(victim, `injected failure #${counts.failures + 1}`);
  setTimeout(injectFailures, 40 + random() * 80);
};
setTimeout(injectFailures, 40 + random() * 80);

const committed = await new Promise<boolean>((resolve) => {
  const poll = setInterval(() => {
    const done = finalCheckpoint > 0 && output.committedCheckpointOf('sink-0') >= finalCheckpoint;
    if (done || Date.now() - started > DEADLINE_MS) {
      clearInterval(poll);
      resolve(done);
    }
  }, 5);
});
await ask(coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.FINISHED });
stop(system);
// A FINISHED job discards its checkpoints; wait for the deletions, so the count below is what stays on disk.
await checkpointing.discarder.whenIdle();

const metadata = (await readdir(join(BASE, JOB_ID)).catch(() => [])).filter((name) => name.startsWith('chk-')).length;
const got = sortWordCounts(output.records());
const expected = expectedWordCounts(lines);
const key = (record: WordCount): string => `${record[0]}:${record[1]}`;
const gotKeys = new Set(got.map(key));
const missing = expected.filter((record) => !gotKeys.has(key(record))).length;
const duplicates = got.length - gotKeys.size;
const stats = output.stats();
console.log(`${at()}  committed ${got.length} records in ${stats.committedTransactions} transactions (${stats.repeatedCommits} repeated commits after restores were no-ops); ${metadata} checkpoint directories left under ${join(BASE, JOB_ID)} (the job FINISHED)`);
console.log(`look next: npx nact-checkpoint report --dir ${BASE} --job ${JOB_ID} --out report.html   (or: history --dir ${BASE} --job ${JOB_ID})`);
const summary = `${expected.length} words, ${counts.checkpoints} checkpoints, ${counts.failures} failures, ${counts.restores} restores`;
if (committed && missing === 0 && duplicates === 0 && got.length === expected.length) {
  console.log(`exactly-once: verified (${summary})`);
  process.exit(0);
}
console.log(`exactly-once: NOT verified (${summary}; ${committed ? '' : 'the whole input was not committed in time; '}${missing} missing, ${duplicates} duplicated)`);
process.exit(1);
