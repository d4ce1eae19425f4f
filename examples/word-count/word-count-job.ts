import type { CheckpointId } from '../../src/core/ids.js';
import type { CommittedOutput } from '../../src/dataflow/committed-output.js';
import { jobGraph, type JobGraph } from '../../src/dataflow/job-graph.js';
import { fromArray } from '../../src/dataflow/replayable-source.js';
import type { Collector, StreamOperator } from '../../src/dataflow/stream-operator.js';
import { transactionalSink } from '../../src/dataflow/transactional-sink.js';

/** One output record of the word count: a word and how many times it was seen so far (1, 2, 3, ...). */
export type WordCount = readonly [word: string, count: number];

type Counts = { readonly [word: string]: number };

const VOCABULARY = [
  'actor', 'barrier', 'checkpoint', 'coordinator', 'snapshot', 'restore', 'epoch', 'source', 'sink', 'operator',
  'record', 'channel', 'align', 'commit', 'abort', 'attempt', 'failure', 'stream', 'state', 'key',
  'window', 'event', 'time', 'watermark', 'buffer', 'credit', 'task', 'job', 'graph', 'vertex',
  'edge', 'partition', 'shuffle', 'replay', 'offset', 'flink', 'nact', 'mailbox', 'message', 'exactly',
];

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` lines of 3 to 9 words drawn from a fixed vocabulary (some capitalised, with punctuation), always the same for a seed. */
export function generateLines(count: number, seed = 42): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const words = Array.from({ length: 3 + Math.floor(random() * 7) }, () => {
      const word = VOCABULARY[Math.floor(random() * VOCABULARY.length)] as string;
      return random() < 0.1 ? `${word[0]?.toUpperCase()}${word.slice(1)},` : word;
    });
    return words.join(' ');
  });
}

/** Splits a line into lower-case words. */
export function tokenize(line: string): string[] {
  return line.toLowerCase().split(/[^a-z]+/).filter((word) => word.length > 0);
}

/** What a failure-free word count outputs, sorted: for every word w seen n times, (w, 1) ... (w, n). */
export function expectedWordCounts(lines: readonly string[]): WordCount[] {
  const totals = new Map<string, number>();
  for (const line of lines) for (const word of tokenize(line)) totals.set(word, (totals.get(word) ?? 0) + 1);
  const output: WordCount[] = [];
  for (const [word, total] of totals) for (let count = 1; count <= total; count += 1) output.push([word, count]);
  return sortWordCounts(output);
}

/** Sorts word counts by word, then count, so outputs of different runs compare record by record. */
export function sortWordCounts(records: readonly WordCount[]): WordCount[] {
  return [...records].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
}

class Tokenizer implements StreamOperator<string, string, null> {
  processRecord(line: string, output: Collector<string>): void {
    for (const word of tokenize(line)) output.collect(word);
  }

  snapshotState(): null {
    return null;
  }

  restoreState(): void {}
}

class Counter implements StreamOperator<string, WordCount, Counts> {
  private counts = new Map<string, number>();

  processRecord(word: string, output: Collector<WordCount>): void {
    const count = (this.counts.get(word) ?? 0) + 1;
    this.counts.set(word, count);
    output.collect([word, count]);
  }

  snapshotState(_checkpointId: CheckpointId): Counts {
    return Object.fromEntries(this.counts);
  }

  restoreState(state: Counts | null): void {
    this.counts = new Map(Object.entries(state ?? {}));
  }
}

/** Word count sizes: sources, tokenizers, keyed counters, transactional sinks. */
export interface WordCountShape {
  readonly sources: number;
  readonly tokenizers: number;
  readonly counters: number;
  readonly sinks: number;
}

/**
 * The word-count job: `lines` read by replayable sources, rebalanced over tokenizers, keyed by word into counters
 * that emit (word, running count), and written to `output` by a transactional sink. Default shape 2 → 4 → 4 → 1.
 */
export function wordCountGraph(lines: readonly string[], output: CommittedOutput<WordCount>, shape: WordCountShape = { sources: 2, tokenizers: 4, counters: 4, sinks: 1 }): JobGraph {
  const graph = jobGraph();
  const text = graph.source('lines', { parallelism: shape.sources, source: fromArray(lines) });
  const words = graph.operator('tokenizer', { parallelism: shape.tokenizers, inputs: [text.rebalance()], operator: () => new Tokenizer() });
  const counts = graph.operator('counter', { parallelism: shape.counters, inputs: [words.keyBy((word) => word)], operator: () => new Counter() });
  graph.sink('sink', { parallelism: shape.sinks, inputs: [counts.rebalance()], sink: transactionalSink(output) });
  return graph.build();
}
