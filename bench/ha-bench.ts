import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { JobStatus } from '../src/core/job-status.js';
import { createHighAvailabilityServices, type HighAvailabilityServices } from '../src/ha/high-availability-services.js';
import type { HighAvailabilityOptions } from '../src/ha/high-availability-options.js';
import type { LeaderSession } from '../src/ha/leader-session.js';
import { CheckpointRetention, CheckpointType } from '../src/checkpoint/checkpoint-properties.js';
import type { CompletedCheckpoint } from '../src/checkpoint/completed-checkpoint.js';
import { asCheckpointId, asJobId, asTaskId } from '../src/core/ids.js';
import { BENCH_PG_URL, dropBenchSchema } from './bench-postgres.js';

const MEASURE_MS = 1_500;
const TASKS_PER_CHECKPOINT = 16;

/** Operations per second of one mode's counter and store. */
export interface HaModeThroughput {
  readonly mode: string;
  readonly counterOpsPerSecond: number;
  readonly storeOpsPerSecond: number;
}

/**
 * Throughput of the fenced high-availability writes that sit on the coordinator's path: CheckpointIDCounter
 * getAndIncrement and CompletedCheckpointStore add-and-subsume (maxRetained 3, so every add also subsumes one and
 * deletes its row), one call after another as the coordinator makes them, each measured for about 1.5 s. PostgreSQL
 * runs in a schema of its own that is dropped afterwards; the filesystem mode in a temporary directory.
 */
export async function benchHighAvailability(): Promise<HaModeThroughput[]> {
  const results: HaModeThroughput[] = [];
  const schema = `bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  try {
    results.push(await benchMode('postgres', { mode: 'postgres', connectionString: BENCH_PG_URL, schema }));
  } finally {
    await dropBenchSchema(schema);
  }
  const directory = await mkdtemp(join(tmpdir(), 'nact-checkpoint-ha-bench-'));
  try {
    results.push(await benchMode('filesystem', { mode: 'filesystem', directory }));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  return results;
}

async function benchMode(name: string, options: HighAvailabilityOptions): Promise<HaModeThroughput> {
  const services = await createHighAvailabilityServices(options);
  try {
    const session = await leadership(services);
    const counter = services.checkpointRecovery('bench-job').createCheckpointIDCounter(session);
    const counterOpsPerSecond = await opsPerSecond(() => counter.getAndIncrement());
    const store = await services.checkpointRecovery('bench-job').createCompletedCheckpointStore({ session, maxRetained: 3 });
    let next = 1;
    const storeOpsPerSecond = await opsPerSecond(() => store.addCheckpointAndSubsumeOldestOne(aCheckpoint(next++)));
    await store.shutdown(JobStatus.FINISHED);
    await counter.shutdown(JobStatus.FINISHED);
    return { mode: name, counterOpsPerSecond, storeOpsPerSecond };
  } finally {
    await services.close();
  }
}

async function leadership(services: HighAvailabilityServices): Promise<LeaderSession> {
  const election = services.createLeaderElection('bench');
  await election.start({ grantLeadership: () => undefined, revokeLeadership: () => undefined });
  const session = election.currentSession();
  if (session === null) throw new Error('the benchmark could not take the lease of scope bench');
  return session;
}

async function opsPerSecond(operation: () => Promise<unknown>): Promise<number> {
  for (let warmUp = 0; warmUp < 20; warmUp++) await operation();
  let operations = 0;
  const startedAt = performance.now();
  while (performance.now() - startedAt < MEASURE_MS) {
    await operation();
    operations++;
  }
  return Math.round(operations / ((performance.now() - startedAt) / 1000));
}

/** A checkpoint of the size a small job produces: 16 tasks with a few inline values each. */
function aCheckpoint(id: number): CompletedCheckpoint {
  const taskStates = Object.fromEntries(Array.from({ length: TASKS_PER_CHECKPOINT }, (_, task) => [
    asTaskId(`task-${task}`),
    { operatorState: { kind: 'inline' as const, value: { position: id * 1000 + task, pending: [`txn-${id}`] } }, keyedState: [] },
  ]));
  return {
    jobId: asJobId('bench-job'),
    checkpointId: asCheckpointId(id),
    triggerTimestamp: id,
    completionTimestamp: id + 1,
    properties: { type: CheckpointType.CHECKPOINT, retention: CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION, forced: false },
    taskStates,
    stateSize: 0,
    externalPointer: `bench-job/chk-${id}/_metadata`,
  };
}

/** The `ha ...` lines `npm run bench` prints. */
export function formatHighAvailabilityResults(results: readonly HaModeThroughput[]): string[] {
  const lines = results.flatMap((result) => [
    `ha ${result.mode} counter getAndIncrement ops/s ${result.counterOpsPerSecond}`,
    `ha ${result.mode} store add-and-subsume ops/s ${result.storeOpsPerSecond}`,
  ]);
  const postgres = results.find((result) => result.mode === 'postgres');
  const filesystem = results.find((result) => result.mode === 'filesystem');
  if (postgres !== undefined && filesystem !== undefined) {
    lines.push(
      `ratio ha postgres/filesystem counter ${(postgres.counterOpsPerSecond / filesystem.counterOpsPerSecond).toFixed(2)} ` +
        `store ${(postgres.storeOpsPerSecond / filesystem.storeOpsPerSecond).toFixed(2)}`,
    );
  }
  return lines;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of formatHighAvailabilityResults(await benchHighAvailability())) console.log(line);
}
