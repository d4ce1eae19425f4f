import { createHash } from 'node:crypto';
import type { JobStatus } from '../../../src/core/job-status.js';
import type { HighAvailabilityOptions } from '../../../src/ha/high-availability-options.js';
import type { JobDefinition } from '../../../src/jobmanager/job-definition.js';

/** How the parent configures a child. */
export interface JobManagerChildConfig {
  readonly name: string;
  /** HA options as JSON; for postgres, `applicationName` names the child's own connections (so a spec can terminate them). */
  readonly ha: HighAvailabilityOptions & { readonly applicationName?: string };
  /** A job to submit once started, or null. */
  readonly submit: JobDefinition | null;
}

/** What the parent may ask on stdin. */
export type JobManagerChildCommand =
  | { readonly cmd: 'checkpoint'; readonly jobId: string }
  | { readonly cmd: 'savepoint'; readonly jobId: string; readonly targetDirectory?: string }
  | { readonly cmd: 'terminate'; readonly jobId: string; readonly status: JobStatus }
  /** Writes the job's graph again with the leadership this process last started the job with (a stale one after a takeover). */
  | { readonly cmd: 'write-with-last-session'; readonly jobId: string }
  | { readonly cmd: 'close' };

/** The digest of an empty state: what a task restored without a checkpoint reports. */
export const EMPTY_DIGEST = createHash('sha256').update(JSON.stringify([])).digest('hex').slice(0, 16);
