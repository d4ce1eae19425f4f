/** Counters a dataflow job's tasks update as they run; read them for progress reports and benchmarks. */
export class DataflowMetrics {
  /** Messages (probes aside) handled by every attempt of every task. Specs use it to tell when the job went quiet. */
  handledMessages = 0;
  /** Channel messages dropped because they were sent in an older epoch (before a restore). */
  staleMessagesDropped = 0;
  /** Records taken in per vertex (emitted, for a source), every attempt and epoch included. */
  readonly recordsIn: number[];

  constructor(readonly vertexNames: readonly string[]) {
    this.recordsIn = vertexNames.map(() => 0);
  }

  /** Counts `count` records taken in by the vertex at `vertexIndex`. */
  addRecordsIn(vertexIndex: number, count: number): void {
    this.recordsIn[vertexIndex] = (this.recordsIn[vertexIndex] ?? 0) + count;
  }

  /** Records taken in by a vertex, by name. */
  recordsInOf(vertexName: string): number {
    const index = this.vertexNames.indexOf(vertexName);
    if (index < 0) throw new Error(`the job has no vertex named '${vertexName}' (its vertices are ${this.vertexNames.join(', ')})`);
    return this.recordsIn[index] as number;
  }
}
