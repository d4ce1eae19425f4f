import type { CoordinatorEvent } from '../coordinator/coordinator-event.js';
import type { JobStatus } from '../core/job-status.js';
import type { LeaderSession } from '../ha/leader-session.js';
import type { LeadershipLossReason } from '../ha/leadership-loss-reason.js';
import type { AdoptedRestorePoint } from '../recovery/prepare-high-availability-checkpointing.js';

/** What a job manager reports to its `onEvent` listener. Nothing that goes wrong is only logged. */
export type JobManagerEvent =
  /** A submission was persisted in the job graph store (before anything ran). */
  | { readonly type: 'job-submitted'; readonly jobId: string }
  /** This job manager leads the job now and recovered it; it restores its tasks from `restoredCheckpointId`. */
  | {
    readonly type: 'job-started';
    readonly jobId: string;
    /** The leadership its writes carry (`generation` is the fencing token). */
    readonly session: LeaderSession;
    /** The checkpoint (or savepoint) the tasks are restored from, null when they start empty. */
    readonly restoredCheckpointId: number | null;
    /** The savepoint or retained checkpoint adopted on this (first) start, or null. */
    readonly restoredFrom: AdoptedRestorePoint | null;
    readonly orphansRemoved: number;
    /** Why recovery swept nothing, or null. */
    readonly sweepSkipped: string | null;
  }
  /** Leading the job, this job manager could not start it; another one may try (this one contends again after `retryDelay`). */
  | { readonly type: 'job-start-failed'; readonly jobId: string; readonly error: string }
  /** The leadership was lost (or given up): the coordinator shut down SUSPENDED, keeping every checkpoint for the next leader. */
  | { readonly type: 'job-suspended'; readonly jobId: string; readonly reason: LeadershipLossReason }
  /** The job reached a terminal state here: checkpoints shut down by their retention, its graph removed. */
  | { readonly type: 'job-terminated'; readonly jobId: string; readonly jobStatus: JobStatus }
  /** This job manager no longer follows the job: it ended, its graph was removed, or the job manager is closing. */
  | { readonly type: 'job-unfollowed'; readonly jobId: string }
  /** What the job's coordinator reported. */
  | { readonly type: 'coordinator-event'; readonly jobId: string; readonly event: CoordinatorEvent }
  /** A leader election, the job graph watch, or a clean-up failed (they are retried where that makes sense). */
  | { readonly type: 'error'; readonly jobId: string | null; readonly message: string };
