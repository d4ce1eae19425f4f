import { dispatch, query, spawn, start, stop, type Ref } from 'nact';
import { ManualClock } from '../../../src/testing/index.js';
import { ask, tell, typedRef, type TypedRef } from '../../../src/actor/typed-ref.js';
import type { CompletedCheckpointStore } from '../../../src/checkpoint/completed-checkpoint-store.js';
import type { CheckpointCoordinatorRef } from '../../../src/coordinator/checkpoint-coordinator.js';
import type { CheckpointOutcome, RestoreOutcome } from '../../../src/protocol/checkpoint-outcome.js';
import type { CheckpointStats } from '../../../src/protocol/checkpoint-stats.js';
import type { CoordinatorEvent } from '../../../src/coordinator/coordinator-event.js';
import { prepareCheckpointing, type CheckpointingSetup } from '../../../src/recovery/prepare-checkpointing.js';
import { spawnCheckpointCoordinator } from '../../../src/coordinator/spawn-checkpoint-coordinator.js';
import { asCheckpointId, asJobId, asTaskId, type JobId } from '../../../src/core/ids.js';
import type { JsonValue } from '../../../src/core/json.js';
import { JobStatus } from '../../../src/core/job-status.js';
import type { RunningTask } from '../../../src/protocol/coordinator-protocol.js';
import type { AcknowledgeCheckpoint, TaskToCoordinatorMessage } from '../../../src/protocol/task-protocol.js';
import { verifyCheckpoints, type CheckpointAuditReport } from '../../../src/storage/checkpoint-audit.js';
import { FileSystemCheckpointStorage } from '../../../src/storage/filesystem-checkpoint-storage.js';
import { deliver, operatorTask } from '../../../src/task/spawn-task.js';
import type { TaskMessage } from '../../../src/task/task-message.js';
import { incrementalTask, IncrementalTaskJournal, type Entries, type IncrementalTaskMessage } from '../../support/incremental-task.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../../support/temporary-directory.js';
import { IoTracker, IoTrackingStorage } from './io-tracking-storage.js';

type RelayMessage = TaskToCoordinatorMessage | { readonly type: 'Ping'; readonly replyTo: Ref<unknown> };

/**
 * Sits between the tasks and the coordinator (it is the `coordinator` every task attempt is deployed with): records
 * every acknowledgement, so a spec can send copies later, and holds the acknowledgements and declines of tasks it is
 * told to hold, like a slow network, until they are released. Failure reports are never held.
 */
export class AckRelay {
  readonly held = new Set<string>();
  /** Held messages, in arrival order. */
  readonly buffer: TaskToCoordinatorMessage[] = [];
  /** Every acknowledgement any task attempt sent, in arrival order, across coordinator restarts. */
  readonly acks: AcknowledgeCheckpoint[] = [];
  received = 0;
  target: CheckpointCoordinatorRef | null = null;

  receive(message: TaskToCoordinatorMessage): void {
    this.received += 1;
    if (message.type === 'AcknowledgeCheckpoint') this.acks.push(message);
    if (message.type !== 'TaskFailed' && this.held.has(message.taskId)) this.buffer.push(message);
    else if (this.target !== null) tell(this.target, message);
  }

  /** Stops holding `taskId` and returns its held messages, oldest first, for the caller to deliver. */
  release(taskId: string): TaskToCoordinatorMessage[] {
    this.held.delete(taskId);
    const released: TaskToCoordinatorMessage[] = [];
    for (let index = 0; index < this.buffer.length; ) {
      const message = this.buffer[index] as TaskToCoordinatorMessage;
      if (message.taskId === taskId) {
        released.push(message);
        this.buffer.splice(index, 1);
      } else index += 1;
    }
    return released;
  }

  /** Stops holding every task and returns everything held, oldest first. */
  releaseAll(): TaskToCoordinatorMessage[] {
    this.held.clear();
    return this.buffer.splice(0);
  }
}

export interface IncrementalJobOptions {
  readonly taskIds: readonly string[];
  readonly retained: number;
  readonly maxConcurrent: number;
  readonly maxSegments: number;
  readonly tolerableFailures: number;
  /** Default 100 ms. */
  readonly interval?: number;
  /** Default 250 ms. */
  readonly timeout?: number;
  /** Default true. */
  readonly startScheduler?: boolean;
  /** Default 0. */
  readonly restartDelay?: number;
  /** Default 1,000. */
  readonly maxPendingDiscards?: number;
  /** Default 0. */
  readonly minPause?: number;
  /** Wraps the recovered store before the coordinator gets it (to inject store failures). Default: none. */
  readonly wrapStore?: (store: CompletedCheckpointStore) => CompletedCheckpointStore;
}

