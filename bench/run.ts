/**
 * `npm run bench`: every benchmark of the project, one section after another, each printing its ratio lines as
 * soon as it has them. A ratio is compared with its target and the line says whether the target was met; a missed
 * target never fails the run (timing is not a test). Only a benchmark that throws makes the exit code non-zero.
 */
import { benchCoordinator, formatCoordinatorResult } from './coordinator-bench.js';
import { benchLoadedRound, formatLoadedRoundResult } from './loaded-round-bench.js';
import { benchDataflowRatio } from './dataflow-bench.js';
import { benchHighAvailability, formatHighAvailabilityResults } from './ha-bench.js';
import { benchIncrementalRatio } from './incremental-bench.js';
import { benchRegistry } from './registry-bench.js';
import { benchLocalRecovery, formatLocalRecovery } from './local-recovery-bench.js';
import { benchBlobStore } from './blob-bench.js';
import { QUICK_BENCH } from './quick-mode.js';
import { benchFailover, formatFailoverResult } from './failover-bench.js';

interface Target {
  readonly comparison: '<=' | '>=';
  readonly value: number;
}

interface BenchSection {
  readonly name: string;
  /** Runs the benchmark and prints its lines through `print`. */
  readonly run: (print: (line: string) => void) => Promise<void>;
}

const describeTarget = (measured: number, target: Target): string => {
  const met = target.comparison === '<=' ? measured <= target.value : measured >= target.value;
  return `  target ${target.comparison} ${target.value}: ${met ? 'met' : 'MISSED'}`;
};

const errorMessage = (error: unknown): string => (error instanceof Error ? error.stack ?? error.message : String(error));

const COORDINATOR_SIZES: readonly number[] = QUICK_BENCH ? [100, 1_000] : [100, 1_000, 10_000, 100_000];
/** Per number of tasks, the most a round may cost against raw nact (none for the small jobs, where noise dominates). */
const COORDINATOR_TARGETS: ReadonlyMap<number, number> = new Map([[10_000, 0.75], [100_000, 1.0]]);

// ------------------------------------------------------------------------------------------------------------------
// The bench sections, in the order they run. Add a section here for a new benchmark.
// ------------------------------------------------------------------------------------------------------------------
const sections: BenchSection[] = [
  {
    name: 'coordinator',
    async run(print) {
      for (const tasks of COORDINATOR_SIZES) {
        const result = await benchCoordinator(tasks);
        const limit = COORDINATOR_TARGETS.get(tasks);
        const target = limit === undefined ? '  (no target at this size)' : describeTarget(result.ratio, { comparison: '<=', value: limit });
        print(formatCoordinatorResult(result, target));
      }
    },
  },
  {
    name: 'loaded-round',
    async run(print) {
      const result = await benchLoadedRound();
      print(formatLoadedRoundResult(result, describeTarget(result.ratio, { comparison: '<=', value: 2 })));
    },
  },
  {
    name: 'incremental',
    async run(print) {
      const { changedFraction, ratio, fullBytes, incrementalBytes } = await benchIncrementalRatio();
      print(`ratio incremental/full changed=${Math.round(changedFraction * 100)}% ${ratio.toFixed(4)}${describeTarget(ratio, { comparison: '<=', value: 0.03 })}`
        + `  (incremental ${incrementalBytes} B, full ${fullBytes} B)`);
    },
  },
  {
    name: 'registry',
    async run(print) {
      const { liveKeys, opsPerSecond } = await benchRegistry();
      print(`registry ops/s live=${liveKeys} ${opsPerSecond}${describeTarget(opsPerSecond, { comparison: '>=', value: 1_000_000 })}`);
    },
  },
  {
    name: 'dataflow',
    async run(print) {
      const { ratio, recordsPerSecondOn, recordsPerSecondOff } = await benchDataflowRatio();
      print(`ratio checkpointing/off interval=100ms ${ratio.toFixed(2)}${describeTarget(ratio, { comparison: '>=', value: 0.9 })}`
        + `  (word count: ${Math.round(recordsPerSecondOn)} records/s with checkpoints, ${Math.round(recordsPerSecondOff)} without)`);
    },
  },
  {
    name: 'local-recovery',
    async run(print) {
      const result = await benchLocalRecovery();
      print(`${formatLocalRecovery(result)}${describeTarget(result.ratio, { comparison: '<=', value: 0.5 })}`);
    },
  },
  {
    name: 'blob',
    async run(print) {
      const result = await benchBlobStore();
      const mbps = (value: number): string => `${Math.round(value)} MB/s`;
      print(`ratio blob put/copy size=${result.sizeMiB}MiB ${result.putRatio.toFixed(2)}${describeTarget(result.putRatio, { comparison: '>=', value: 0.15 })}`
        + `  (put ${mbps(result.putMBps)} with the filesystem HA copy, plain durable copy ${mbps(result.copyMBps)})`);
      print(`ratio blob get/copy size=${result.sizeMiB}MiB ${result.getRatio.toFixed(2)}${describeTarget(result.getRatio, { comparison: '>=', value: 0.5 })}`
        + `  (verified local get ${mbps(result.getMBps)})`);
      print(`ratio blob fetch/copy size=${result.sizeMiB}MiB ${result.fetchRatio.toFixed(2)}${describeTarget(result.fetchRatio, { comparison: '>=', value: 0.15 })}`
        + `  (get after the local copy was lost, from the HA copy: ${mbps(result.fetchMBps)})`);
    },
  },
  {
    name: 'ha',
    async run(print) {
      for (const line of formatHighAvailabilityResults(await benchHighAvailability())) print(line);
    },
  },
  {
    name: 'failover',
    async run(print) {
      // No target: a standby takes over at its next lease check, so failover time follows renewInterval (see README).
      for (const result of await benchFailover()) print(formatFailoverResult(result));
    },
  },
];

let failed = 0;
for (const section of sections) {
  try {
    await section.run((line) => console.log(line));
  } catch (error) {
    failed += 1;
    console.log(`${section.name}: the benchmark failed: ${errorMessage(error)}`);
  }
}
if (failed > 0) process.exitCode = 1;
