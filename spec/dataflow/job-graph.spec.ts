import { expect } from 'chai';
import { start, stop, type Ref } from 'nact';
import { createDataflowJob } from '../../src/dataflow/dataflow-job.js';
import { jobGraph } from '../../src/dataflow/job-graph.js';
import { JobGraphError } from '../../src/dataflow/job-graph-error.js';
import { fromArray } from '../../src/dataflow/replayable-source.js';
import { RecordingOperator } from './support/recording-operator.js';

const operator = () => new RecordingOperator();

describe('jobGraph', () => {
  it('names each vertex instance <vertex>-<subtask>, in declaration order', () => {
    const graph = jobGraph();
    const lines = graph.source('lines', { parallelism: 2, source: fromArray(['x']) });
    const upper = graph.operator('upper', { parallelism: 3, inputs: [lines.rebalance()], operator });
    graph.sink('out', { parallelism: 1, inputs: [upper.keyBy((word) => word)], sink: operator });
    expect(graph.build().taskIds).to.deep.equal(['lines-0', 'lines-1', 'upper-0', 'upper-1', 'upper-2', 'out-0']);
  });

  it('refuses invalid graphs with an error naming the vertex and the fix', () => {
    const errorOf = (build: () => unknown): string => {
      try {
        build();
      } catch (error) {
        expect(error).to.be.instanceOf(JobGraphError);
        return (error as Error).message;
      }
      throw new Error('expected a JobGraphError');
    };
    expect(errorOf(() => jobGraph().build())).to.equal('job graph: has no source; add one with source(name, { parallelism, source })');
    expect(errorOf(() => jobGraph().source('bad-name', { parallelism: 1, source: fromArray([]) }))).to.match(/^vertex "bad-name": needs a name of letters, digits/);
    expect(errorOf(() => jobGraph().source('s', { parallelism: 0, source: fromArray([]) }))).to.equal("vertex 's': needs a parallelism that is an integer >= 1, got 0");
    expect(errorOf(() => {
      const graph = jobGraph();
      const s = graph.source('s', { parallelism: 2, source: fromArray([]) });
      graph.sink('out', { parallelism: 1, inputs: [s.forward()], sink: operator });
    })).to.equal("sink 'out' inputs[0]: a forward edge needs equal parallelism, but 's' has 2 and 'out' has 1; use rebalance() or keyBy()");
    expect(errorOf(() => {
      const graph = jobGraph();
      graph.source('s', { parallelism: 1, source: fromArray([]) });
      graph.sink('out', { parallelism: 1, inputs: [], sink: operator });
    })).to.equal("sink 'out': needs at least one input edge, e.g. inputs: [stream.rebalance()]");
    expect(errorOf(() => {
      const graph = jobGraph();
      graph.source('s', { parallelism: 1, source: fromArray([]) });
      graph.build();
    })).to.equal("source 's': has no consumer: connect its stream to an operator or sink, or remove it");
  });

  describe('createDataflowJob', () => {
    let system: Ref<unknown>;
    beforeEach(() => {
      system = start();
    });
    afterEach(() => stop(system));

    it('refuses an invalid pace with an error naming the option', () => {
      const graph = jobGraph();
      const s = graph.source('s', { parallelism: 1, source: fromArray([]) });
      graph.sink('out', { parallelism: 1, inputs: [s.forward()], sink: operator });
      expect(() => createDataflowJob(system, graph.build(), { pace: { recordsPerStep: 0 } })).to.throw(JobGraphError, 'DataflowJobOptions.pace.recordsPerStep: must be an integer >= 1, got 0');
    });
  });
});