/** Options of a job that checkpoints only when a spec asks (no scheduler), with room for 10 tolerated failures. */
export function manualJob(overrides: Partial<IncrementalJobOptions> = {}): IncrementalJobOptions {
  return { taskIds: ['a', 'b'], retained: 1, maxConcurrent: 1, maxSegments: 8, tolerableFailures: 10, startScheduler: false, ...overrides };
}

/** How a coordinator incarnation ends: shut down as SUSPENDED, or its actor system is simply stopped (a crash). */
export type CoordinatorStop = 'suspend' | 'crash';

/**
 * A job of incremental-state tasks checkpointing to a real filesystem storage in a temporary directory, with a
 * coordinator that can be stopped and recovered from that storage (`prepareCheckpointing`) any number of times.
 * Time moves only through the manual clock; `settle()` waits, without sleeping, until no message and no I/O moves.
 */
export class IncrementalJob {
  static readonly JOB_ID: JobId = asJobId('job-1');
  readonly clock = new ManualClock(1_000);
  readonly journal = new IncrementalTaskJournal();
  readonly relay = new AckRelay();
  readonly tracker = new IoTracker();
  /** The storage as the current coordinator incarnation sees it. */
  storage!: IoTrackingStorage;
  /** Coordinator incarnations started so far. */
  generation = 0;
  /** Events of the current incarnation. */
  events: CoordinatorEvent[] = [];
  setup!: CheckpointingSetup;
  coordinator!: CheckpointCoordinatorRef;
  readonly interval: number;
  readonly timeout: number;
  /** The latest checkpoint the current incarnation recovered from storage, or null. */
  recoveredLatestId: number | null = null;
  private system: Ref<unknown> | null = null;
  /** Storages of earlier incarnations whose stalled deletions have not resumed yet. */
  private readonly lingering: IoTrackingStorage[] = [];
  private relayRef!: TypedRef<RelayMessage>;
  private sink!: Ref<unknown>;

  private constructor(readonly directory: string, readonly inner: FileSystemCheckpointStorage, public options: IncrementalJobOptions) {
    this.interval = options.interval ?? 100;
    this.timeout = options.timeout ?? 250;
  }

  static async create(options: IncrementalJobOptions): Promise<IncrementalJob> {
    const directory = await createTemporaryDirectory();
    return new IncrementalJob(directory, new FileSystemCheckpointStorage(directory), options);
  }

  get taskIds(): readonly string[] {
    return this.options.taskIds;
  }

  /** Recovers the job's checkpoints from storage and spawns a coordinator (with new task attempts) on them. */
  async startCoordinator(): Promise<CheckpointStats> {
    const { options, journal, relay } = this;
    this.storage = new IoTrackingStorage(this.inner, this.tracker);
    this.setup = await prepareCheckpointing({ jobId: IncrementalJob.JOB_ID, storage: this.storage, retained: options.retained, clock: this.clock });
    this.recoveredLatestId = this.setup.store.getLatestCheckpoint()?.checkpointId ?? null;
    this.generation += 1;
    this.events = [];
    const system = start();
    this.system = system;
    this.relayRef = typedRef<RelayMessage>(spawn(system, (state: null, message: RelayMessage) => {
      if (message.type === 'Ping') dispatch(message.replyTo, true);
      else relay.receive(message);
      return state;
    }, 'ack-relay', { initialState: null }));
    this.sink = spawn(system, (state: null) => state, 'reply-sink', { initialState: null });
    const relayRef = this.relayRef;
    const settings = { jobId: IncrementalJob.JOB_ID, storage: this.storage, maxSegments: options.maxSegments };
    this.coordinator = spawnCheckpointCoordinator(system, {
      jobId: IncrementalJob.JOB_ID,
      interval: this.interval,
      timeout: this.timeout,
      maxConcurrent: options.maxConcurrent,
      tolerableFailures: options.tolerableFailures,
      retained: options.retained,
      restartStrategy: { kind: 'fixed-delay', attempts: Number.POSITIVE_INFINITY, delay: options.restartDelay ?? 0 },
      maxPendingDiscards: options.maxPendingDiscards ?? 1_000,
      minPause: options.minPause ?? 0,
      startScheduler: options.startScheduler ?? true,
      // The audits here run while the job runs: a history write in flight would show its temporary file as an orphan.
      persistHistory: false,
      clock: this.clock,
      store: options.wrapStore?.(this.setup.store) ?? this.setup.store,
      stateCleaner: this.setup.stateCleaner,
      storage: this.storage,
      onEvent: (event) => this.events.push(event),
      tasks: options.taskIds.map((taskId) => {
        const task = operatorTask(system, taskId, incrementalTask(settings, journal, taskId));
        return { taskId, deploy: (context) => task.deploy({ ...context, coordinator: relayRef, report: (message) => tell(relayRef, message) }) };
      }),
    });
    relay.target = this.coordinator;
    return this.settle();
  }

