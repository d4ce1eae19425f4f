import { expect } from 'chai';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import type { DataflowDefinition, DataflowVertexDefinition } from '../../src/jobmanager/dataflow-definition.js';
import { validateJobDefinition, type DataflowJobDefinition } from '../../src/jobmanager/job-definition.js';

/** A valid dataflow job: words (2) → counter (3, keyed by path) → sink (2, rebalanced), listed sink first. */
function aDataflowJob(vertices?: readonly DataflowVertexDefinition[], more: Partial<DataflowDefinition> = {}): DataflowJobDefinition {
  return {
    jobId: 'words',
    dataflow: {
      vertices: vertices ?? [
        { name: 'sink', sink: 'committed', parallelism: 2, inputs: [{ from: 'counter', partitioning: 'rebalance' }] },
        { name: 'counter', operator: 'counter', parallelism: 3, inputs: [{ from: 'words', partitioning: 'key-by', keyPath: '$.word' }] },
        { name: 'words', source: 'words', parallelism: 2, config: { words: ['a', 'b'] } },
      ],
      ...more,
    },
    checkpointing: { interval: 1_000 },
    storage: { baseDirectory: '/var/nact/checkpoints' },
  };
}

const words: DataflowVertexDefinition = { name: 'words', source: 'words', parallelism: 2 };
const sinkOf = (from: string, parallelism = 1): DataflowVertexDefinition => ({ name: 'sink', sink: 'committed', parallelism, inputs: [{ from, partitioning: 'rebalance' }] });

