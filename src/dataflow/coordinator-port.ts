import type { CheckpointId } from '../core/ids.js';
import type { JsonValue } from '../core/json.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';
import { reporterOf, type TaskDeploymentContext } from '../protocol/task-deployment.js';
import type { TaskToCoordinatorMessage } from '../protocol/task-protocol.js';
import { errorMessage } from '../core/error-message.js';

/** A task attempt's side of the checkpoint protocol: which coordinator messages are its own, and how it acknowledges or declines. */
export class CoordinatorPort {
  private readonly report: (message: TaskToCoordinatorMessage) => void;

  constructor(readonly context: TaskDeploymentContext) {
    this.report = reporterOf(context);
  }

  /** True for messages addressed to this job and attempt; others (a previous attempt's, another job's) are ignored. */
  isForThisAttempt(message: { readonly jobId: string; readonly attemptId: string }): boolean {
    return message.jobId === this.context.jobId && message.attemptId === this.context.attemptId;
  }

  acknowledge(checkpointId: CheckpointId, value: JsonValue): void {
    const { jobId, taskId, attemptId } = this.context;
    const state: TaskStateSnapshot = { operatorState: { kind: 'inline', value }, keyedState: [] };
    this.report({ type: 'AcknowledgeCheckpoint', jobId, taskId, attemptId, checkpointId, state });
  }

  /** Declines `checkpointId`; `cause` is a reason, or what `snapshotState` threw. */
  decline(checkpointId: CheckpointId, cause: unknown): void {
    const { jobId, taskId, attemptId } = this.context;
    const reason = typeof cause === 'string' ? cause : `snapshotState threw: ${errorMessage(cause)}`;
    this.report({ type: 'DeclineCheckpoint', jobId, taskId, attemptId, checkpointId, reason });
  }

  /** The operator value in a restored task state, or null when there is none. @throws Error when the state lives in a file (dataflow tasks keep it inline). */
  restoredValue(state: TaskStateSnapshot | null): JsonValue | null {
    const handle = state?.operatorState ?? null;
    if (handle === null) return null;
    if (handle.kind === 'inline') return handle.value;
    if (handle.kind === 'bytes') return JSON.parse(Buffer.from(handle.data, 'base64').toString('utf8')) as JsonValue;
    throw new Error(`task ${this.context.taskId}: its restored state is in file ${handle.path}, but dataflow tasks keep their state inline`);
  }
}
