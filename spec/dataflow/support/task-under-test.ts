import { start, stop, type Ref } from 'nact';
import { ManualClock } from '../../../src/testing/index.js';
import { tell, type TypedRef } from '../../../src/actor/typed-ref.js';
import { CheckpointRetention, CheckpointType } from '../../../src/checkpoint/checkpoint-properties.js';
import { CheckpointFailureReason } from '../../../src/checkpoint/checkpoint-failure-reason.js';
import { asAttemptId, asCheckpointId, asJobId, asTaskId, type AttemptId } from '../../../src/core/ids.js';
import type { JsonValue } from '../../../src/core/json.js';
import { CheckpointingMode } from '../../../src/dataflow/checkpointing-mode.js';
import { createDataflowJob, type DataflowJob } from '../../../src/dataflow/dataflow-job.js';
import type { DataflowTaskMessage } from '../../../src/dataflow/dataflow-message.js';
import { jobGraph, type JobGraph } from '../../../src/dataflow/job-graph.js';
import { fromArray } from '../../../src/dataflow/replayable-source.js';
import type { TaskDeploymentContext } from '../../../src/protocol/task-deployment.js';
import { RecordingEndpoint } from './recording-endpoint.js';
import { RecordingOperator } from './recording-operator.js';

const JOB = asJobId('job-1');

/** left, right → merge (two inputs: channel 0 is left, channel 1 is right) → out. */
export function twoInputGraph(input: readonly string[] = []): JobGraph {
  const graph = jobGraph();
  const left = graph.source('left', { parallelism: 1, source: fromArray(input) });
  const right = graph.source('right', { parallelism: 1, source: fromArray(input) });
  const merge = graph.operator('merge', { parallelism: 1, inputs: [left.forward(), right.forward()], operator: () => new RecordingOperator() });
  graph.sink('out', { parallelism: 1, inputs: [merge.forward()], sink: () => new RecordingOperator() });
  return graph.build();
}

/** in → map (one input) → out. */
export function oneInputGraph(input: readonly string[] = []): JobGraph {
  const graph = jobGraph();
  const source = graph.source('in', { parallelism: 1, source: fromArray(input) });
  const map = graph.operator('map', { parallelism: 1, inputs: [source.forward()], operator: () => new RecordingOperator() });
  graph.sink('out', { parallelism: 1, inputs: [map.forward()], sink: () => new RecordingOperator() });
  return graph.build();
}

/**
 * One task of a job deployed alone, in a fresh actor system with a manual clock: a RecordingEndpoint is both its
 * coordinator and its downstream task, and the spec feeds it channel and coordinator messages by hand.
 */
export class TaskUnderTest {
  readonly system: Ref<unknown> = start();
  readonly clock = new ManualClock(0);
  readonly endpoint = new RecordingEndpoint(this.system);
  readonly job: DataflowJob;
  ref!: TypedRef<DataflowTaskMessage>;
  context!: TaskDeploymentContext;
  /** The epoch stamped on channel messages the spec sends. */
  epoch = 0;
  private attempts = 0;

  constructor(graph: JobGraph, readonly taskId: string, options: { readonly mode?: CheckpointingMode; readonly recordsPerStep?: number; readonly downstream?: string } = {}) {
    this.job = createDataflowJob(this.system, graph, {
      mode: options.mode ?? CheckpointingMode.EXACTLY_ONCE,
      clock: this.clock,
      pace: { recordsPerStep: options.recordsPerStep ?? 2, stepDelayMs: 1 },
    });
    this.job.directory.register(options.downstream ?? 'out-0', this.endpoint.ref);
    this.deploy();
  }

  /** Deploys a (new) attempt of the task under test. */
  deploy(): TypedRef<DataflowTaskMessage> {
    this.attempts += 1;
    const spec = this.job.tasks.find((task) => task.taskId === this.taskId);
    if (spec === undefined) throw new Error(`the graph has no task ${this.taskId}`);
    this.context = { jobId: JOB, taskId: asTaskId(this.taskId), attemptId: asAttemptId(`attempt-${this.attempts}`), coordinator: this.endpoint.ref };
    this.ref = spec.deploy(this.context) as TypedRef<DataflowTaskMessage>;
    return this.ref;
  }

  records(channel: number, ...records: string[]): void {
    tell(this.ref, { type: 'Records', epoch: this.epoch, channel, records });
  }

  barrier(channel: number, checkpointId: number): void {
    tell(this.ref, { type: 'Barrier', epoch: this.epoch, channel, checkpointId: asCheckpointId(checkpointId) });
  }

  trigger(checkpointId: number, attemptId: AttemptId = this.context.attemptId): void {
    const properties = { type: CheckpointType.CHECKPOINT, retention: CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION, forced: false };
    tell(this.ref, { type: 'TriggerCheckpoint', ...this.envelope(checkpointId, attemptId), timestamp: this.clock.now(), properties });
  }

  abort(checkpointId: number, attemptId: AttemptId = this.context.attemptId): void {
    tell(this.ref, { type: 'NotifyCheckpointAborted', ...this.envelope(checkpointId, attemptId), reason: CheckpointFailureReason.EXPIRED });
  }

  complete(checkpointId: number): void {
    tell(this.ref, { type: 'NotifyCheckpointComplete', ...this.envelope(checkpointId, this.context.attemptId) });
  }

  /**
   * Sends RestoreState with `value` as the task's inline state (null: start empty), stamped with `restoreRound` when
   * given as the coordinator does (without one, the task moves to its next epoch).
   */
  restore(checkpointId: number | null, value: JsonValue | null, restoreRound?: number): void {
    const { jobId, taskId, attemptId } = this.context;
    const state = value === null ? null : { operatorState: { kind: 'inline' as const, value }, keyedState: [] };
    tell(this.ref, { type: 'RestoreState', jobId, taskId, attemptId, checkpointId: checkpointId === null ? null : asCheckpointId(checkpointId), state, ...(restoreRound === undefined ? {} : { restoreRound }) });
  }

  /** Mailbox barrier: the task handled everything sent to it, then the endpoint everything the task sent. */
  async settle(): Promise<string[]> {
    await this.job.probe(this.taskId);
    await this.endpoint.barrier();
    return this.endpoint.log;
  }

  /** Moves the manual clock (source steps) and settles. */
  async advance(ms: number): Promise<string[]> {
    this.clock.advance(ms);
    return this.settle();
  }

  dispose(): void {
    stop(this.system);
  }

  private envelope(checkpointId: number, attemptId: AttemptId) {
    return { jobId: JOB, taskId: asTaskId(this.taskId), attemptId, checkpointId: asCheckpointId(checkpointId) };
  }
}
