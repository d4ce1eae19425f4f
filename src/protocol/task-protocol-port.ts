import type { CheckpointId } from '../core/ids.js';
import { errorMessage } from '../core/error-message.js';
import type { JsonValue } from '../core/json.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';
import { reporterOf, type TaskDeploymentContext } from './task-deployment.js';
import type { TaskToCoordinatorMessage } from './task-protocol.js';

/**
 * A task attempt's side of the checkpoint protocol, for every kind of task (the operator harness and the dataflow
 * tasks alike): which coordinator messages are its own, and how it acknowledges, declines and reports its failure.
 * Messages go through the deployment's batched `report` when it has one.
 */
export class TaskProtocolPort {
  private readonly report: (message: TaskToCoordinatorMessage) => void;
  private failureReported = false;

  constructor(readonly context: TaskDeploymentContext) {
    this.report = reporterOf(context);
  }

  /** True for messages addressed to this job and attempt; others (a previous attempt's, another job's) are ignored. */
  isForThisAttempt(message: { readonly jobId: string; readonly attemptId: string }): boolean {
    return message.jobId === this.context.jobId && message.attemptId === this.context.attemptId;
  }

  acknowledge(checkpointId: CheckpointId, state: TaskStateSnapshot): void {
    const { jobId, taskId, attemptId } = this.context;
    this.report({ type: 'AcknowledgeCheckpoint', jobId, taskId, attemptId, checkpointId, state });
  }

  /** Acknowledges with operator state kept inline and no keyed state. */
  acknowledgeValue(checkpointId: CheckpointId, value: JsonValue): void {
    this.acknowledge(checkpointId, { operatorState: { kind: 'inline', value }, keyedState: [] });
  }

  /** Declines `checkpointId`; `cause` is a reason, or what the snapshot threw. */
  decline(checkpointId: CheckpointId, cause: unknown): void {
    const { jobId, taskId, attemptId } = this.context;
    this.report({ type: 'DeclineCheckpoint', jobId, taskId, attemptId, checkpointId, reason: typeof cause === 'string' ? cause : errorMessage(cause) });
  }

  /** Reports that this attempt failed; only the first report of an attempt is sent. */
  reportFailure(error: string): void {
    if (this.failureReported) return;
    this.failureReported = true;
    const { jobId, taskId, attemptId } = this.context;
    this.report({ type: 'TaskFailed', jobId, taskId, attemptId, error });
  }

  /**
   * The operator value in a restored task state, or null when there is none.
   * @throws Error when the operator state lives in a file, which a task keeping its state inline cannot read.
   */
  restoredValue(state: TaskStateSnapshot | null): JsonValue | null {
    const handle = state?.operatorState ?? null;
    if (handle === null) return null;
    if (handle.kind === 'inline') return handle.value;
    if (handle.kind === 'bytes') return JSON.parse(Buffer.from(handle.data, 'base64').toString('utf8')) as JsonValue;
    throw new Error(`task ${this.context.taskId}: its restored operator state is in file ${handle.path}; keep operator state inline (or in bytes) and larger state keyed`);
  }
}
