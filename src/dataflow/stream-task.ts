import { findJsonProblem } from '../core/json-problem.js';
import { errorMessage } from '../core/error-message.js';
import { tell } from '../actor/typed-ref.js';
import type { CheckpointId } from '../core/ids.js';
import type { JsonValue } from '../core/json.js';
import type { RestoreState } from '../protocol/task-protocol.js';
import { AligningBarrierHandler } from './aligning-barrier-handler.js';
import type { BarrierHandlerTarget, CheckpointBarrierHandler } from './checkpoint-barrier-handler.js';
import { CheckpointingMode } from './checkpointing-mode.js';
import type { TaskProtocolPort } from '../protocol/task-protocol-port.js';
import type { DataflowTaskMessage, RecordBatch } from './dataflow-message.js';
import { InjectedFailureError } from './injected-failure-error.js';
import { RecordWriter } from './record-writer.js';
import type { StreamOperator } from './stream-operator.js';
import type { TaskEnvironment } from './task-environment.js';
import type { StreamTaskPlan } from './task-plan.js';
import { restoreRoundOf } from './restore-round.js';
import { TrackingBarrierHandler } from './tracking-barrier-handler.js';

/**
 * One attempt of an operator or sink task: the state behind its actor. Channel messages of the task's epoch go
 * through the barrier handler (aligning or tracking, per the job's mode) to the operator; TriggerCheckpoint is
 * ignored, because barriers, not triggers, decide when a non-source task snapshots. On a barrier complete on every
 * channel it snapshots, forwards the barrier, acknowledges, then releases what alignment held. RestoreState moves it
 * to the epoch of the restore round, forgets alignment and buffers, and restores the operator.
 */
export class StreamTask implements BarrierHandlerTarget {
  private readonly writer: RecordWriter;
  private readonly barriers: CheckpointBarrierHandler;
  private readonly operator: StreamOperator<unknown, unknown, JsonValue>;

  constructor(private readonly plan: StreamTaskPlan, private readonly env: TaskEnvironment, private readonly port: TaskProtocolPort) {
    const { context } = port;
    this.writer = new RecordWriter(plan.outputs, env.directory, env.flow, plan.subtask);
    const channels = plan.inputOfChannel.length;
    this.barriers = plan.mode === CheckpointingMode.EXACTLY_ONCE ? new AligningBarrierHandler(channels, this) : new TrackingBarrierHandler(channels, this);
    this.operator = plan.operator({ taskId: context.taskId, attemptId: context.attemptId, subtask: plan.subtask, parallelism: plan.parallelism });
  }

  handle(message: DataflowTaskMessage): void {
    if (message.type !== 'ProbeTask') this.env.metrics.handledMessages += 1;
    switch (message.type) {
      case 'Records':
      case 'Barrier':
        this.env.flow.handled(message.epoch);
        if (message.epoch !== this.writer.epoch) {
          this.env.metrics.staleMessagesDropped += 1;
          return;
        }
        this.barriers.receive(message);
        break;
      case 'NotifyCheckpointComplete':
        if (this.port.isForThisAttempt(message)) this.operator.notifyCheckpointComplete?.(message.checkpointId);
        break;
      case 'NotifyCheckpointAborted':
        if (!this.port.isForThisAttempt(message)) return;
        this.barriers.abort(message.checkpointId);
        this.operator.notifyCheckpointAborted?.(message.checkpointId);
        break;
      case 'RestoreState':
        if (this.port.isForThisAttempt(message)) this.restore(message);
        return;
      case 'ProbeTask': {
        const { taskId, attemptId } = this.port.context;
        tell(message.replyTo, { status: 'running', taskId, attemptId, epoch: this.writer.epoch, aligning: this.barriers.pendingCheckpoint, held: this.barriers.heldMessages });
        return;
      }
      case 'PoisonPill':
        throw new InjectedFailureError(this.port.context.taskId, message.reason);
      case 'TriggerCheckpoint':
      case 'EmitStep':
        return;
    }
    this.writer.flush();
  }

  processRecords(batch: RecordBatch): void {
    const input = this.plan.inputOfChannel[batch.channel];
    if (input === undefined) {
      throw new Error(`task ${this.port.context.taskId} got records on channel ${batch.channel}, but it has channels 0..${this.plan.inputOfChannel.length - 1}`);
    }
    const { operator, writer } = this;
    for (const record of batch.records) operator.processRecord(record, writer, input);
    this.env.metrics.addRecordsIn(this.plan.vertexIndex, batch.records.length);
  }

  snapshot(checkpointId: CheckpointId): void {
    let state: JsonValue;
    try {
      state = this.operator.snapshotState(checkpointId);
    } catch (error) {
      this.port.decline(checkpointId, `snapshotState threw: ${errorMessage(error)}`);
      return;
    }
    this.writer.broadcastBarrier(checkpointId);
    const problem = findJsonProblem(state);
    if (problem === null) this.port.acknowledgeValue(checkpointId, state);
    else this.port.decline(checkpointId, `snapshotState returned a value that is not JSON: ${problem}`);
  }

  private restore(message: RestoreState): void {
    this.writer.enterRound(restoreRoundOf(message, this.writer.epoch));
    this.barriers.reset();
    this.operator.restoreState(this.port.restoredValue(message.state), message.checkpointId);
  }
}
