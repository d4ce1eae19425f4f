/**
 * `npm run bench`: every benchmark of the project, one section after another, each printing its ratio lines as
 * soon as it has them. A ratio is compared with its target and the line says whether the target was met; a missed
 * target never fails the run (timing is not a test). Only a benchmark that throws makes the exit code non-zero.
 */
import { benchCoordinator, formatCoordinatorResult } from './coordinator-bench.js';

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

/**
 * A section whose benchmark lives in a module another engineer owns: it runs when the module and its export are
 * there, and says it was skipped otherwise. The path is a runtime string, so a missing module is no type error.
 */
function optionalSection<F extends (...args: never[]) => Promise<unknown>>(
  name: string,
  modulePath: string,
  exportName: string,
  run: (bench: F, print: (line: string) => void) => Promise<void>,
): BenchSection {
  return {
    name,
    async run(print) {
      let module: Record<string, unknown>;
      try {
        module = (await import(modulePath)) as Record<string, unknown>;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'ERR_MODULE_NOT_FOUND') return print(`${name}: skipped (${modulePath} is not there yet)`);
        throw error;
      }
      const bench = module[exportName];
      if (typeof bench !== 'function') return print(`${name}: skipped (${modulePath} exports no function ${exportName})`);
      await run(bench as F, print);
    },
  };
}

const COORDINATOR_SIZES = [100, 1_000, 10_000] as const;
const COORDINATOR_TARGET_TASKS = 10_000;

// ------------------------------------------------------------------------------------------------------------------
// The bench sections, in the order they run. Add a section here for a new benchmark.
// ------------------------------------------------------------------------------------------------------------------
const sections: BenchSection[] = [
  {
    name: 'coordinator',
    async run(print) {
      for (const tasks of COORDINATOR_SIZES) {
        const result = await benchCoordinator(tasks);
        const target = tasks === COORDINATOR_TARGET_TASKS ? describeTarget(result.ratio, { comparison: '<=', value: 1.5 }) : `  (target applies at ${COORDINATOR_TARGET_TASKS} tasks)`;
        print(formatCoordinatorResult(result, target));
      }
    },
  },
  optionalSection<() => Promise<{ changedFraction: number; ratio: number; fullBytes: number; incrementalBytes: number }>>(
    'incremental', './incremental-bench.js', 'benchIncrementalRatio',
    async (bench, print) => {
      const { changedFraction, ratio, fullBytes, incrementalBytes } = await bench();
      print(`ratio incremental/full changed=${Math.round(changedFraction * 100)}% ${ratio.toFixed(4)}${describeTarget(ratio, { comparison: '<=', value: 0.03 })}`
        + `  (incremental ${incrementalBytes} B, full ${fullBytes} B)`);
    },
  ),
  optionalSection<() => Promise<{ liveKeys: number; opsPerSecond: number }>>(
    'registry', './registry-bench.js', 'benchRegistry',
    async (bench, print) => {
      const { liveKeys, opsPerSecond } = await bench();
      print(`registry ops/s live=${liveKeys} ${opsPerSecond}${describeTarget(opsPerSecond, { comparison: '>=', value: 1_000_000 })}`);
    },
  ),
  // >>> DATAFLOW BENCH: its owner adds the section here, printing
  //     `ratio checkpointing/off interval=100ms <ratio>` followed by describeTarget(ratio, { comparison, value }), e.g.
  //     optionalSection<typeof benchDataflowRatio>('dataflow', './dataflow-bench.js', 'benchDataflowRatio', async (bench, print) => { ... }),
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
