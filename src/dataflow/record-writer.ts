import { tell } from '../actor/typed-ref.js';
import type { CheckpointId } from '../core/ids.js';
import type { ChannelMessage } from './dataflow-message.js';
import type { FlowControl } from './flow-control.js';
import { subtaskForKey, type Partitioner } from './partitioner.js';
import type { Collector } from './stream-operator.js';
import type { TaskDirectory } from './task-directory.js';

/** One outgoing edge of a task: the receiving tasks (directory indexes), the receivers' channel index for this task, and the routing. */
export interface OutputEdge {
  readonly targets: readonly number[];
  readonly channel: number;
  readonly partitioner: Partitioner;
}

/**
 * A task's output side (Flink's RecordWriter): routes collected records to per-receiver buffers and sends each
 * non-empty buffer as one RecordBatch on `flush`, tagged with the task's epoch. Barriers are broadcast on every
 * channel after a flush, so they stay behind every record collected before them.
 */
export class RecordWriter implements Collector<unknown> {
  /** The epoch stamped on everything sent: the restore round the task is in (see {@link enterRound}). */
  epoch: number;
  private readonly buffers: unknown[][][];
  private readonly nextTarget: number[];

  constructor(
    private readonly edges: readonly OutputEdge[],
    private readonly directory: TaskDirectory,
    private readonly flow: FlowControl,
    subtask: number,
  ) {
    this.epoch = directory.currentRound;
    this.buffers = edges.map((edge) => edge.targets.map(() => []));
    this.nextTarget = edges.map((edge) => subtask % Math.max(1, edge.targets.length));
  }

  collect(record: unknown): void {
    for (let e = 0; e < this.edges.length; e += 1) {
      const edge = this.edges[e] as OutputEdge;
      const buffers = this.buffers[e] as unknown[][];
      let target = 0;
      switch (edge.partitioner.kind) {
        case 'forward':
          break;
        case 'rebalance':
          target = this.nextTarget[e] as number;
          this.nextTarget[e] = target + 1 === buffers.length ? 0 : target + 1;
          break;
        case 'keyed':
          target = subtaskForKey(edge.partitioner.key(record), buffers.length);
          break;
      }
      (buffers[target] as unknown[]).push(record);
    }
  }

  /** Sends every buffered record. */
  flush(): void {
    for (let e = 0; e < this.edges.length; e += 1) {
      const edge = this.edges[e] as OutputEdge;
      const buffers = this.buffers[e] as unknown[][];
      for (let t = 0; t < buffers.length; t += 1) {
        const records = buffers[t] as unknown[];
        if (records.length === 0) continue;
        buffers[t] = [];
        this.send(edge.targets[t] as number, { type: 'Records', epoch: this.epoch, channel: edge.channel, records });
      }
    }
  }

  /** Flushes, then sends barrier `checkpointId` on every outgoing channel. */
  broadcastBarrier(checkpointId: CheckpointId): void {
    this.flush();
    for (const edge of this.edges) {
      for (const target of edge.targets) this.send(target, { type: 'Barrier', epoch: this.epoch, channel: edge.channel, checkpointId });
    }
  }

  /** Drops buffered records (after a restore). */
  /**
   * The task restored into `round`: everything it sends from now on carries that epoch, the job's directory and flow
   * control enter the round, and records buffered before the restore are dropped.
   */
  enterRound(round: number): void {
    this.epoch = round;
    this.directory.enterRound(round);
    this.flow.enterRound(round);
    for (const buffers of this.buffers) for (let t = 0; t < buffers.length; t += 1) buffers[t] = [];
  }

  private send(target: number, message: ChannelMessage): void {
    const ref = this.directory.refAt(target);
    if (ref === null) return;
    this.flow.sent(this.epoch);
    tell(ref, message);
  }
}