/** The InvalidOptionError a definition is refused with; fails the spec when it is accepted. */
function refusal(definition: unknown): InvalidOptionError {
  try {
    validateJobDefinition(definition);
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error('expected the definition to be refused');
}

describe('the dataflow form of a job definition', () => {
  it('accepts a dataflow whose vertices are listed in any order, and returns it as given', () => {
    const definition = aDataflowJob();
    expect(validateJobDefinition(definition)).to.equal(definition);
  });

  it('refuses an input that names no vertex, listing the vertices', () => {
    const error = refusal(aDataflowJob([words, { name: 'counter', operator: 'counter', parallelism: 1, inputs: [{ from: 'lines', partitioning: 'rebalance' }] }, sinkOf('counter')]));
    expect(error.field).to.equal('JobDefinition.dataflow.vertices[1].inputs[0].from');
    expect(error.message).to.equal("JobDefinition.dataflow.vertices[1].inputs[0].from names no vertex of this dataflow: 'lines'; its vertices: words, counter, sink");
  });

  it('refuses a cycle, naming the vertices around it and the input that closes it', () => {
    const error = refusal(aDataflowJob([
      words,
      { name: 'enrich', operator: 'enrich', parallelism: 1, inputs: [{ from: 'words', partitioning: 'rebalance' }, { from: 'score', partitioning: 'rebalance' }] },
      { name: 'score', operator: 'score', parallelism: 1, inputs: [{ from: 'enrich', partitioning: 'forward' }] },
      sinkOf('score'),
    ]));
    expect(error.message).to.equal("JobDefinition.dataflow.vertices[2].inputs[0].from closes a cycle: 'enrich' → 'score' → 'enrich' (records flow along each arrow); a dataflow must be acyclic");
    const self = refusal(aDataflowJob([words, { name: 'loop', operator: 'loop', parallelism: 1, inputs: [{ from: 'words', partitioning: 'rebalance' }, { from: 'loop', partitioning: 'forward' }] }, sinkOf('loop')]));
    expect(self.message).to.equal("JobDefinition.dataflow.vertices[1].inputs[1].from closes a cycle: 'loop' → 'loop' (records flow along each arrow); a dataflow must be acyclic");
  });

  it('refuses a forward edge between unequal parallelisms', () => {
    const error = refusal(aDataflowJob([words, { name: 'sink', sink: 'committed', parallelism: 3, inputs: [{ from: 'words', partitioning: 'forward' }] }]));
    expect(error.message).to.equal("JobDefinition.dataflow.vertices[1].inputs[0].partitioning 'forward' needs equal parallelism, but 'words' has 2 and 'sink' has 3; use 'rebalance' or 'key-by'");
  });

  it('refuses a keyed consumer with more subtasks than key groups', () => {
    const error = refusal(aDataflowJob([words, { name: 'sink', sink: 'committed', parallelism: 129, inputs: [{ from: 'words', partitioning: 'key-by', keySelector: 'word' }] }]));
    expect(error.message).to.equal("JobDefinition.dataflow.vertices[1].inputs[0].partitioning 'key-by' spreads keys over 128 key groups, so 'sink' may have a parallelism of at most 128, got 129");
  });

  it('refuses a partitioning it does not know, and key-by without exactly one key', () => {
    expect(refusal(aDataflowJob([words, { name: 'sink', sink: 'committed', parallelism: 1, inputs: [{ from: 'words', partitioning: 'keyBy' as never }] }])).message)
      .to.equal('JobDefinition.dataflow.vertices[1].inputs[0].partitioning must be one of forward, rebalance, key-by, got "keyBy"');
    expect(refusal(aDataflowJob([words, { name: 'sink', sink: 'committed', parallelism: 1, inputs: [{ from: 'words', partitioning: 'key-by' } as never] }])).message)
      .to.equal("JobDefinition.dataflow.vertices[1].inputs[0] partitioned 'key-by' needs exactly one of keySelector (a key selector kind's name) or keyPath (like $.customer), got neither");
    expect(refusal(aDataflowJob([words, { name: 'sink', sink: 'committed', parallelism: 1, inputs: [{ from: 'words', partitioning: 'key-by', keySelector: 'word', keyPath: '$.word' } as never] }])).message)
      .to.equal("JobDefinition.dataflow.vertices[1].inputs[0] partitioned 'key-by' needs exactly one of keySelector (a key selector kind's name) or keyPath (like $.customer), got both");
    expect(refusal(aDataflowJob([words, { name: 'sink', sink: 'committed', parallelism: 1, inputs: [{ from: 'words', partitioning: 'rebalance', keyPath: '$.word' } as never] }])).message)
      .to.equal("JobDefinition.dataflow.vertices[1].inputs[0].keyPath is only for partitioning 'key-by', not 'rebalance'");
  });

  it('refuses a key path it cannot read, saying where', () => {
    expect(refusal(aDataflowJob([words, { name: 'sink', sink: 'committed', parallelism: 1, inputs: [{ from: 'words', partitioning: 'key-by', keyPath: 'word' }] }])).message)
      .to.equal('JobDefinition.dataflow.vertices[1].inputs[0].keyPath must be a key path starting with $ (the record), like $.customer or $[0], got "word"');
    expect(refusal(aDataflowJob([words, { name: 'sink', sink: 'committed', parallelism: 1, inputs: [{ from: 'words', partitioning: 'key-by', keyPath: '$.order.-id' }] }])).message)
      .to.equal('JobDefinition.dataflow.vertices[1].inputs[0].keyPath must be a key path like $.customer or $[0]; \'.-id\' at position 7 of "$.order.-id" is not .name, [index] or ["name"]');
  });

  it('refuses vertices that cannot take their place: a source with inputs, an operator without, a sink read from, an unread stream', () => {
    expect(refusal(aDataflowJob([{ ...words, inputs: [] } as never, sinkOf('words')])).message)
      .to.equal('JobDefinition.dataflow.vertices[0].inputs is not for a source: sources read from outside the graph');
    expect(refusal(aDataflowJob([words, { name: 'counter', operator: 'counter', parallelism: 1, inputs: [] }, sinkOf('words')])).message)
      .to.equal('JobDefinition.dataflow.vertices[1].inputs must be a non-empty array of { from, partitioning }: an operator reads at least one vertex');
    expect(refusal(aDataflowJob([words, sinkOf('words'), { name: 'after', sink: 'committed', parallelism: 1, inputs: [{ from: 'sink', partitioning: 'rebalance' }] }])).message)
      .to.equal("JobDefinition.dataflow.vertices[2].inputs[0].from names sink 'sink', which has no output: read a source or operator");
    expect(refusal(aDataflowJob([words, { name: 'lonely', operator: 'counter', parallelism: 1, inputs: [{ from: 'words', partitioning: 'rebalance' }] }, sinkOf('words')])).message)
      .to.equal("JobDefinition.dataflow.vertices[1] is operator 'lonely', whose records no vertex reads: make it an input of an operator or sink, or remove it");
    expect(refusal(aDataflowJob([
      { name: 'ping', operator: 'echo', parallelism: 1, inputs: [{ from: 'pong', partitioning: 'rebalance' }] },
      { name: 'pong', operator: 'echo', parallelism: 1, inputs: [{ from: 'ping', partitioning: 'rebalance' }] },
      sinkOf('ping'),
    ])).message)
      .to.equal('JobDefinition.dataflow.vertices has no source vertex: a dataflow starts at one or more sources');
  });

  it('refuses a vertex without exactly one kind, with a bad name, a duplicate name or a bad parallelism', () => {
    expect(refusal(aDataflowJob([{ name: 'words', parallelism: 1 } as never, sinkOf('words')])).message)
      .to.equal('JobDefinition.dataflow.vertices[0] must name its kind in exactly one of source, operator or sink, got none');
    expect(refusal(aDataflowJob([{ name: 'words', source: 'words', operator: 'counter', parallelism: 1 } as never, sinkOf('words')])).message)
      .to.equal('JobDefinition.dataflow.vertices[0] must name its kind in exactly one of source, operator or sink, got source and operator');
    expect(refusal(aDataflowJob([{ ...words, name: 'word-source' }, sinkOf('word-source')])).field).to.equal('JobDefinition.dataflow.vertices[0].name');
    expect(refusal(aDataflowJob([words, { ...words }, sinkOf('words')])).message)
      .to.equal("JobDefinition.dataflow.vertices[1].name 'words' is also the name of vertices[0]: vertex names must be unique");
    expect(refusal(aDataflowJob([{ ...words, parallelism: 0 }, sinkOf('words')])).message).to.equal('JobDefinition.dataflow.vertices[0].parallelism must be an integer >= 1, got 0');
    expect(refusal(aDataflowJob([{ ...words, parrallelism: 2 } as never, sinkOf('words')])).field).to.equal('JobDefinition.dataflow.vertices[0].parrallelism');
  });

  it('refuses a mode, pace or backpressure limit it cannot run', () => {
    expect(refusal(aDataflowJob(undefined, { mode: 'exactly_once' as never })).message).to.equal('JobDefinition.dataflow.mode must be one of exactly-once, at-least-once, got "exactly_once"');
    expect(refusal(aDataflowJob(undefined, { pace: { stepDelayMs: -1 } })).message).to.equal('JobDefinition.dataflow.pace.stepDelayMs must be an integer >= 0, got -1');
    expect(refusal(aDataflowJob(undefined, { maxInFlightMessages: 0 })).message).to.equal('JobDefinition.dataflow.maxInFlightMessages must be an integer >= 1, got 0');
  });

  it('refuses a job with both tasks and a dataflow, or with neither', () => {
    expect(refusal({ ...aDataflowJob(), tasks: [{ taskId: 'a', operator: 'counter' }] }).message)
      .to.equal('JobDefinition has both tasks and dataflow: a job runs either operator tasks or a dataflow graph, give one of them');
    const { dataflow: _dataflow, ...neither } = aDataflowJob();
    expect(refusal(neither).message).to.equal('JobDefinition.tasks must be a non-empty array of { taskId, operator, config? } (or give dataflow instead, for a dataflow job)');
  });

  it('refuses a configuration that is not JSON, naming where', () => {
    const error = refusal(aDataflowJob([{ ...words, config: { since: new Date(0) } as never }, sinkOf('words')]));
    expect(error.message).to.equal('JobDefinition must be JSON (a job is data, kept in the job graph store): JobDefinition.dataflow.vertices[0].config.since is a Date');
  });
});
