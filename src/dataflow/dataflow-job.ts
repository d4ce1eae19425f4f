import type { Ref } from 'nact';
import { systemClock, type Clock } from '../actor/clock.js';
import { ask, tell } from '../actor/typed-ref.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { CoordinatorEvent } from '../coordinator/coordinator-event.js';
import type { TaskId } from '../core/ids.js';
import type { TaskSpec } from '../protocol/task-deployment.js';
import { CheckpointingMode } from './checkpointing-mode.js';
import { DataflowMetrics } from './dataflow-metrics.js';
import type { TaskProbe } from './dataflow-message.js';
import { FlowControl } from './flow-control.js';
import type { JobGraph } from './job-graph.js';
import { JobGraphError } from './job-graph-error.js';
import type { OutputEdge } from './record-writer.js';
import { isSourcePosition } from './source-task.js';
import { spawnDataflowTask } from './spawn-dataflow-task.js';
import type { TaskEnvironment } from './task-environment.js';
import { TaskDirectory } from './task-directory.js';
import type { SourcePace, TaskPlan } from './task-plan.js';

/** How a dataflow job runs. */
export interface DataflowJobOptions {
  /** Barrier handling of tasks with several input channels. Default EXACTLY_ONCE. */
  readonly mode?: CheckpointingMode;
  /** Source pace. Default 100 records per step, steps back to back (flat out). */
  readonly pace?: Partial<SourcePace>;
  /** Clock pacing sources when `pace.stepDelayMs` > 0. Default: the system clock. */
  readonly clock?: Clock;
  /** Channel messages that may be in flight before sources pause (backpressure). Default 512. */
  readonly maxInFlightMessages?: number;
}

/** What to hand the coordinator: the job's tasks, and the caller's event listener if it gave one. */
export interface DataflowCoordinatorOptions {
  readonly tasks: readonly TaskSpec[];
  readonly onEvent?: (event: CoordinatorEvent) => void;
}

const DEFAULT_PACE: SourcePace = { recordsPerStep: 100, stepDelayMs: 0 };

function compilePlans(graph: JobGraph, mode: CheckpointingMode, pace: SourcePace): TaskPlan[] {
  const firstTask = new Map<string, number>();
  let next = 0;
  for (const vertex of graph.vertices) {
    firstTask.set(vertex.name, next);
    next += vertex.parallelism;
  }
  const parallelismOf = new Map(graph.vertices.map((vertex) => [vertex.name, vertex.parallelism]));
  /** For every producer vertex: its consumers' edges, with the channel offset of the edge at the consumer. */
  const consumers = new Map<string, { consumer: string; offset: number; forward: boolean; partitioner: OutputEdge['partitioner'] }[]>();
  const inputOfChannel = new Map<string, number[]>();
  for (const vertex of graph.vertices) {
    if (vertex.kind === 'source') continue;
    const channels: number[] = [];
    vertex.inputs.forEach((edge, input) => {
      const forward = edge.partitioner.kind === 'forward';
      const width = forward ? 1 : (parallelismOf.get(edge.from) as number);
      const list = consumers.get(edge.from) ?? [];
      list.push({ consumer: vertex.name, offset: channels.length, forward, partitioner: edge.partitioner });
      consumers.set(edge.from, list);
      for (let c = 0; c < width; c += 1) channels.push(input);
    });
    inputOfChannel.set(vertex.name, channels);
  }
  return graph.vertices.flatMap((vertex, vertexIndex) =>
    Array.from({ length: vertex.parallelism }, (_, subtask): TaskPlan => {
      const outputs: OutputEdge[] = (consumers.get(vertex.name) ?? []).map(({ consumer, offset, forward, partitioner }) => {
        const base = firstTask.get(consumer) as number;
        const width = parallelismOf.get(consumer) as number;
        return {
          targets: forward ? [base + subtask] : Array.from({ length: width }, (_, s) => base + s),
          channel: forward ? offset : offset + subtask,
          partitioner,
        };
      });
      const common = { vertex: vertex.name, vertexIndex, subtask, parallelism: vertex.parallelism, outputs };
      return vertex.kind === 'source'
        ? { ...common, kind: 'source', source: vertex.source, pace }
        : { ...common, kind: vertex.kind, inputOfChannel: inputOfChannel.get(vertex.name) as number[], operator: vertex.operator, mode };
    }),
  );
}

function checkPace(pace: SourcePace): SourcePace {
  if (!Number.isSafeInteger(pace.recordsPerStep) || pace.recordsPerStep < 1) {
    throw new JobGraphError('DataflowJobOptions.pace.recordsPerStep', `must be an integer >= 1, got ${String(pace.recordsPerStep)}`);
  }
  if (!Number.isSafeInteger(pace.stepDelayMs) || pace.stepDelayMs < 0) {
    throw new JobGraphError('DataflowJobOptions.pace.stepDelayMs', `must be an integer >= 0 (0 runs flat out), got ${String(pace.stepDelayMs)}`);
  }
  return pace;
}

