import { expect } from 'chai';
import { CheckpointingMode } from '../../src/dataflow/checkpointing-mode.js';
import { expectedWordCounts, generateLines, type WordCount } from './support/word-count-job.js';
import { runWordCount, type WordCountRunResult } from './support/word-count-run.js';

const LINES = generateLines(300, 7);
const SEEDS = Array.from({ length: 20 }, (_, index) => 1_000 + index * 17);
const MIN_FAILURES = 5;

describe('word count under failures (2 sources → 4 splitters → 4 keyed counters → 1 transactional sink)', () => {
  let failureFree: WordCountRunResult;

  before(async () => {
    failureFree = await runWordCount({ lines: LINES, mode: CheckpointingMode.EXACTLY_ONCE, seed: 0, failures: 0 });
  });

  it('commits, without failures, every (word, running count) exactly once', () => {
    expect(failureFree.output).to.deep.equal(expectedWordCounts(LINES));
    expect(failureFree.failures).to.equal(0);
    expect(failureFree.output.length).to.be.greaterThan(1_500);
  });

  describe('in exactly-once mode', () => {
    for (const seed of SEEDS) {
      it(`commits exactly the failure-free output despite at least ${MIN_FAILURES} task failures (seed ${seed})`, async () => {
        const run = await runWordCount({ lines: LINES, mode: CheckpointingMode.EXACTLY_ONCE, seed, failures: MIN_FAILURES + (seed % 4) });
        expect(run.failures).to.be.at.least(MIN_FAILURES);
        expect(run.restores).to.be.at.least(MIN_FAILURES);
        expect(run.output).to.deep.equal(failureFree.output);
      });
    }
  });

  describe('with the coordinator given only the job\'s tasks and an onEvent of its own', () => {
    for (const seed of SEEDS.slice(0, 5)) {
      it(`commits exactly the failure-free output despite at least ${MIN_FAILURES} task failures (seed ${seed})`, async () => {
        const run = await runWordCount({ lines: LINES, mode: CheckpointingMode.EXACTLY_ONCE, seed, failures: MIN_FAILURES, wiring: 'tasks-only' });
        expect(run.restores).to.be.at.least(MIN_FAILURES);
        expect(run.output).to.deep.equal(failureFree.output);
      });
    }
  });

  describe('in at-least-once mode', () => {
    for (const seed of SEEDS) {
      it(`loses no record despite at least ${MIN_FAILURES} task failures (seed ${seed})`, async () => {
        const run = await runWordCount({ lines: LINES, mode: CheckpointingMode.AT_LEAST_ONCE, seed, failures: MIN_FAILURES + (seed % 4) });
        expect(run.failures).to.be.at.least(MIN_FAILURES);
        const committed = new Set(run.output.map((record: WordCount) => record.join(':')));
        const missing = failureFree.output.filter((record) => !committed.has(record.join(':')));
        expect(missing).to.deep.equal([]);
      });
    }
  });
});
