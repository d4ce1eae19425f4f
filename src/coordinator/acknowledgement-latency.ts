import type { TaskId } from '../core/ids.js';
import type { AcknowledgementLatencySummary } from '../checkpoint/checkpoint-history.js';

/** The latency summary of one finished checkpoint and its slowest task; both null when no task acknowledged. */
export interface AcknowledgementLatencies {
  readonly summary: AcknowledgementLatencySummary | null;
  readonly slowestTask: { readonly taskId: TaskId; readonly latencyMs: number } | null;
}

/**
 * Min, mean, 99th percentile (nearest rank) and max of the acknowledgement latencies (NaN: never acknowledged), and the
 * task that took longest (the first in task order on a tie). O(n log n) in the tasks, once per finished checkpoint.
 */
export function summarizeAcknowledgementLatencies(latencies: Float64Array, taskIds: readonly TaskId[]): AcknowledgementLatencies {
  const acknowledged = latencies.filter((latency) => !Number.isNaN(latency));
  if (acknowledged.length === 0) return { summary: null, slowestTask: null };
  let slowest = -1;
  let total = 0;
  for (let index = 0; index < latencies.length; index += 1) {
    const latency = latencies[index] as number;
    if (Number.isNaN(latency)) continue;
    total += latency;
    if (slowest === -1 || latency > (latencies[slowest] as number)) slowest = index;
  }
  acknowledged.sort();
  const rank = Math.max(1, Math.ceil(0.99 * acknowledged.length));
  return {
    summary: {
      min: acknowledged[0] as number,
      avg: total / acknowledged.length,
      p99: acknowledged[rank - 1] as number,
      max: acknowledged[acknowledged.length - 1] as number,
      acknowledged: acknowledged.length,
      tasks: latencies.length,
    },
    slowestTask: { taskId: taskIds[slowest] as TaskId, latencyMs: latencies[slowest] as number },
  };
}
