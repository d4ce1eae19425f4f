import type { JobId } from '../core/ids.js';

/** What a job graph watch reports: a graph stored (first time or replaced) or removed, by any instance. */
export type JobGraphChange =
  | { readonly type: 'added'; readonly jobId: JobId; readonly revision: number }
  | { readonly type: 'removed'; readonly jobId: JobId };