  /**
   * Ends the current coordinator incarnation. Suspended, it shuts down cleanly and its process lives on: deletions it
   * queued carry on (stalled ones wait for {@link resumeDeletions}). Crashed, its process is gone: its stalled and
   * queued deletions never happen.
   */
  async stopCoordinator(how: CoordinatorStop): Promise<void> {
    if (how === 'suspend') await ask(this.coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.SUSPENDED });
    if (this.system !== null) stop(this.system);
    this.system = null;
    this.relay.target = null;
    if (how === 'crash') this.storage.sever();
    await this.tracker.quiet();
  }

  /**
   * Stops the coordinator and starts a new one recovered from storage in the same process; messages held for the old
   * one reach the new one late. When the old incarnation's deletions are stalled and recovery waits for them, they
   * resume (the slow file system catches up); when recovery does not wait, they stay stalled beside the new
   * incarnation until the next {@link resumeDeletions}.
   */
  async restartCoordinator(how: CoordinatorStop, changes: Partial<IncrementalJobOptions> = {}): Promise<CheckpointStats> {
    const previous = this.storage;
    await this.stopCoordinator(how);
    this.options = { ...this.options, ...changes };
    const operationsBefore = this.tracker.started;
    const starting = this.startCoordinator();
    // Recovery that does not wait for the previous incarnation starts reading storage at once.
    const recoveryWaits = this.tracker.started === operationsBefore;
    if (how === 'suspend' && previous.stalledDeletions > 0) {
      if (recoveryWaits) previous.resumeDeletions();
      else this.lingering.push(previous);
    }
    await starting;
    for (const message of this.relay.releaseAll()) tell(this.coordinator, message);
    return this.settle();
  }

  /** Runs every stalled deletion, of this incarnation and of earlier ones that still linger, and stops stalling. */
  resumeDeletions(): void {
    this.storage.resumeDeletions();
    for (const storage of this.lingering.splice(0)) storage.resumeDeletions();
  }

  /**
   * Mailbox and I/O barrier: queries the coordinator, pings every running task and the relay, and waits for storage
   * operations, until nothing changed for two rounds. No time passes on the manual clock.
   */
  async settle(): Promise<CheckpointStats> {
    let previous = '';
    let stableRounds = 0;
    for (let round = 0; round < 2000; round += 1) {
      await this.tracker.quiet();
      const stats = await ask(this.coordinator, { type: 'GetCheckpointStats' });
      const tasks = await this.runningTasks();
      for (const task of tasks) await this.readRef(task.ref);
      await query(this.relayRef, (replyTo: Ref<unknown>) => ({ type: 'Ping', replyTo }), 5_000);
      const fingerprint = [
        this.events.length, JSON.stringify(stats.counts), this.relay.received, this.tracker.finished, this.tracker.running, this.stalledDeletions(),
        this.journal.snapshots.length, this.journal.restores.length, tasks.map((task) => task.attemptId).join(','),
      ].join('|');
      stableRounds = fingerprint === previous && this.tracker.running === 0 ? stableRounds + 1 : 0;
      if (stableRounds >= 2) return stats;
      previous = fingerprint;
    }
    throw new Error('the job did not settle within 2000 barrier rounds');
  }

  /** Moves the manual clock and waits for everything it set off. */
  async advance(ms: number): Promise<CheckpointStats> {
    this.clock.advance(ms);
    return this.settle();
  }

  stats(): Promise<CheckpointStats> {
    return ask(this.coordinator, { type: 'GetCheckpointStats' });
  }

  /** Sends the current coordinator a message as if a task had sent it (bypassing the relay). */
  send(message: TaskToCoordinatorMessage): void {
    tell(this.coordinator, message);
  }

  /** Asks for a checkpoint without waiting for its outcome (the reply goes nowhere). */
  triggerCheckpoint(): void {
    tell(this.coordinator, { type: 'TriggerCheckpointNow', replyTo: typedRef<CheckpointOutcome>(this.sink) });
  }

  /** Asks for a checkpoint and waits for its outcome. */
  checkpoint(): Promise<CheckpointOutcome> {
    return ask(this.coordinator, { type: 'TriggerCheckpointNow' });
  }

  /** Asks for a savepoint without waiting for its outcome. */
  triggerSavepoint(): void {
    tell(this.coordinator, { type: 'TriggerSavepoint', replyTo: typedRef<CheckpointOutcome>(this.sink) });
  }

  /** Asks the coordinator to restore every task to the latest checkpoint, without waiting. */
  requestRestore(): void {
    tell(this.coordinator, { type: 'RestoreLatestCheckpoint', replyTo: typedRef<RestoreOutcome>(this.sink) });
  }

  async runningTasks(): Promise<readonly RunningTask[]> {
    return (await ask(this.coordinator, { type: 'GetTasks' })).filter((task) => task.running);
  }

  async task(taskId: string): Promise<RunningTask | undefined> {
    return (await this.runningTasks()).find((task) => task.taskId === taskId);
  }

  async put(taskId: string, key: string, value: JsonValue): Promise<void> {
    const task = await this.task(taskId);
    if (task !== undefined) deliver(asIncremental(task.ref), { kind: 'put', key, value });
  }

  async delete(taskId: string, key: string): Promise<void> {
    const task = await this.task(taskId);
    if (task !== undefined) deliver(asIncremental(task.ref), { kind: 'delete', key });
  }

  /** The live state of a task's current attempt. */
  async read(taskId: string): Promise<Entries> {
    const task = await this.task(taskId);
    if (task === undefined) throw new Error(`task ${taskId} is not running`);
    return this.readRef(task.ref);
  }

  /** Makes the current attempt of a task crash. */
  async explode(taskId: string): Promise<void> {
    const task = await this.task(taskId);
    if (task === undefined) return;
    deliver(asIncremental(task.ref), { kind: 'explode' });
    for (let round = 0; round < 2000; round += 1) {
      if (this.events.some((event) => event.type === 'task-failed' && event.attemptId === task.attemptId)) return;
      await query(this.relayRef, (replyTo: Ref<unknown>) => ({ type: 'Ping', replyTo }), 5_000);
      await this.stats();
    }
    throw new Error(`the coordinator never learned that task ${taskId} failed`);
  }

  /** Sends a decline for `checkpointId` as the current attempt of `taskId` would. */
  async decline(taskId: string, checkpointId: number): Promise<void> {
    const task = await this.task(taskId);
    if (task === undefined) return;
    tell(this.coordinator, {
      type: 'DeclineCheckpoint', jobId: IncrementalJob.JOB_ID, taskId: asTaskId(taskId), attemptId: task.attemptId,
      checkpointId: asCheckpointId(checkpointId), reason: 'declined by the spec',
    });
  }

  /** Delivers the held messages of `taskId` to the current coordinator. */
  release(taskId: string): void {
    for (const message of this.relay.release(taskId)) tell(this.coordinator, message);
  }

  releaseAll(): void {
    for (const message of this.relay.releaseAll()) tell(this.coordinator, message);
  }

  /** Ids of checkpoints triggered by the current coordinator that have neither completed nor failed. */
  checkpointsInFlight(): number[] {
    const open = new Set<number>();
    for (const event of this.events) {
      if (event.type === 'checkpoint-triggered') open.add(event.checkpointId);
      if (event.type === 'checkpoint-completed') open.delete(event.checkpoint.checkpointId);
      if (event.type === 'checkpoint-failed' && event.checkpointId !== null) open.delete(event.checkpointId);
    }
    return [...open].sort((a, b) => a - b);
  }

  /** Mark and sweep of the storage against the checkpoints the store retains. */
  audit(): Promise<CheckpointAuditReport> {
    return verifyCheckpoints({ jobId: IncrementalJob.JOB_ID, storage: this.inner, checkpoints: this.setup.store.getAllCheckpoints() });
  }

  /** Deletions stalled, of this incarnation and of lingering earlier ones. */
  stalledDeletions(): number {
    return this.lingering.reduce((sum, storage) => sum + storage.stalledDeletions, this.storage.stalledDeletions);
  }

  /** Waits until every queued deletion and every storage operation has finished; false (at once) while deletions are stalled. */
  async deletionsSettled(): Promise<boolean> {
    if (this.stalledDeletions() > 0 || (this.storage.isStalling && this.setup.discarder.pendingCount() > 0)) return false;
    await this.setup.discarder.whenIdle();
    await this.tracker.quiet();
    return this.stalledDeletions() === 0;
  }

  async dispose(): Promise<void> {
    if (this.system !== null) stop(this.system);
    this.system = null;
    this.relay.target = null;
    if (this.storage !== undefined) {
      this.resumeDeletions();
      await this.setup.discarder.whenIdle();
    }
    await this.tracker.quiet();
    await removeTemporaryDirectory(this.directory);
  }

  private async readRef(ref: RunningTask['ref']): Promise<Entries> {
    return (await query(ref, (replyTo: Ref<unknown>) => ({ type: 'Deliver', payload: { kind: 'read', replyTo } }), 5_000)) as Entries;
  }
}

function asIncremental(ref: RunningTask['ref']): TypedRef<TaskMessage<IncrementalTaskMessage>> {
  return ref as TypedRef<TaskMessage<IncrementalTaskMessage>>;
}
