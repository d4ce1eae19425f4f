import type { CheckpointId } from '../../../src/core/ids.js';
import type { Collector, StreamOperator } from '../../../src/dataflow/stream-operator.js';

/** An identity operator whose state is every record it processed, so an acknowledgement shows exactly which records a snapshot covers. */
export class RecordingOperator implements StreamOperator<string, string, string[]> {
  private seen: string[] = [];

  processRecord(record: string, output: Collector<string>): void {
    this.seen.push(record);
    output.collect(record);
  }

  snapshotState(_checkpointId: CheckpointId): string[] {
    return this.seen.slice();
  }

  restoreState(state: string[] | null): void {
    this.seen = state === null ? [] : [...state];
  }
}
