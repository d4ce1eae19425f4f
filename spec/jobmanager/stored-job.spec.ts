import { expect } from 'chai';
import { asJobId } from '../../src/core/ids.js';
import type { JsonValue } from '../../src/core/json.js';
import type { StoredJobGraph } from '../../src/ha/stored-job-graph.js';
import type { DataflowJobDefinition, TaskJobDefinition } from '../../src/jobmanager/job-definition.js';
import { decodeStoredJob, encodeStoredJob } from '../../src/jobmanager/stored-job.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';

const storage = { baseDirectory: '/var/nact/checkpoints' };
const taskJob: TaskJobDefinition = { jobId: 'orders', tasks: [{ taskId: 'a', operator: 'counter' }], checkpointing: { interval: 1_000 }, storage };
const dataflowJob: DataflowJobDefinition = {
  jobId: 'words',
  dataflow: {
    vertices: [
      { name: 'words', source: 'words', parallelism: 1, config: { words: ['a'] } },
      { name: 'sink', sink: 'committed', parallelism: 1, inputs: [{ from: 'words', partitioning: 'forward' }] },
    ],
    mode: 'at-least-once',
  },
  checkpointing: { interval: 1_000 },
  storage,
};

/** What the job graph store returns for `graph`, after a trip through JSON. */
function stored(jobId: string, graph: JsonValue): StoredJobGraph {
  return { jobId: asJobId(jobId), revision: 1, graph: JSON.parse(JSON.stringify(graph)) as JsonValue };
}

describe('stored jobs', () => {
  it('keeps jobs of operator tasks in format version 1, which earlier job managers read, and dataflow jobs in version 2', () => {
    expect(encodeStoredJob({ definition: taskJob, firstCheckpointId: 1 })).to.deep.include({ formatVersion: 1 });
    expect(encodeStoredJob({ definition: dataflowJob, firstCheckpointId: 3 })).to.deep.include({ formatVersion: 2 });
    expect(decodeStoredJob(stored('orders', encodeStoredJob({ definition: taskJob, firstCheckpointId: 1 })))).to.deep.equal({ definition: taskJob, firstCheckpointId: 1 });
    expect(decodeStoredJob(stored('words', encodeStoredJob({ definition: dataflowJob, firstCheckpointId: 3 })))).to.deep.equal({ definition: dataflowJob, firstCheckpointId: 3 });
  });

  it('refuses a dataflow job under version 1, a version it does not know, and a dataflow it would not accept', () => {
    const refusal = (graph: JsonValue): CorruptStateError => {
      try {
        decodeStoredJob(stored('words', graph));
      } catch (error) {
        expect(error).to.be.instanceOf(CorruptStateError);
        return error as CorruptStateError;
      }
      throw new Error('expected the stored job to be refused');
    };
    const encoded = encodeStoredJob({ definition: dataflowJob, firstCheckpointId: 3 }) as { readonly [key: string]: JsonValue };
    expect(refusal({ ...encoded, formatVersion: 1 }).message).to.include('job graph words (revision 1)').and.include('has format version 1, which holds no dataflow jobs, but holds one');
    expect(refusal({ ...encoded, formatVersion: 3 }).message).to.include('has format version 3; this build reads versions 1 and 2');
    const cyclic = { ...dataflowJob, dataflow: { vertices: [...dataflowJob.dataflow.vertices, { name: 'loop', operator: 'loop', parallelism: 1, inputs: [{ from: 'loop', partitioning: 'forward' }] }] } };
    expect(refusal({ ...encoded, definition: cyclic as unknown as JsonValue }).message).to.include("holds an invalid job definition: JobDefinition.dataflow.vertices[2].inputs[0].from closes a cycle: 'loop' → 'loop'");
  });
});
