import type { JsonValue } from '../core/json.js';
import type { CheckpointingMode } from './checkpointing-mode.js';
import type { OutputEdge } from './record-writer.js';
import type { SourceFactory } from './replayable-source.js';
import type { OperatorFactory } from './stream-operator.js';

/** How fast a source emits: `recordsPerStep` records per step, a step right after the previous one (`stepDelayMs` 0) or `stepDelayMs` later on the job's clock. */
export interface SourcePace {
  readonly recordsPerStep: number;
  readonly stepDelayMs: number;
}

interface PlanCommon {
  readonly vertex: string;
  readonly vertexIndex: number;
  readonly subtask: number;
  readonly parallelism: number;
  readonly outputs: readonly OutputEdge[];
}

/** Everything a source task attempt needs, compiled from the job graph. */
export interface SourceTaskPlan extends PlanCommon {
  readonly kind: 'source';
  readonly source: SourceFactory<unknown>;
  readonly pace: SourcePace;
}

/** Everything an operator or sink task attempt needs, compiled from the job graph. */
export interface StreamTaskPlan extends PlanCommon {
  readonly kind: 'operator' | 'sink';
  /** `inputOfChannel[c]` is the logical input (edge index in the vertex's `inputs`) of input channel `c`; its length is the number of channels. */
  readonly inputOfChannel: readonly number[];
  readonly operator: OperatorFactory<unknown, unknown, JsonValue>;
  readonly mode: CheckpointingMode;
}

/** One task's compiled plan. */
export type TaskPlan = SourceTaskPlan | StreamTaskPlan;
