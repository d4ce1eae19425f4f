import { InvalidOptionError } from '../core/invalid-option-error.js';
import type { JsonValue } from '../core/json.js';
import type { StoredJobGraph } from '../ha/stored-job-graph.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';
import { validateJobDefinition, type JobDefinition } from './job-definition.js';

/**
 * The newest format version of what a job manager puts into the job graph store: 2 holds a job of operator tasks or a
 * dataflow job. Jobs of operator tasks are still written as version 1, which job managers of earlier builds read; a
 * dataflow job is version 2, which they refuse with a clear error instead of misreading it.
 */
export const STORED_JOB_FORMAT_VERSION = 2;

/** The version that holds only jobs of operator tasks. */
const TASKS_ONLY_FORMAT_VERSION = 1;

/** A submitted job as the job graph store keeps it. */
export interface StoredJob {
  readonly definition: JobDefinition;
  /**
   * The first checkpoint id of this submission: `chk-<id>` directories below it are earlier runs' retained checkpoints
   * (a user may restore from them), which recovery never sweeps.
   */
  readonly firstCheckpointId: number;
}

/** The job graph store's JSON for a submitted job, with its format version. */
export function encodeStoredJob(job: StoredJob): JsonValue {
  const formatVersion = job.definition.dataflow === undefined ? TASKS_ONLY_FORMAT_VERSION : STORED_JOB_FORMAT_VERSION;
  return { formatVersion, firstCheckpointId: job.firstCheckpointId, definition: job.definition as unknown as JsonValue };
}

/**
 * Reads a job back from the job graph store (format version 1 or 2), checking its definition as a submission is checked.
 * @throws CorruptStateError naming the entry (`job graph <jobId>`) when it is of another version or not a valid job.
 */
export function decodeStoredJob(stored: StoredJobGraph): StoredJob {
  const where = `job graph ${stored.jobId} (revision ${stored.revision})`;
  const graph = stored.graph;
  if (typeof graph !== 'object' || graph === null || Array.isArray(graph)) throw new CorruptStateError(where, 'is not a job manager\'s record (an object with formatVersion)');
  const record = graph as { readonly [key: string]: JsonValue };
  if (record.formatVersion !== TASKS_ONLY_FORMAT_VERSION && record.formatVersion !== STORED_JOB_FORMAT_VERSION) {
    throw new CorruptStateError(where, `has format version ${JSON.stringify(record.formatVersion)}; this build reads versions ${TASKS_ONLY_FORMAT_VERSION} and ${STORED_JOB_FORMAT_VERSION}`);
  }
  const first = record.firstCheckpointId;
  if (typeof first !== 'number' || !Number.isSafeInteger(first) || first < 1) throw new CorruptStateError(where, `has firstCheckpointId ${JSON.stringify(first)}; expected a positive integer`);
  let definition: JobDefinition;
  try {
    definition = validateJobDefinition(record.definition);
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new CorruptStateError(where, `holds an invalid job definition: ${error.message}`);
    throw error;
  }
  if (record.formatVersion === TASKS_ONLY_FORMAT_VERSION && definition.dataflow !== undefined) {
    throw new CorruptStateError(where, `has format version ${TASKS_ONLY_FORMAT_VERSION}, which holds no dataflow jobs, but holds one`);
  }
  if (definition.jobId !== stored.jobId) throw new CorruptStateError(where, `holds the definition of job '${definition.jobId}'`);
  return { definition, firstCheckpointId: first };
}
