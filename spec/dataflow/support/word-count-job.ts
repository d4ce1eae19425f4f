import type { CommittedOutput } from '../../../src/dataflow/committed-output.js';
import { jobGraph, type JobGraph } from '../../../src/dataflow/job-graph.js';
import { fromArray } from '../../../src/dataflow/replayable-source.js';
import type { StreamOperator } from '../../../src/dataflow/stream-operator.js';
import { transactionalSink } from '../../../src/dataflow/transactional-sink.js';

/*
 * The job the dataflow chaos specs run: a word count whose every record is checked against an oracle computed here,
 * apart from the engine (and apart from the demo in examples/, which may change for its readers).
 */

/** One output record: a word and how many times it had been seen when it was counted (1, 2, 3, ...). */
export type WordCount = readonly [word: string, count: number];

/** The xorshift32 generator: the same seed always gives the same sequence of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let x = (seed | 0) || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu', 'nu', 'xi', 'omicron', 'pi'];

/** `count` lines of 3 to 9 words, some capitalised or followed by punctuation, always the same for a seed. */
export function generateLines(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  const pick = (): string => {
    const word = WORDS[Math.floor(random() * WORDS.length)] as string;
    const shaped = random() < 0.2 ? word.toUpperCase() : word;
    return random() < 0.15 ? `${shaped}!` : shaped;
  };
  return Array.from({ length: count }, () => Array.from({ length: 3 + Math.floor(random() * 7) }, pick).join(' '));
}

const wordsOf = (line: string): string[] => line.toLowerCase().match(/[a-z]+/g) ?? [];

/** Orders word counts by word, then count, so two runs' outputs compare record by record. */
export function sortWordCounts(records: readonly WordCount[]): WordCount[] {
  return [...records].sort(([a, m], [b, n]) => a.localeCompare(b) || m - n);
}

/** The oracle: what a failure-free run commits, sorted. For each word seen n times, (word, 1) up to (word, n). */
export function expectedWordCounts(lines: readonly string[]): WordCount[] {
  const totals: Record<string, number> = {};
  for (const word of lines.flatMap(wordsOf)) totals[word] = (totals[word] ?? 0) + 1;
  return sortWordCounts(Object.entries(totals).flatMap(([word, total]) => Array.from({ length: total }, (_, index): WordCount => [word, index + 1])));
}

const splitter = (): StreamOperator<string, string, null> => ({
  processRecord: (line, output) => wordsOf(line).forEach((word) => output.collect(word)),
  snapshotState: () => null,
  restoreState: () => undefined,
});

const counter = (): StreamOperator<string, WordCount, Record<string, number>> => {
  let seen: Record<string, number> = {};
  return {
    processRecord: (word, output) => {
      seen = { ...seen, [word]: (seen[word] ?? 0) + 1 };
      output.collect([word, seen[word] as number]);
    },
    snapshotState: () => seen,
    restoreState: (state) => { seen = { ...(state ?? {}) }; },
  };
};

/** 2 replayable sources → 4 splitters (rebalanced) → 4 counters (keyed by word) → 1 transactional sink. */
export function wordCountGraph(lines: readonly string[], output: CommittedOutput<WordCount>): JobGraph {
  const graph = jobGraph();
  const text = graph.source('lines', { parallelism: 2, source: fromArray(lines) });
  const words = graph.operator('splitter', { parallelism: 4, inputs: [text.rebalance()], operator: splitter });
  const counts = graph.operator('counter', { parallelism: 4, inputs: [words.keyBy((word) => word)], operator: counter });
  graph.sink('sink', { parallelism: 1, inputs: [counts.rebalance()], sink: transactionalSink(output) });
  return graph.build();
}
