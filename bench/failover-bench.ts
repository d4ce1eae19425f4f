import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobDefinition } from '../src/jobmanager/job-definition.js';
import type { JobManagerChildConfig } from '../spec/jobmanager/support/job-manager-child-protocol.js';
import { JobManagerProcess } from '../spec/jobmanager/support/job-manager-process.js';
import { QUICK_BENCH } from './quick-mode.js';
import { BENCH_PG_URL, dropBenchSchema } from './bench-postgres.js';

const TRIALS = QUICK_BENCH ? 1 : 5;
/** A lease of 3 s, looked at every second; a checkpoint every 100 ms. */
const LEASE = { leaseDuration: 3_000, renewInterval: 1_000 } as const;
const INTERVAL_MS = 100;

/** Failover times of one HA mode, medians over the trials (ms). */
export interface FailoverResult {
  readonly mode: 'filesystem' | 'postgres';
  /** Leader SIGKILLed until the standby's first completed checkpoint. */
  readonly failoverMs: number;
  /** Leader SIGKILLed until the standby runs the job (recovered, tasks restored). */
  readonly takeoverMs: number;
  /** Baseline: a new job manager process started after the leader died, until its first completed checkpoint. */
  readonly coldRestartMs: number;
}

/**
 * Failover time of a job: two job manager processes on the same HA services, the leader running a job of two
 * incremental-state tasks checkpointing every 100 ms, SIGKILLed; measured until the standby's first completed checkpoint
 * (child clocks, same machine). The baseline is what a cluster without a standby does: start a job manager after the
 * leader died. Both modes; PostgreSQL in a schema of its own that is dropped afterwards.
 */
export async function benchFailover(): Promise<FailoverResult[]> {
  const results: FailoverResult[] = [];
  for (const mode of ['filesystem', 'postgres'] as const) {
    const schema = `bench_failover_${process.pid}_${randomBytes(3).toString('hex')}`;
    const trials: Trial[] = [];
    try {
      for (let trial = 0; trial < TRIALS; trial += 1) trials.push(await runTrial(mode, schema, trial));
    } finally {
      if (mode === 'postgres') await dropBenchSchema(schema);
    }
    results.push({ mode, failoverMs: median(trials.map((trial) => trial.failoverMs)), takeoverMs: median(trials.map((trial) => trial.takeoverMs)), coldRestartMs: median(trials.map((trial) => trial.coldRestartMs)) });
  }
  return results;
}

interface Trial {
  readonly failoverMs: number;
  readonly takeoverMs: number;
  readonly coldRestartMs: number;
}

async function runTrial(mode: 'filesystem' | 'postgres', schema: string, trial: number): Promise<Trial> {
  const directory = await mkdtemp(join(tmpdir(), 'nact-checkpoint-failover-bench-'));
  const ha: JobManagerChildConfig['ha'] = mode === 'filesystem'
    ? { mode, directory: join(directory, 'ha'), checkpointDirectory: join(directory, 'checkpoints'), pollInterval: 200, ...LEASE }
    : { mode, connectionString: BENCH_PG_URL, schema, tablePrefix: `t${trial}_`, ...LEASE };
  const job: JobDefinition = {
    jobId: 'failover',
    tasks: [{ taskId: 'g0', operator: 'generator' }, { taskId: 'g1', operator: 'generator' }],
    checkpointing: { interval: INTERVAL_MS, retained: 2, tolerableFailures: null, restartStrategy: { kind: 'fixed-delay', attempts: null, delay: 0 } },
    storage: { baseDirectory: join(directory, 'checkpoints') },
  };
  const started: JobManagerProcess[] = [];
  const start = (name: string, submit: JobDefinition | null): JobManagerProcess => {
    const child = new JobManagerProcess({ name, ha, submit });
    started.push(child);
    return child;
  };
  try {
    const leader = start('leader', job);
    let completions = 0;
    await leader.waitFor('its third completed checkpoint', (line) => line.e === 'completed' && ++completions === 3, 60_000);
    const standby = start('standby', null);
    await standby.next('ready', 'the standby is up', 60_000, 0);
    const killedAt = Date.now();
    await leader.kill();
    const takenOver = await standby.next('job-started', 'the standby takes over', 60_000, 0);
    const firstCompletion = await standby.next('completed', 'the standby completes a checkpoint', 60_000, 0);
    await standby.kill();
    const coldStartedAt = Date.now();
    const cold = start('cold', null);
    const coldCompletion = await cold.next('completed', 'a new job manager completes a checkpoint', 60_000, 0);
    return { failoverMs: firstCompletion.at - killedAt, takeoverMs: takenOver.at - killedAt, coldRestartMs: coldCompletion.at - coldStartedAt };
  } finally {
    for (const child of started) await child.kill();
    await rm(directory, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The lines `npm run bench` prints for one mode. */
export function formatFailoverResult(result: FailoverResult): string {
  return `failover ${result.mode} leader-kill→first-checkpoint ms ${result.failoverMs} (takeover ${result.takeoverMs} ms; `
    + `renewInterval ${LEASE.renewInterval} ms, checkpoint interval ${INTERVAL_MS} ms; median of ${TRIALS}); `
    + `ratio failover standby/cold-restart ${(result.failoverMs / result.coldRestartMs).toFixed(2)} (cold restart ${result.coldRestartMs} ms)`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const result of await benchFailover()) console.log(formatFailoverResult(result));
}
