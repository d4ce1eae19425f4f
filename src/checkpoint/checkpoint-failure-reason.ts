/**
 * Why a checkpoint could not be triggered or was aborted. `preFlight` reasons happen before any
 * task was reached; only `countsAsFailure` reasons count toward `tolerableFailures`.
 */
export const CheckpointFailureReason = {
  /** The coordinator was shut down, or the job failed for good. */
  COORDINATOR_SHUTDOWN: 'coordinator-shutdown',
  /** A task is not running (it failed and waits for its restart), or the job is being restored. */
  NOT_ALL_TASKS_RUNNING: 'not-all-tasks-running',
  NO_TASKS: 'no-tasks',
  /** `maxQueuedRequests` trigger requests were already waiting. */
  TOO_MANY_QUEUED_REQUESTS: 'too-many-queued-requests',
  /** More than `maxPendingDiscards` deletions are backlogged (FLINK-17073). */
  TOO_MANY_PENDING_DISCARDS: 'too-many-pending-discards',
  /** The request itself was malformed (e.g. a savepoint retention that is no policy); nothing was triggered. */
  INVALID_REQUEST: 'invalid-request',
  EXPIRED: 'expired',
  DECLINED: 'declined',
  SUBSUMED: 'subsumed',
  /** Completing the checkpoint failed inside the coordinator (e.g. a placeholder no retained checkpoint registered). */
  FINALIZE_FAILURE: 'finalize-failure',
  /** The id counter, the metadata write or the store add failed. */
  IO_FAILURE: 'io-failure',
  TASK_FAILURE: 'task-failure',
  JOB_FAILOVER: 'job-failover',
} as const;
export type CheckpointFailureReason = (typeof CheckpointFailureReason)[keyof typeof CheckpointFailureReason];

const PRE_FLIGHT: ReadonlySet<CheckpointFailureReason> = new Set<CheckpointFailureReason>([
  CheckpointFailureReason.COORDINATOR_SHUTDOWN,
  CheckpointFailureReason.NOT_ALL_TASKS_RUNNING,
  CheckpointFailureReason.NO_TASKS,
  CheckpointFailureReason.TOO_MANY_QUEUED_REQUESTS,
  CheckpointFailureReason.TOO_MANY_PENDING_DISCARDS,
  CheckpointFailureReason.INVALID_REQUEST,
]);

const COUNTED: ReadonlySet<CheckpointFailureReason> = new Set<CheckpointFailureReason>([
  CheckpointFailureReason.EXPIRED,
  CheckpointFailureReason.DECLINED,
  CheckpointFailureReason.FINALIZE_FAILURE,
  CheckpointFailureReason.IO_FAILURE,
]);

/** True when the reason arose before any task was asked to snapshot. */
export function isPreFlight(reason: CheckpointFailureReason): boolean {
  return PRE_FLIGHT.has(reason);
}

/** True for declined, expired, finalize and I/O failures: the only reasons counted toward `tolerableFailures`. */
export function countsAsFailure(reason: CheckpointFailureReason): boolean {
  return COUNTED.has(reason);
}
