import type { JobId } from '../core/ids.js';
import type { JsonValue } from '../core/json.js';

/**
 * A submitted job as the job graph store keeps it: opaque JSON that the job manager defines (operator kinds
 * registered by name, their configuration, the checkpoint options), and a revision that each put increments.
 */
export interface StoredJobGraph {
  readonly jobId: JobId;
  readonly revision: number;
  readonly graph: JsonValue;
}
