import { tell, type TypedRef } from '../actor/typed-ref.js';
import type { CheckpointId } from '../core/ids.js';
import type { RestoreState } from '../protocol/task-protocol.js';
import type { TaskProtocolPort } from '../protocol/task-protocol-port.js';
import type { DataflowTaskMessage } from './dataflow-message.js';
import { InjectedFailureError } from './injected-failure-error.js';
import { RecordWriter } from './record-writer.js';
import type { ReplayableSource } from './replayable-source.js';
import { restoreRoundOf } from './restore-round.js';
import type { TaskEnvironment } from './task-environment.js';
import type { SourceTaskPlan } from './task-plan.js';

/** A source task's checkpointed state: where to read next, and whether the input was exhausted there. */
export type SourcePosition = {
  readonly offset: number;
  readonly end: boolean;
};

type SourcePhase = 'waiting-for-restore' | 'emitting' | 'finished';

/** True when a JSON value read from a checkpoint is a {@link SourcePosition}. */
export function isSourcePosition(value: unknown): value is SourcePosition {
  if (typeof value !== 'object' || value === null) return false;
  const { offset, end } = value as Record<string, unknown>;
  return typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0 && typeof end === 'boolean';
}

/**
 * One attempt of a source task: the state behind its actor. It emits batches of `recordsPerStep` records, one batch
 * per self-message, so TriggerCheckpoint interleaves with emission. On TriggerCheckpoint it snapshots its position,
 * sends barrier n after everything it emitted before, and acknowledges. On RestoreState it moves to the epoch of the restore round
 * and starts emitting again from the restored position. A redeployed attempt emits nothing until its RestoreState.
 */
export class SourceTask {
  private offset = 0;
  private end = false;
  private phase: SourcePhase;
  private loop = 0;
  private readonly writer: RecordWriter;
  private readonly source: ReplayableSource<unknown>;

  constructor(
    private readonly plan: SourceTaskPlan,
    private readonly env: TaskEnvironment,
    private readonly port: TaskProtocolPort,
    private readonly self: TypedRef<DataflowTaskMessage>,
    redeployed: boolean,
  ) {
    this.writer = new RecordWriter(plan.outputs, env.directory, env.flow, plan.subtask);
    this.source = plan.source(plan.subtask, plan.parallelism);
    this.phase = 'waiting-for-restore';
    if (!redeployed) this.startEmitting();
  }

  handle(message: DataflowTaskMessage): void {
    if (message.type !== 'ProbeTask') this.env.metrics.handledMessages += 1;
    switch (message.type) {
      case 'EmitStep':
        if (message.token === this.loop && this.phase === 'emitting') this.step();
        return;
      case 'TriggerCheckpoint':
        if (!this.port.isForThisAttempt(message)) return;
        if (this.phase === 'waiting-for-restore') this.port.decline(message.checkpointId, 'this source attempt was redeployed and has not received its RestoreState yet');
        else this.snapshot(message.checkpointId);
        return;
      case 'RestoreState':
        if (this.port.isForThisAttempt(message)) this.restore(message);
        return;
      case 'ProbeTask': {
        const { taskId, attemptId } = this.port.context;
        tell(message.replyTo, { status: 'running', taskId, attemptId, epoch: this.writer.epoch, aligning: null, held: 0 });
        return;
      }
      case 'PoisonPill':
        throw new InjectedFailureError(this.port.context.taskId, message.reason);
      case 'Records':
      case 'Barrier':
        this.env.flow.handled(message.epoch);
        return;
      case 'NotifyCheckpointComplete':
      case 'NotifyCheckpointAborted':
        return;
    }
  }

  private step(): void {
    const loop = this.loop;
    if (!this.env.flow.mayEmit(this.writer.epoch, () => tell(this.self, { type: 'EmitStep', token: loop }))) return;
    const { records, end } = this.source.read(this.offset, this.plan.pace.recordsPerStep);
    for (const record of records) this.writer.collect(record);
    this.writer.flush();
    this.offset += records.length;
    this.env.metrics.addRecordsIn(this.plan.vertexIndex, records.length);
    if (end) {
      this.end = true;
      this.phase = 'finished';
    } else {
      this.scheduleStep();
    }
  }

  private snapshot(checkpointId: CheckpointId): void {
    const position: SourcePosition = { offset: this.offset, end: this.end };
    this.writer.broadcastBarrier(checkpointId);
    this.port.acknowledgeValue(checkpointId, position);
  }

  private restore(message: RestoreState): void {
    const value = this.port.restoredValue(message.state);
    if (value !== null && !isSourcePosition(value)) {
      throw new Error(`task ${this.port.context.taskId}: checkpoint ${message.checkpointId} holds ${JSON.stringify(value)}, which is not a source position { offset, end }`);
    }
    this.writer.enterRound(restoreRoundOf(message, this.writer.epoch));
    this.offset = value?.offset ?? 0;
    this.end = value?.end ?? false;
    this.startEmitting();
  }

  /** Starts a new emission loop (an older loop's pending steps are ignored from now on). */
  private startEmitting(): void {
    this.loop += 1;
    this.phase = this.end ? 'finished' : 'emitting';
    if (this.phase === 'emitting') this.scheduleStep();
  }

  private scheduleStep(): void {
    const message: DataflowTaskMessage = { type: 'EmitStep', token: this.loop };
    const delay = this.plan.pace.stepDelayMs;
    if (delay === 0) tell(this.self, message);
    else this.env.clock.schedule(delay, () => tell(this.self, message));
  }
}
