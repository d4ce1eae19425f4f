import type { TaskId } from '../core/ids.js';
import { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import type { TriggerRequest } from './trigger-request.js';

/** What the decider needs to know of the coordinator when it decides. */
export interface TriggerView {
  /** 'running' unless the job is being restored or has ended (then `endedWith` names its status). */
  readonly phase: 'running' | 'restoring' | 'ended';
  readonly endedWith: string | null;
  readonly taskCount: number;
  /** Tasks that are not running now (empty when every task runs). */
  readonly tasksNotRunning: readonly TaskId[];
  /** Pending checkpoints, savepoints not counted. */
  readonly pendingCheckpoints: number;
  readonly pendingDiscards: number;
  /** When the latest checkpoint completed (clock time), or -Infinity. */
  readonly lastCompletionTime: number;
  readonly now: number;
}

/** The limits the decider applies. */
export interface TriggerLimits {
  readonly maxConcurrent: number;
  readonly minPause: number;
  readonly maxPendingDiscards: number;
  readonly maxQueuedRequests: number;
}

/** A request the decider refuses, with the reason and a message saying why. */
export interface Refusal {
  readonly request: TriggerRequest;
  readonly reason: CheckpointFailureReason;
  readonly message: string;
}

/** What to do with the queue now: start at most one request, refuse some, and when to look again. */
export interface TriggerDecision {
  readonly start: TriggerRequest | null;
  readonly refused: readonly Refusal[];
  /** The requests left waiting, in order. */
  readonly waiting: readonly TriggerRequest[];
  /** When a minimum pause ends and a waiting periodic request may start; null when nothing waits on the clock. */
  readonly wakeUpAt: number | null;
}

type Admission = { readonly verdict: 'run' } | { readonly verdict: 'wait'; readonly until: number | null } | { readonly verdict: 'refuse'; readonly reason: CheckpointFailureReason; readonly message: string };

/**
 * Whether one request may start now: refused when the coordinator is not running, has no task, has a task that is not
 * running, or too many deletions are backlogged; waiting while `maxConcurrent` checkpoints are pending (savepoints are
 * exempt) or, for periodic requests, while the minimum pause after the last completion lasts.
 */
export function admit(request: TriggerRequest, view: TriggerView, limits: TriggerLimits): Admission {
  if (view.phase === 'ended') return { verdict: 'refuse', reason: CheckpointFailureReason.COORDINATOR_SHUTDOWN, message: `the coordinator is shut down (job ${view.endedWith ?? 'ended'})` };
  if (view.taskCount === 0) return { verdict: 'refuse', reason: CheckpointFailureReason.NO_TASKS, message: 'no task is registered' };
  if (view.phase === 'restoring' || view.tasksNotRunning.length > 0) {
    const waitingFor = view.tasksNotRunning.length > 0 ? `waiting for ${view.tasksNotRunning.join(', ')}` : 'the job is being restored';
    return { verdict: 'refuse', reason: CheckpointFailureReason.NOT_ALL_TASKS_RUNNING, message: `not every task is running (${waitingFor})` };
  }
  if (view.pendingDiscards > limits.maxPendingDiscards) {
    return {
      verdict: 'refuse', reason: CheckpointFailureReason.TOO_MANY_PENDING_DISCARDS,
      message: `${view.pendingDiscards} state deletions are backlogged (maxPendingDiscards is ${limits.maxPendingDiscards})`,
    };
  }
  if (request.kind === 'savepoint') return { verdict: 'run' };
  if (view.pendingCheckpoints >= limits.maxConcurrent) return { verdict: 'wait', until: null };
  if (request.kind === 'periodic') {
    const pauseEnds = view.lastCompletionTime + limits.minPause;
    if (view.now < pauseEnds) return { verdict: 'wait', until: pauseEnds };
  }
  return { verdict: 'run' };
}

/**
 * Decides what to do with the queued trigger requests, oldest first: the first that may run starts (one at a time:
 * nothing starts while `triggerInProgress`), those that can never run now are refused, the rest wait. A pure function
 * of the queue, the coordinator's view and the time, so specs can drive it without an actor system.
 */
export function decideTriggers(queue: readonly TriggerRequest[], view: TriggerView, limits: TriggerLimits, triggerInProgress: boolean): TriggerDecision {
  if (triggerInProgress) return { start: null, refused: [], waiting: queue, wakeUpAt: null };
  const refused: Refusal[] = [];
  const waiting: TriggerRequest[] = [];
  let start: TriggerRequest | null = null;
  let wakeUpAt: number | null = null;
  for (const request of queue) {
    if (start !== null) {
      waiting.push(request);
      continue;
    }
    const admission = admit(request, view, limits);
    if (admission.verdict === 'run') start = request;
    else if (admission.verdict === 'refuse') refused.push({ request, reason: admission.reason, message: admission.message });
    else {
      waiting.push(request);
      if (admission.until !== null) wakeUpAt = wakeUpAt === null ? admission.until : Math.min(wakeUpAt, admission.until);
    }
  }
  return { start, refused, waiting, wakeUpAt };
}

/**
 * Whether a new request joins the queue: refused when `maxQueuedRequests` wait already; a periodic request is dropped
 * (coalesced) while another periodic request waits.
 */
export function decideEnqueue(queue: readonly TriggerRequest[], request: TriggerRequest, limits: TriggerLimits): 'join' | 'coalesce' | Refusal {
  if (request.kind === 'periodic' && queue.some((queued) => queued.kind === 'periodic')) return 'coalesce';
  if (queue.length >= limits.maxQueuedRequests) {
    return {
      request, reason: CheckpointFailureReason.TOO_MANY_QUEUED_REQUESTS,
      message: `${queue.length} trigger requests are already queued (maxQueuedRequests is ${limits.maxQueuedRequests})`,
    };
  }
  return 'join';
}
