import { loadOperatorKind } from '../blob/operator-bundle.js';
import { OperatorKindNotFoundError } from '../blob/operator-kind-not-found-error.js';
import type { BlobStore } from '../blob/blob-store.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { inputsOf, kindOf, Partitioning, roleOf } from './dataflow-definition.js';
import type { DataflowKinds } from './dataflow-kind.js';
import type { DataflowJobDefinition } from './job-definition.js';

/** A group of kinds: how the job definition names its members, and where a job manager registers them. */
interface KindGroup {
  readonly what: string;
  readonly option: keyof DataflowKinds;
}

const GROUPS = {
  source: { what: 'source kind', option: 'sources' },
  operator: { what: 'operator kind', option: 'operators' },
  sink: { what: 'sink kind', option: 'sinks' },
  keySelector: { what: 'key selector kind', option: 'keySelectors' },
} as const satisfies Record<string, KindGroup>;

/**
 * Every kind a dataflow job names (its vertices' source, operator and sink kinds, its edges' key selectors): registered
 * in this job manager (`JobManagerOptions.dataflow`), or else exported under that name by the job's operator bundle
 * (fetched from the blob store's HA copy when this job manager does not have it yet).
 * @throws InvalidOptionError naming the field of a kind that is in neither (e.g. `JobDefinition.dataflow.vertices[1].operator`),
 *   with the kinds this job manager registers; Error when the job has a bundle but no blob store was given; what the blob
 *   store throws when the bundle cannot be fetched or imported.
 */
export async function resolveDataflowKinds(definition: DataflowJobDefinition, registered: DataflowKinds, blobs: BlobStore | null): Promise<DataflowKinds> {
  // Filled by name from registrations and bundle exports, whose signatures cannot be checked: typed as the kinds at the end.
  const resolved: Record<keyof DataflowKinds, Map<string, unknown>> = { sources: new Map(), operators: new Map(), sinks: new Map(), keySelectors: new Map() };
  const bundle = definition.operatorBundle ?? null;
  const resolve = async (group: KindGroup, name: string, field: string): Promise<void> => {
    const into = resolved[group.option];
    if (into.has(name)) return;
    const local = registered[group.option].get(name);
    if (local !== undefined) {
      into.set(name, local);
      return;
    }
    const unknown = (): InvalidOptionError => {
      const known = [...registered[group.option].keys()].sort();
      return new InvalidOptionError(field, `names ${group.what} '${name}', which this job manager does not register` +
        (bundle === null ? ' and the job has no operatorBundle' : ` and operator bundle ${bundle} does not export`) +
        `; registered ${group.what}s: ${known.length === 0 ? '(none)' : known.join(', ')}. Register it in every job manager (JobManagerOptions.dataflow.${group.option}) or export it from the job's operator bundle`);
    };
    if (bundle === null) throw unknown();
    if (blobs === null) {
      throw new Error(`job ${definition.jobId} loads ${group.what} '${name}' from operator bundle ${bundle}, but this job manager has no blob store: pass JobManagerOptions.blobs (sharing the other job managers' HA copy)`);
    }
    try {
      into.set(name, await loadOperatorKind(blobs, definition.jobId, bundle, name));
    } catch (error) {
      if (error instanceof OperatorKindNotFoundError) throw unknown();
      throw error;
    }
  };
  const field = 'JobDefinition.dataflow.vertices';
  for (const [index, vertex] of definition.dataflow.vertices.entries()) {
    const role = roleOf(vertex);
    await resolve(GROUPS[role], kindOf(vertex), `${field}[${index}].${role}`);
    for (const [position, input] of inputsOf(vertex).entries()) {
      if (input.partitioning === Partitioning.KEY_BY && 'keySelector' in input) await resolve(GROUPS.keySelector, input.keySelector, `${field}[${index}].inputs[${position}].keySelector`);
    }
  }
  return resolved as unknown as DataflowKinds;
}