/**
 * A job graph ready to run: its TaskSpecs deploy every attempt of every task under `parent`, wired through the
 * job's TaskDirectory. Give `coordinatorOptions()` to `spawnCheckpointCoordinator`: the coordinator then deploys
 * the tasks, triggers checkpoints (which only sources act on: the others snapshot on barriers) and restores the
 * whole job after any task failure.
 */
export class DataflowJob {
  readonly mode: CheckpointingMode;
  readonly directory: TaskDirectory;
  readonly metrics: DataflowMetrics;
  readonly flow: FlowControl;
  readonly tasks: readonly TaskSpec[];
  readonly sourceTaskIds: readonly TaskId[];
  readonly sinkTaskIds: readonly TaskId[];

  constructor(parent: Ref<unknown>, readonly graph: JobGraph, options: DataflowJobOptions = {}) {
    const modes: readonly string[] = Object.values(CheckpointingMode);
    this.mode = options.mode ?? CheckpointingMode.EXACTLY_ONCE;
    if (!modes.includes(this.mode)) throw new JobGraphError('DataflowJobOptions.mode', `must be one of ${modes.join(', ')}, got ${String(this.mode)}`);
    const pace = checkPace({ ...DEFAULT_PACE, ...options.pace });
    this.directory = new TaskDirectory(graph.taskIds);
    this.metrics = new DataflowMetrics(graph.vertices.map((vertex) => vertex.name));
    const maxInFlight = options.maxInFlightMessages ?? 512;
    if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) {
      throw new JobGraphError('DataflowJobOptions.maxInFlightMessages', `must be an integer >= 1, got ${String(maxInFlight)}`);
    }
    this.flow = new FlowControl(maxInFlight);
    const env: TaskEnvironment = { directory: this.directory, flow: this.flow, metrics: this.metrics, clock: options.clock ?? systemClock };
    const plans = compilePlans(graph, this.mode, pace);
    this.tasks = plans.map((plan, index) => ({
      taskId: graph.taskIds[index] as string,
      deploy: (context) => spawnDataflowTask(parent, context, plan, env),
    }));
    const idsOf = (kind: string): TaskId[] => plans.flatMap((plan, index) => (plan.kind === kind ? [graph.taskIds[index] as TaskId] : []));
    this.sourceTaskIds = idsOf('source');
    this.sinkTaskIds = idsOf('sink');
  }

  /**
   * The coordinator options this job needs: its tasks, and `listener` as the coordinator's `onEvent` when given. The
   * job needs no event of its own: its epochs follow the restore round stamped on each `RestoreState`, so options
   * composed by hand (`{ tasks: job.tasks, onEvent }`) work as well.
   */
  coordinatorOptions(listener?: (event: CoordinatorEvent) => void): DataflowCoordinatorOptions {
    return listener === undefined ? { tasks: this.tasks } : { tasks: this.tasks, onEvent: listener };
  }

  /** Makes the current attempt of `taskId` crash (its handler throws on a PoisonPill). Returns false when the task has no attempt yet. */
  crashTask(taskId: string, reason = 'injected failure'): boolean {
    const ref = this.directory.refOf(taskId);
    if (ref === null) return false;
    tell(ref, { type: 'PoisonPill', reason });
    return true;
  }

  /** Asks the current attempt of `taskId` about itself; null when it is dead or does not answer in time. Doubles as a mailbox barrier. */
  async probe(taskId: string, timeoutMs = 5_000): Promise<TaskProbe | null> {
    const ref = this.directory.refOf(taskId);
    if (ref === null) return null;
    return ask(ref, { type: 'ProbeTask' }, timeoutMs).catch(() => null);
  }

  /** Probes every task at once. */
  probeAll(timeoutMs = 5_000): Promise<(TaskProbe | null)[]> {
    return Promise.all(this.graph.taskIds.map((taskId) => this.probe(taskId, timeoutMs)));
  }

  /** True when every source had read all its input at `checkpoint`: once it completed (and sinks committed it), the job's whole output is committed. */
  coversAllInput(checkpoint: CompletedCheckpoint): boolean {
    return this.sourceTaskIds.every((taskId) => {
      const handle = checkpoint.taskStates[taskId]?.operatorState;
      return handle?.kind === 'inline' && isSourcePosition(handle.value) && handle.value.end;
    });
  }
}

/** Prepares `graph` to run under `parent` (usually the actor system); see {@link DataflowJob}. @throws JobGraphError naming an invalid option. */
export function createDataflowJob(parent: Ref<unknown>, graph: JobGraph, options: DataflowJobOptions = {}): DataflowJob {
  return new DataflowJob(parent, graph, options);
}
