import type { Cancellable } from '../actor/clock.js';
import type { TypedRef } from '../actor/typed-ref.js';
import type { JobStatus } from '../core/job-status.js';
import type { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import type { RestoreOutcome } from '../protocol/checkpoint-outcome.js';

/**
 * Where the coordinator is in its life. Running: checkpoints are triggered. Restoring: a failure (or a request) stopped
 * the job, and every task is restored from the latest checkpoint once the restart delay has passed and finalizations in
 * flight have ended; failures meanwhile join this restore. Ended: shut down, or failed for good.
 */
export type CoordinatorPhase =
  | { readonly status: 'running' }
  | {
    readonly status: 'restoring';
    /** Tells this restore's `RunRestore` apart from an older one's. */
    readonly token: number;
    readonly reason: CheckpointFailureReason;
    readonly cause: string;
    /** Whether the periodic trigger ran when the restore began, and so runs again after it. */
    readonly resumeScheduler: boolean;
    readonly requesters: TypedRef<RestoreOutcome>[];
    timer: Cancellable | null;
  }
  | { readonly status: 'ended'; readonly jobStatus: JobStatus };
