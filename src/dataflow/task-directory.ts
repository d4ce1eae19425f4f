import type { TypedRef } from '../actor/typed-ref.js';
import type { DataflowTaskMessage } from './dataflow-message.js';

/**
 * The job's shared address book: the current attempt's ref of every task, updated when the coordinator deploys an
 * attempt, so channels survive restarts (a sender looks its receiver up on every send; records sent to a dead
 * attempt are lost, which recovery makes harmless). It also keeps the newest restore round a task restored into:
 * a new attempt starts in it, and moves to the round its RestoreState carries, so every task of the job agrees on
 * the epoch once it has handled the round's RestoreState, whenever it was (re)deployed.
 */
export class TaskDirectory {
  private readonly indexById = new Map<string, number>();
  private readonly refs: (TypedRef<DataflowTaskMessage> | null)[];
  private readonly deployments: number[];
  private round = 0;

  constructor(readonly taskIds: readonly string[]) {
    taskIds.forEach((taskId, index) => {
      if (this.indexById.has(taskId)) throw new Error(`TaskDirectory: task id '${taskId}' appears twice`);
      this.indexById.set(taskId, index);
    });
    this.refs = taskIds.map(() => null);
    this.deployments = taskIds.map(() => 0);
  }

  /** The newest restore round a task of the job restored into; 0 before the first restore. A new attempt starts in it. */
  get currentRound(): number {
    return this.round;
  }

  /** @throws Error naming the task when it is not part of the job. */
  indexOf(taskId: string): number {
    const index = this.indexById.get(taskId);
    if (index === undefined) throw new Error(`task '${taskId}' is not part of this dataflow job (its tasks are ${this.taskIds.join(', ')})`);
    return index;
  }

  /** Makes `ref` the address of `taskId` (a new attempt, or a stand-in in a spec). Returns how many attempts were registered for it, this one included. */
  register(taskId: string, ref: TypedRef<DataflowTaskMessage>): number {
    const index = this.indexOf(taskId);
    this.refs[index] = ref;
    this.deployments[index] = (this.deployments[index] ?? 0) + 1;
    return this.deployments[index] as number;
  }

  /** How many attempts of the task at `index` were registered. */
  deploymentsAt(index: number): number {
    return this.deployments[index] ?? 0;
  }

  /** The current attempt's ref, or null before the first deployment. */
  refAt(index: number): TypedRef<DataflowTaskMessage> | null {
    return this.refs[index] ?? null;
  }

  refOf(taskId: string): TypedRef<DataflowTaskMessage> | null {
    return this.refAt(this.indexOf(taskId));
  }

  /** A task restored into `round` (the RestoreState's restoreRound). */
  enterRound(round: number): void {
    this.round = Math.max(this.round, round);
  }
}
