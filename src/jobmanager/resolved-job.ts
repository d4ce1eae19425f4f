import type { DataflowJobOptions } from '../dataflow/dataflow-job.js';
import type { JobGraph } from '../dataflow/job-graph.js';
import { dataflowGraphOf } from './dataflow-graph.js';
import { resolveDataflowKinds } from './dataflow-kinds.js';
import type { JobDefinition } from './job-definition.js';
import type { JobManagerSettings } from './job-manager-options.js';
import type { OperatorKindFactory } from './operator-kind.js';
import { resolveOperatorKinds } from './operator-kinds.js';

/** What the names of a job definition stand for in this job manager: what its runs are built from. */
export type ResolvedJob =
  /** Operator tasks: the operator kind of every task, by name. */
  | { readonly type: 'tasks'; readonly kinds: ReadonlyMap<string, OperatorKindFactory> }
  /** A dataflow: the runtime's graph, built from the resolved kinds, and how it runs (the job manager adds its clock). */
  | { readonly type: 'dataflow'; readonly graph: JobGraph; readonly options: Omit<DataflowJobOptions, 'clock'> };

/**
 * Resolves the kinds a checked job definition names (registered here, or exported by its operator bundle) and, for a
 * dataflow job, builds its graph.
 * @throws UnknownOperatorKindError (tasks) or InvalidOptionError naming the field (dataflow) for a kind that is in
 *   neither; what loading the operator bundle throws.
 */
export async function resolveJob(definition: JobDefinition, settings: JobManagerSettings): Promise<ResolvedJob> {
  if (definition.dataflow === undefined) return { type: 'tasks', kinds: await resolveOperatorKinds(definition, settings.operators, settings.blobs) };
  const kinds = await resolveDataflowKinds(definition, settings.dataflow, settings.blobs);
  const { mode, pace, maxInFlightMessages } = definition.dataflow;
  return {
    type: 'dataflow',
    graph: dataflowGraphOf(definition, kinds),
    options: { ...(mode === undefined ? {} : { mode }), ...(pace === undefined ? {} : { pace }), ...(maxInFlightMessages === undefined ? {} : { maxInFlightMessages }) },
  };
}
