import type { Clock } from '../actor/clock.js';
import type { DataflowMetrics } from './dataflow-metrics.js';
import type { FlowControl } from './flow-control.js';
import type { TaskDirectory } from './task-directory.js';

/** What every task attempt of one dataflow job shares. */
export interface TaskEnvironment {
  readonly directory: TaskDirectory;
  readonly flow: FlowControl;
  readonly metrics: DataflowMetrics;
  /** Paces sources whose `stepDelayMs` is above zero. */
  readonly clock: Clock;
}
