import { tell, type TypedRef } from '../actor/typed-ref.js';
import { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import type { CheckpointOutcome, RestoreOutcome } from './checkpoint-outcome.js';
import { describeMalformedMessage } from './message-validation.js';

/**
 * Answers a malformed client request whose `replyTo` is still a usable ref with what was wrong, in the shape its
 * reply takes, so its sender does not wait for nothing: a checkpoint or savepoint request gets a failed outcome
 * (`invalid-request`), a restore request a failed restore, a task registration an error. Other requests, and messages
 * without a usable reply ref, get no answer.
 */
export function replyToMalformedRequest(message: unknown, problem: string): void {
  const request = message as Partial<Record<'type' | 'replyTo', unknown>>;
  if (typeof request !== 'object' || request === null || describeMalformedMessage({ ...request, type: 'GetTasks' }) !== null) return;
  const replyTo = request.replyTo as TypedRef<never>;
  if (request.type === 'TriggerCheckpointNow' || request.type === 'TriggerSavepoint') {
    tell(replyTo as TypedRef<CheckpointOutcome>, { status: 'failed', checkpointId: null, reason: CheckpointFailureReason.INVALID_REQUEST, message: problem });
  } else if (request.type === 'RestoreLatestCheckpoint') {
    tell(replyTo as TypedRef<RestoreOutcome>, { status: 'failed', message: problem });
  } else if (request.type === 'RegisterTask') {
    tell(replyTo as TypedRef<{ readonly error: string }>, { error: problem });
  }
}
