import { freeze } from 'immer';
import { v4 as uuidv4 } from 'uuid';
import type { Cancellable } from '../actor/clock.js';
import { tell, type TypedRef } from '../actor/typed-ref.js';
import { asAttemptId, type AttemptId, type CheckpointId, type TaskId } from '../core/ids.js';
import { JobStatus } from '../core/job-status.js';
import { CheckpointFailureReason, isPreFlight } from '../checkpoint/checkpoint-failure-reason.js';
import { CheckpointType, type CheckpointProperties, type CheckpointRetention } from '../checkpoint/checkpoint-properties.js';
import type { CheckpointIDCounter } from '../checkpoint/checkpoint-id-counter.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { CompletedCheckpointStore } from '../checkpoint/completed-checkpoint-store.js';
import { PendingCheckpoint } from '../checkpoint/pending-checkpoint.js';
import { TaskAcknowledgeResult } from '../checkpoint/task-acknowledge-result.js';
import type { CoordinatorRequest, RunningTask } from '../protocol/coordinator-protocol.js';
import type { AcknowledgeCheckpoint, CoordinatorToTaskMessage, DeclineCheckpoint, TaskFailed, TaskToCoordinatorMessage } from '../protocol/task-protocol.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';
import type { TaskSpec } from '../task/task-deployment.js';
import { CheckpointFailureManager } from './checkpoint-failure-manager.js';
import type { CheckpointOutcome, RestoreOutcome } from './checkpoint-outcome.js';
import type { CheckpointStateCleaner } from './checkpoint-state-cleaner.js';
import type { CheckpointStats } from './checkpoint-stats.js';
import type { CoordinatorEvent } from './coordinator-event.js';
import { INTERNAL_MESSAGE_TYPES, type CoordinatorMailboxMessage, type CoordinatorMessage } from './coordinator-message.js';
import { isValidId, type CoordinatorSettings } from './coordinator-options.js';
import { describeMalformedMessage } from './message-validation.js';
import { SharedStateDiscardDeferral } from './shared-state-discard-deferral.js';
import { TaskMessageBatcher } from './task-message-batcher.js';
import { TaskTable } from './task-table.js';
import { errorMessage } from '../core/error-message.js';

type TriggerKind = 'periodic' | 'manual' | 'savepoint';

interface TriggerRequest {
  readonly kind: TriggerKind;
  readonly replyTo: TypedRef<CheckpointOutcome> | null;
  readonly retention: CheckpointRetention;
}

interface CheckpointInFlight {
  readonly pending: PendingCheckpoint;
  readonly requesters: TypedRef<CheckpointOutcome>[];
  readonly timeout: Cancellable;
}

type Admission = 'run' | 'wait' | { readonly reason: CheckpointFailureReason; readonly message: string };

/** The collaborators a coordinator works with; all are injected so specs can replace them. */
export interface CoordinatorPorts {
  readonly self: TypedRef<CoordinatorMailboxMessage>;
  readonly store: CompletedCheckpointStore;
  readonly idCounter: CheckpointIDCounter;
  readonly storage: CheckpointStorage | null;
  readonly cleaner: CheckpointStateCleaner;
  readonly onEvent: ((event: CoordinatorEvent) => void) | null;
  readonly stopTask: (ref: TypedRef<CoordinatorToTaskMessage>) => void;
  readonly warn: (message: string) => void;
}

/**
 * The checkpoint coordinator's state and behaviour; the nact actor spawned by `spawnCheckpointCoordinator`
 * is a thin shell that hands every message to {@link handle}. Every handler is synchronous and O(1) per
 * acknowledgement: slow work (id counter, metadata writes, store updates) runs as promises whose results
 * come back as messages to self, and a result for a checkpoint that is no longer pending is dropped.
 */
export class CheckpointCoordinator {
  private status: JobStatus = JobStatus.RUNNING;
  private readonly tasks = new TaskTable();
  private readonly pending = new Map<number, CheckpointInFlight>();
  private readonly finalizing = new Map<number, CheckpointInFlight>();
  private readonly retainedCompletedIds = new Set<number>();
  private readonly queue: TriggerRequest[] = [];
  private readonly sharedStateDiscards: SharedStateDiscardDeferral;
  private readonly completionNotificationsDue: CheckpointId[] = [];
  /** The id of the latest completed checkpoint (not savepoint). */
  private latestCompletedCheckpointId = 0;
  private readonly failureManager: CheckpointFailureManager;
  private readonly batcher: TaskMessageBatcher;

  private triggering: TriggerRequest | null = null;
  private triggerToken = 0;
  private counterReady: Promise<unknown> = Promise.resolve();
  private finalizeChain: Promise<unknown> = Promise.resolve();

  private schedulerRunning = false;
  private schedulerGeneration = 0;
  private schedulerTimer: Cancellable | null = null;
  private pauseTimer: { readonly at: number; readonly timer: Cancellable } | null = null;
  private lastCompletionTime = Number.NEGATIVE_INFINITY;

  private failoverToken = 0;
  private failingOver = false;
  private resumeSchedulerAfterFailover = false;
  private failoverRequesters: TypedRef<RestoreOutcome>[] = [];

  private readonly counts = {
    triggered: 0, completed: 0, failed: 0, refusedTriggers: 0, restored: 0, taskRestarts: 0, jobFailures: 0,
    duplicateAcknowledgements: 0, discardedAcknowledgements: 0, discardedStates: 0, malformedMessages: 0,
    foreignMessages: 0, internalErrors: 0,
  };
  private latestCompleted: CheckpointStats['latestCompleted'] = null;
  private latestFailed: CheckpointStats['latestFailed'] = null;
  private latestRestore: CheckpointStats['latestRestore'] = null;
  private lastFinished: PendingCheckpoint | null = null;

  constructor(private readonly settings: CoordinatorSettings, private readonly ports: CoordinatorPorts) {
    this.failureManager = new CheckpointFailureManager(settings.tolerableFailures);
    this.batcher = new TaskMessageBatcher(ports.self);
    this.sharedStateDiscards = new SharedStateDiscardDeferral(
      () => new Set<number>([...this.pending.keys(), ...this.finalizing.keys()]),
      (states) => ports.cleaner.discardUnreferencedSharedState(states),
    );
  }

  /** Handles one message. Never throws: malformed messages and internal errors are counted and reported. */
  handle(message: CoordinatorMailboxMessage): void {
    const problem = describeMalformedMessage(message, INTERNAL_MESSAGE_TYPES);
    if (problem !== null) {
      this.counts.malformedMessages += 1;
      this.ports.warn(`checkpoint coordinator of job ${this.settings.jobId} ignored a malformed message: ${problem}`);
      this.emit({ type: 'malformed-message', problem });
      return;
    }
    try {
      this.dispatchMessage(message);
    } catch (error) {
      this.counts.internalErrors += 1;
      this.ports.warn(`checkpoint coordinator of job ${this.settings.jobId} failed handling '${message.type}': ${errorMessage(error)}`);
      this.emit({ type: 'internal-error', message: `handling '${message.type}' failed: ${errorMessage(error)}` });
    }
  }

  private dispatchMessage(message: CoordinatorMailboxMessage): void {
    switch (message.type) {
      case 'AcknowledgeCheckpoint': return this.onAcknowledge(message);
      case 'DeclineCheckpoint': return this.onDecline(message);
      case 'TaskFailed': return this.onTaskFailed(message);
      case 'StartCoordinator': return this.start();
      case 'SchedulerTick': return this.onSchedulerTick(message.generation);
      case 'PauseElapsed': this.pauseTimer = null; return this.processQueue();
      case 'CheckpointIdAssigned': return this.onCheckpointIdAssigned(message.token, message.checkpointId);
      case 'CheckpointIdFailed': return this.onCheckpointIdFailed(message.token, message.error);
      case 'CheckpointExpired': return this.onExpired(message.checkpointId);
      case 'CheckpointFinalized': return this.onFinalized(message.checkpoint, message.subsumed);
      case 'CheckpointFinalizeFailed': return this.onFinalizeFailed(message.checkpointId, message.error);
      case 'RunFailover': return this.runFailover(message.token);
      case 'NotifyTasksOfCompletion': return this.notifyTasksOfCompletion();
      case 'TaskMessageBatch': return this.onTaskMessageBatch(message.messages);
      default: return this.onRequest(message);
    }
  }

  /** Handles each task message of a batch as if it had come alone; one bad message does not spoil the rest. */
  private onTaskMessageBatch(messages: readonly TaskToCoordinatorMessage[]): void {
    for (const message of messages) this.handle(message);
  }

  private onRequest(request: CoordinatorRequest): void {
    switch (request.type) {
      case 'TriggerCheckpointNow':
        return this.enqueue({ kind: 'manual', replyTo: request.replyTo, retention: this.settings.retention });
      case 'TriggerSavepoint':
        return this.enqueue({ kind: 'savepoint', replyTo: request.replyTo, retention: request.retention ?? this.settings.retention });
      case 'GetCheckpointStats':
        return tell(request.replyTo, this.stats());
      case 'RestoreLatestCheckpoint':
        if (this.status !== JobStatus.RUNNING) return tell(request.replyTo, { status: 'failed', message: `the job is ${this.status}: nothing to restore into` });
        this.failoverRequesters.push(request.replyTo);
        return this.startFailover(CheckpointFailureReason.JOB_FAILOVER, 'restore requested');
      case 'StartCheckpointScheduler':
        if (this.status === JobStatus.RUNNING) {
          if (this.failingOver) this.resumeSchedulerAfterFailover = true;
          else this.startScheduler();
        }
        return tell(request.replyTo, { done: true });
      case 'StopCheckpointScheduler':
        this.resumeSchedulerAfterFailover = false;
        this.stopScheduler();
        return tell(request.replyTo, { done: true });
      case 'RegisterTask':
        return tell(request.replyTo, this.registerTask(request.task));
      case 'GetTasks':
        return tell(request.replyTo, this.tasks.describe());
      case 'ShutdownCoordinator':
        return this.shutdown(request.jobStatus, request.replyTo);
    }
  }

  // ---------------------------------------------------------------- start, tasks

  private start(): void {
    for (const spec of this.settings.tasks) this.tasks.add(spec);
    for (let index = 0; index < this.tasks.size; index += 1) {
      try {
        this.deployTask(index);
      } catch (error) {
        return this.failTerminally(`deploying task ${this.tasks.ids[index]} failed: ${errorMessage(error)}`, []);
      }
    }
    const recovered = this.ports.store.getAllCheckpoints();
    for (const checkpoint of recovered) {
      this.retainedCompletedIds.add(checkpoint.checkpointId);
      if (checkpoint.properties.type === CheckpointType.CHECKPOINT) this.latestCompletedCheckpointId = Math.max(this.latestCompletedCheckpointId, checkpoint.checkpointId);
    }
    if (recovered.length > 0) {
      this.ports.cleaner.registerRecovered(recovered);
      const latest = this.ports.store.getLatestCheckpoint();
      if (latest !== null) {
        if (this.settings.startScheduler) this.resumeSchedulerAfterFailover = true;
        this.failingOver = true;
        return this.runFailover(this.failoverToken);
      }
    }
    if (this.settings.startScheduler) this.startScheduler();
  }

  private registerTask(spec: TaskSpec): RunningTask | { readonly error: string } {
    if (this.status !== JobStatus.RUNNING) return { error: `cannot register task '${spec.taskId}': the job is ${this.status}` };
    if (!isValidId(spec.taskId)) return { error: `cannot register task '${spec.taskId}': a task id is letters, digits, '.', '_' or '-'` };
    if (this.tasks.indexOf(spec.taskId) !== undefined) return { error: `cannot register task '${spec.taskId}': a task with this id is already registered` };
    const index = this.tasks.add(spec);
    try {
      this.deployTask(index);
    } catch (error) {
      return { error: `task '${spec.taskId}' was registered but its deployment failed: ${errorMessage(error)}` };
    }
    return this.tasks.describe()[index] as RunningTask;
  }

  /** Spawns a new attempt of the task at `index`. @throws what the deployer throws. */
  private deployTask(index: number): void {
    const spec = this.tasks.specs[index] as TaskSpec;
    const attemptId = asAttemptId(uuidv4());
    const ref = spec.deploy({ jobId: this.settings.jobId, taskId: this.tasks.ids[index] as TaskId, attemptId, coordinator: this.ports.self, report: this.batcher.send });
    this.tasks.markRunning(index, attemptId, ref);
  }

  private sendToTasks(build: (taskId: TaskId, attemptId: AttemptId) => CoordinatorToTaskMessage): void {
    const { ids, attemptIds, refs } = this.tasks;
    for (let index = 0; index < ids.length; index += 1) {
      const ref = refs[index];
      if (ref !== null && ref !== undefined && this.tasks.isRunning(index)) tell(ref, build(ids[index] as TaskId, attemptIds[index] as AttemptId));
    }
  }

  // ---------------------------------------------------------------- scheduler

  private startScheduler(): void {
    if (this.schedulerRunning) return;
    this.schedulerRunning = true;
    this.scheduleTick(this.settings.initialDelay);
  }

  private stopScheduler(): void {
    this.schedulerRunning = false;
    this.schedulerGeneration += 1;
    this.schedulerTimer?.cancel();
    this.schedulerTimer = null;
  }

  private scheduleTick(delay: number): void {
    const generation = ++this.schedulerGeneration;
    this.schedulerTimer?.cancel();
    this.schedulerTimer = this.settings.clock.schedule(delay, () => tell(this.ports.self, { type: 'SchedulerTick', generation }));
  }

  private onSchedulerTick(generation: number): void {
    if (generation !== this.schedulerGeneration || !this.schedulerRunning) return;
    this.scheduleTick(this.settings.interval);
    if (this.queue.some((request) => request.kind === 'periodic')) return;
    this.enqueue({ kind: 'periodic', replyTo: null, retention: this.settings.retention });
  }

  private schedulePauseWakeUp(at: number): void {
    if (this.pauseTimer !== null && this.pauseTimer.at <= at) return;
    this.pauseTimer?.timer.cancel();
    const timer = this.settings.clock.schedule(at - this.settings.clock.now(), () => tell(this.ports.self, { type: 'PauseElapsed' }));
    this.pauseTimer = { at, timer };
  }

  // ---------------------------------------------------------------- triggering

  private enqueue(request: TriggerRequest): void {
    if (this.queue.length >= this.settings.maxQueuedRequests) {
      return this.refuse(request, CheckpointFailureReason.TOO_MANY_QUEUED_REQUESTS,
        `${this.queue.length} trigger requests are already queued (maxQueuedRequests is ${this.settings.maxQueuedRequests})`);
    }
    this.queue.push(request);
    this.processQueue();
  }

  private processQueue(): void {
    if (this.triggering !== null) return;
    for (let index = 0; index < this.queue.length; index += 1) {
      const request = this.queue[index] as TriggerRequest;
      const admission = this.admit(request);
      if (admission === 'wait') continue;
      this.queue.splice(index, 1);
      index -= 1;
      if (admission === 'run') return this.beginTrigger(request);
      this.refuse(request, admission.reason, admission.message);
    }
  }

  private admit(request: TriggerRequest): Admission {
    if (this.status !== JobStatus.RUNNING) return { reason: CheckpointFailureReason.COORDINATOR_SHUTDOWN, message: `the coordinator is shut down (job ${this.status})` };
    if (this.tasks.size === 0) return { reason: CheckpointFailureReason.NO_TASKS, message: 'no task is registered' };
    if (this.failingOver || !this.tasks.allRunning) {
      const notRunning = this.tasks.failedIndexes().map((index) => this.tasks.ids[index]);
      return { reason: CheckpointFailureReason.NOT_ALL_TASKS_RUNNING, message: `not every task is running${notRunning.length > 0 ? ` (waiting for ${notRunning.join(', ')})` : ' (the job is being restored)'}` };
    }
    const discards = this.ports.cleaner.pendingDiscards();
    if (discards > this.settings.maxPendingDiscards) {
      return { reason: CheckpointFailureReason.TOO_MANY_PENDING_DISCARDS, message: `${discards} state deletions are backlogged (maxPendingDiscards is ${this.settings.maxPendingDiscards})` };
    }
    if (request.kind === 'savepoint') return 'run';
    let pendingCheckpoints = 0;
    for (const inFlight of this.pending.values()) if (inFlight.pending.properties.type === CheckpointType.CHECKPOINT) pendingCheckpoints += 1;
    if (pendingCheckpoints >= this.settings.maxConcurrent) return 'wait';
    if (request.kind === 'periodic') {
      const pauseEnds = this.lastCompletionTime + this.settings.minPause;
      if (this.settings.clock.now() < pauseEnds) {
        this.schedulePauseWakeUp(pauseEnds);
        return 'wait';
      }
    }
    return 'run';
  }

  private beginTrigger(request: TriggerRequest): void {
    this.triggering = request;
    const token = ++this.triggerToken;
    const { self } = this.ports;
    this.counterReady = this.counterReady
      .then(() => this.ports.idCounter.getAndIncrement())
      .then(
        (checkpointId) => tell(self, { type: 'CheckpointIdAssigned', token, checkpointId }),
        (error: unknown) => tell(self, { type: 'CheckpointIdFailed', token, error: errorMessage(error) }),
      );
  }

  private onCheckpointIdFailed(token: number, error: string): void {
    if (token !== this.triggerToken || this.triggering === null) return;
    const request = this.triggering;
    this.triggering = null;
    this.refuse(request, CheckpointFailureReason.ID_COUNTER_FAILURE, `the checkpoint id counter failed: ${error}`);
    this.processQueue();
  }

  private onCheckpointIdAssigned(token: number, checkpointId: CheckpointId): void {
    if (token !== this.triggerToken || this.triggering === null) return;
    const request = this.triggering;
    this.triggering = null;
    const admission = this.admit({ ...request, kind: 'savepoint' });
    if (admission !== 'run' && admission !== 'wait') {
      this.refuse(request, admission.reason, admission.message);
      return this.processQueue();
    }
    const now = this.settings.clock.now();
    const properties: CheckpointProperties = {
      type: request.kind === 'savepoint' ? CheckpointType.SAVEPOINT : CheckpointType.CHECKPOINT,
      retention: request.retention,
      forced: request.kind !== 'periodic',
    };
    const pending = new PendingCheckpoint(this.settings.jobId, checkpointId, now, properties, this.tasks.participants());
    const timeout = this.settings.clock.schedule(this.settings.timeout, () => tell(this.ports.self, { type: 'CheckpointExpired', checkpointId }));
    this.pending.set(checkpointId, { pending, requesters: request.replyTo === null ? [] : [request.replyTo], timeout });
    this.counts.triggered += 1;
    this.emit({ type: 'checkpoint-triggered', checkpointId, savepoint: properties.type === CheckpointType.SAVEPOINT });
    const { jobId } = this.settings;
    this.sendToTasks((taskId, attemptId) => ({ type: 'TriggerCheckpoint', jobId, taskId, attemptId, checkpointId, timestamp: now, properties }));
    this.processQueue();
  }

  private refuse(request: TriggerRequest, reason: CheckpointFailureReason, message: string): void {
    this.counts.refusedTriggers += 1;
    const text = `${request.kind === 'savepoint' ? 'savepoint' : 'checkpoint'} not triggered: ${message}`;
    this.latestFailed = { checkpointId: null, reason, message: text, timestamp: this.settings.clock.now() };
    if (request.replyTo !== null) tell(request.replyTo, { status: 'failed', checkpointId: null, reason, message: text });
    this.emit({ type: 'checkpoint-failed', checkpointId: null, reason, message: text });
  }

  // ---------------------------------------------------------------- acknowledgements

  private isForeign(message: { readonly jobId: string }): boolean {
    if (message.jobId === this.settings.jobId) return false;
    this.counts.foreignMessages += 1;
    return true;
  }

  private onAcknowledge(message: AcknowledgeCheckpoint): void {
    if (this.isForeign(message)) return;
    const inFlight = this.pending.get(message.checkpointId);
    let result: TaskAcknowledgeResult;
    if (inFlight === undefined) {
      const completed = this.finalizing.has(message.checkpointId) || this.retainedCompletedIds.has(message.checkpointId);
      result = completed ? TaskAcknowledgeResult.DUPLICATE : TaskAcknowledgeResult.DISCARDED;
    } else {
      const index = this.tasks.indexOf(message.taskId);
      result = index === undefined
        ? TaskAcknowledgeResult.UNKNOWN
        : inFlight.pending.acknowledgeTask(index, message.attemptId, message.state, this.settings.clock.now());
    }
    switch (result) {
      case TaskAcknowledgeResult.SUCCESS:
        if ((inFlight as CheckpointInFlight).pending.isFullyAcknowledged) this.completePending(inFlight as CheckpointInFlight);
        return;
      case TaskAcknowledgeResult.DUPLICATE:
        this.counts.duplicateAcknowledgements += 1;
        return;
      case TaskAcknowledgeResult.UNKNOWN:
      case TaskAcknowledgeResult.DISCARDED:
        this.counts.discardedAcknowledgements += 1;
        this.discardStates(message.checkpointId, [message.state]);
        return;
    }
  }

  private onDecline(message: DeclineCheckpoint): void {
    if (this.isForeign(message)) return;
    const inFlight = this.pending.get(message.checkpointId);
    const index = this.tasks.indexOf(message.taskId);
    if (inFlight === undefined || index === undefined || !inFlight.pending.isParticipant(index, message.attemptId)) return;
    this.abortPending(inFlight, CheckpointFailureReason.DECLINED, `task ${message.taskId} declined checkpoint ${message.checkpointId}: ${message.reason}`);
  }

  private onExpired(checkpointId: CheckpointId): void {
    const inFlight = this.pending.get(checkpointId);
    if (inFlight === undefined) return;
    const { pending } = inFlight;
    this.abortPending(inFlight, CheckpointFailureReason.EXPIRED,
      `checkpoint ${checkpointId} expired after ${this.settings.timeout} ms with ${pending.numberOfAcknowledgedTasks} of ${pending.numberOfTasks} tasks acknowledged`);
  }

  /** Discards task states that belong to no completed checkpoint: private files at once, shared files once safe. */
  private discardStates(checkpointId: CheckpointId, states: readonly TaskStateSnapshot[]): void {
    if (states.length === 0) return;
    this.counts.discardedStates += states.length;
    this.ports.cleaner.discardPrivateState(states);
    this.sharedStateDiscards.giveUp(checkpointId, states);
  }

  // ---------------------------------------------------------------- completion

  private completePending(inFlight: CheckpointInFlight): void {
    const { pending } = inFlight;
    const checkpointId = pending.checkpointId;
    const isCheckpoint = pending.properties.type === CheckpointType.CHECKPOINT;
    const newer = isCheckpoint ? this.newestCompletedOrFinalizingCheckpointId() : 0;
    if (checkpointId < newer) {
      return this.abortPending(inFlight, CheckpointFailureReason.SUBSUMED, `checkpoint ${checkpointId} was subsumed by checkpoint ${newer}, which completed first`);
    }
    this.pending.delete(checkpointId);
    inFlight.timeout.cancel();
    const finalized = pending.finalize(this.settings.clock.now(), null);
    let registered: CompletedCheckpoint;
    try {
      registered = this.ports.cleaner.registerCompleted(finalized);
    } catch (error) {
      this.discardStates(checkpointId, Object.values(finalized.taskStates));
      this.finalizing.set(checkpointId, inFlight);
      return this.onFinalizeFailed(checkpointId, `registering its shared state failed: ${errorMessage(error)}`);
    }
    this.finalizing.set(checkpointId, inFlight);
    const { self } = this.ports;
    this.finalizeChain = this.finalizeChain
      .then(() => this.persist(registered))
      .then(
        ({ checkpoint, subsumed }) => tell(self, { type: 'CheckpointFinalized', checkpoint, subsumed }),
        (error: unknown) => tell(self, { type: 'CheckpointFinalizeFailed', checkpointId, error: errorMessage(error) }),
      );
  }

  /** The newest checkpoint (not savepoint) that completed or is being finalized: an older one acknowledged later is subsumed. */
  private newestCompletedOrFinalizingCheckpointId(): number {
    let newest = this.latestCompletedCheckpointId;
    for (const { pending } of this.finalizing.values()) {
      if (pending.properties.type === CheckpointType.CHECKPOINT && pending.checkpointId > newest) newest = pending.checkpointId;
    }
    return newest;
  }

  /** Writes the metadata (when there is storage) and adds the checkpoint to the store. Runs off the mailbox. */
  private async persist(checkpoint: CompletedCheckpoint): Promise<{ checkpoint: CompletedCheckpoint; subsumed: readonly CompletedCheckpoint[] }> {
    let stored = checkpoint;
    const { storage, store, cleaner } = this.ports;
    if (storage !== null) {
      try {
        const pointer = await storage.writeMetadata(checkpoint);
        stored = freeze({ ...checkpoint, externalPointer: pointer }, true);
      } catch (error) {
        await cleaner.discard(checkpoint, 'failed-add').catch(() => undefined);
        throw new Error(`writing the metadata of checkpoint ${checkpoint.checkpointId} to ${storage.description} failed: ${errorMessage(error)}`);
      }
    }
    try {
      const subsumed = await store.addCheckpointAndSubsumeOldestOne(stored);
      return { checkpoint: stored, subsumed };
    } catch (error) {
      throw new Error(`adding checkpoint ${checkpoint.checkpointId} to the completed checkpoint store failed: ${errorMessage(error)}`);
    }
  }

  private onFinalized(checkpoint: CompletedCheckpoint, subsumed: readonly CompletedCheckpoint[]): void {
    const checkpointId = checkpoint.checkpointId;
    const inFlight = this.finalizing.get(checkpointId);
    this.finalizing.delete(checkpointId);
    this.retainedCompletedIds.add(checkpointId);
    for (const old of subsumed) this.retainedCompletedIds.delete(old.checkpointId);
    this.sharedStateDiscards.settled(checkpointId);
    if (checkpoint.properties.type === CheckpointType.CHECKPOINT) this.latestCompletedCheckpointId = Math.max(this.latestCompletedCheckpointId, checkpointId);
    this.counts.completed += 1;
    this.latestCompleted = {
      checkpointId,
      type: checkpoint.properties.type,
      durationMs: checkpoint.completionTimestamp - checkpoint.triggerTimestamp,
      stateSize: checkpoint.stateSize,
      completionTimestamp: checkpoint.completionTimestamp,
    };
    if (inFlight !== undefined) this.lastFinished = inFlight.pending;
    this.failureManager.handleCheckpointSuccess();
    this.lastCompletionTime = this.settings.clock.now();
    const subsumesPending = checkpoint.properties.type === CheckpointType.CHECKPOINT;
    for (const older of subsumesPending ? [...this.pending.values()] : []) {
      if (older.pending.checkpointId < checkpointId && older.pending.properties.type === CheckpointType.CHECKPOINT) {
        this.abortPending(older, CheckpointFailureReason.SUBSUMED, `checkpoint ${older.pending.checkpointId} was subsumed by completed checkpoint ${checkpointId}`);
      }
    }
    this.completionNotificationsDue.push(checkpointId);
    tell(this.ports.self, { type: 'NotifyTasksOfCompletion' });
    for (const requester of inFlight?.requesters ?? []) tell(requester, { status: 'completed', checkpoint });
    this.emit({ type: 'checkpoint-completed', checkpoint });
    this.processQueue();
  }

  /**
   * Completion notifications are best effort and leave as a message of their own after the completion, in id order.
   * A restore flushes the ones still due first, so a task never hears of a completion after being restored past it.
   */
  private notifyTasksOfCompletion(): void {
    const due = this.completionNotificationsDue.splice(0);
    if (this.status !== JobStatus.RUNNING) return;
    const { jobId } = this.settings;
    for (const checkpointId of due) {
      this.sendToTasks((taskId, attemptId) => ({ type: 'NotifyCheckpointComplete', jobId, taskId, attemptId, checkpointId }));
    }
  }

  private onFinalizeFailed(checkpointId: CheckpointId, error: string): void {
    const inFlight = this.finalizing.get(checkpointId);
    if (inFlight === undefined) return;
    this.finalizing.delete(checkpointId);
    this.finishFailed(inFlight, CheckpointFailureReason.FINALIZE_FAILURE, `checkpoint ${checkpointId} could not be finalized: ${error}`);
  }

  // ---------------------------------------------------------------- aborts and failures

  private abortPending(inFlight: CheckpointInFlight, reason: CheckpointFailureReason, message: string): void {
    const { pending } = inFlight;
    this.pending.delete(pending.checkpointId);
    inFlight.timeout.cancel();
    this.discardStates(pending.checkpointId, pending.abort(reason));
    this.ports.cleaner.discardAbortedCheckpoint(this.settings.jobId, pending.checkpointId);
    this.finishFailed(inFlight, reason, message);
  }

  private finishFailed(inFlight: CheckpointInFlight, reason: CheckpointFailureReason, message: string): void {
    const checkpointId = inFlight.pending.checkpointId;
    this.sharedStateDiscards.settled(checkpointId);
    this.lastFinished = inFlight.pending;
    this.counts.failed += 1;
    this.latestFailed = { checkpointId, reason, message, timestamp: this.settings.clock.now() };
    if (!isPreFlight(reason)) {
      const { jobId } = this.settings;
      this.sendToTasks((taskId, attemptId) => ({ type: 'NotifyCheckpointAborted', jobId, taskId, attemptId, checkpointId, reason }));
    }
    for (const requester of inFlight.requesters) tell(requester, { status: 'failed', checkpointId, reason, message });
    this.emit({ type: 'checkpoint-failed', checkpointId, reason, message });
    if (this.failureManager.handleCheckpointFailure(checkpointId, reason)) {
      this.failJob(`${this.failureManager.continuousFailures} checkpoint failures in a row exceed tolerableFailures (${this.settings.tolerableFailures}); last: ${message}`);
    } else {
      this.processQueue();
    }
  }

  private failJob(message: string): void {
    this.counts.jobFailures += 1;
    this.emit({ type: 'job-failed', message });
    this.startFailover(CheckpointFailureReason.JOB_FAILOVER, message);
  }

  private onTaskFailed(message: TaskFailed): void {
    if (this.isForeign(message)) return;
    const index = this.tasks.indexOf(message.taskId);
    if (index === undefined || !this.tasks.isRunning(index) || this.tasks.attemptIds[index] !== message.attemptId) return;
    this.tasks.markFailed(index);
    this.emit({ type: 'task-failed', taskId: message.taskId, attemptId: message.attemptId, error: message.error });
    if (this.status !== JobStatus.RUNNING) return;
    this.startFailover(CheckpointFailureReason.TASK_FAILURE, `task ${message.taskId} (attempt ${message.attemptId}) failed: ${message.error}`);
  }

  /** Aborts pending checkpoints, pauses the scheduler and, once finalizations in flight have settled, restores the latest checkpoint. */
  private startFailover(reason: CheckpointFailureReason, cause: string): void {
    if (this.status !== JobStatus.RUNNING) return;
    if (!this.failingOver) this.resumeSchedulerAfterFailover = this.schedulerRunning;
    this.failingOver = true;
    this.stopScheduler();
    for (const inFlight of [...this.pending.values()]) {
      this.abortPending(inFlight, reason, `checkpoint ${inFlight.pending.checkpointId} aborted by failover: ${cause}`);
    }
    for (const request of this.queue.splice(0)) this.refuse(request, reason, `failover in progress: ${cause}`);
    const token = ++this.failoverToken;
    const { self } = this.ports;
    const runFailover = (): void => tell(self, { type: 'RunFailover', token });
    const delay = reason === CheckpointFailureReason.TASK_FAILURE ? this.settings.restartDelay : 0;
    this.finalizeChain = this.finalizeChain.then(() => {
      if (delay === 0) runFailover();
      else this.settings.clock.schedule(delay, runFailover);
    });
  }

  private runFailover(token: number): void {
    if (token !== this.failoverToken || !this.failingOver || this.status !== JobStatus.RUNNING) return;
    const requesters = this.failoverRequesters.splice(0);
    this.notifyTasksOfCompletion();
    const latest = this.ports.store.getLatestCheckpoint();
    const problem = this.restoreProblem(latest);
    if (problem !== null) {
      this.emit({ type: 'restore-failed', message: problem });
      return this.failTerminally(problem, requesters);
    }
    for (const index of this.tasks.failedIndexes()) {
      try {
        this.deployTask(index);
        this.counts.taskRestarts += 1;
        this.emit({ type: 'task-restarted', taskId: this.tasks.ids[index] as TaskId, attemptId: this.tasks.attemptIds[index] as AttemptId });
      } catch (error) {
        return this.failTerminally(`restarting task ${this.tasks.ids[index]} failed: ${errorMessage(error)}`, requesters);
      }
    }
    const checkpointId = latest?.checkpointId ?? null;
    const { jobId } = this.settings;
    this.sendToTasks((taskId, attemptId) => ({ type: 'RestoreState', jobId, taskId, attemptId, checkpointId, state: latest?.taskStates[taskId] ?? null }));
    if (latest !== null) this.advanceCounterPast(latest.checkpointId);
    this.failingOver = false;
    this.counts.restored += 1;
    this.latestRestore = { checkpointId, timestamp: this.settings.clock.now() };
    this.emit({ type: 'state-restored', checkpointId, tasks: this.tasks.size });
    for (const requester of requesters) tell(requester, { status: 'restored', checkpointId });
    if (this.resumeSchedulerAfterFailover) {
      this.resumeSchedulerAfterFailover = false;
      this.startScheduler();
    }
    this.processQueue();
  }

  /** The job cannot go on: it is FAILED, the scheduler stops, the tasks that run are stopped. */
  private failTerminally(message: string, requesters: readonly TypedRef<RestoreOutcome>[]): void {
    this.failingOver = false;
    this.status = JobStatus.FAILED;
    this.stopScheduler();
    this.stopRunningTasks();
    for (const requester of requesters) tell(requester, { status: 'failed', message });
    this.emit({ type: 'job-failed', message });
  }

  /** Stops every running task actor; their failure reports are then ignored, since they no longer run. */
  private stopRunningTasks(): void {
    this.tasks.refs.forEach((ref, index) => {
      if (ref !== null && this.tasks.isRunning(index)) {
        this.tasks.markFailed(index);
        this.ports.stopTask(ref);
      }
    });
  }

  private restoreProblem(latest: CompletedCheckpoint | null): string | null {
    if (latest === null) {
      return this.settings.errorIfNoCheckpoint
        ? `restore of job ${this.settings.jobId} failed: there is no completed checkpoint to restore from and errorIfNoCheckpoint is set`
        : null;
    }
    if (this.settings.allowNonRestoredState) return null;
    const orphaned = Object.keys(latest.taskStates).filter((taskId) => this.tasks.indexOf(taskId) === undefined);
    return orphaned.length === 0
      ? null
      : `restore of job ${this.settings.jobId} failed: checkpoint ${latest.checkpointId} holds state for task(s) ${orphaned.join(', ')} that no longer exist; set allowNonRestoredState to restore without it`;
  }

  private advanceCounterPast(checkpointId: CheckpointId): void {
    const counter = this.ports.idCounter;
    this.counterReady = this.counterReady
      .then(() => counter.get())
      .then((next) => (next <= checkpointId ? counter.setCount(checkpointId + 1) : undefined))
      .catch((error: unknown) => this.emit({ type: 'storage-failure', message: `advancing the checkpoint id counter past ${checkpointId} failed: ${errorMessage(error)}` }));
  }

  // ---------------------------------------------------------------- shutdown and stats

  private shutdown(jobStatus: JobStatus, replyTo: TypedRef<{ readonly done: true }>): void {
    if (this.status === JobStatus.RUNNING) {
      this.status = jobStatus === JobStatus.RUNNING ? JobStatus.SUSPENDED : jobStatus;
      this.stopScheduler();
      this.pauseTimer?.timer.cancel();
      this.failoverToken += 1;
      this.failingOver = false;
      for (const requester of this.failoverRequesters.splice(0)) tell(requester, { status: 'failed', message: `the coordinator shut down (job ${this.status})` });
      for (const request of this.queue.splice(0)) this.refuse(request, CheckpointFailureReason.COORDINATOR_SHUTDOWN, `the coordinator shut down (job ${this.status})`);
      for (const inFlight of [...this.pending.values()]) {
        this.abortPending(inFlight, CheckpointFailureReason.COORDINATOR_SHUTDOWN, `checkpoint ${inFlight.pending.checkpointId} aborted: the coordinator shut down`);
      }
      this.stopRunningTasks();
    }
    const status = this.status;
    const { store, idCounter } = this.ports;
    this.finalizeChain = this.finalizeChain
      .then(() => store.shutdown(status))
      .then(() => idCounter.shutdown(status))
      .catch((error: unknown) => this.emit({ type: 'storage-failure', message: `shutting down the checkpoint store or id counter failed: ${errorMessage(error)}` }))
      .then(() => tell(replyTo, { done: true }));
  }

  private stats(): CheckpointStats {
    const finished = this.lastFinished;
    return freeze(
      {
        jobStatus: this.status,
        timerRunning: this.schedulerRunning,
        counts: { ...this.counts, inProgress: this.pending.size + this.finalizing.size },
        latestCompleted: this.latestCompleted,
        latestFailed: this.latestFailed,
        latestRestore: this.latestRestore,
        lastAcknowledgementLatencies: finished === null
          ? null
          : { checkpointId: finished.checkpointId, perTask: finished.acknowledgementLatencies() as Record<TaskId, number | null> },
        continuousFailures: this.failureManager.continuousFailures,
        pendingDiscards: this.ports.cleaner.pendingDiscards(),
      },
      true,
    );
  }

  private emit(event: CoordinatorEvent): void {
    const listener = this.ports.onEvent;
    if (listener === null) return;
    try {
      listener(event);
    } catch (error) {
      this.counts.internalErrors += 1;
      this.ports.warn(`the onEvent listener threw on '${event.type}': ${errorMessage(error)}`);
    }
  }
}

/** The public face of a spawned coordinator: tasks and clients may send it these messages. */
export type CheckpointCoordinatorRef = TypedRef<CoordinatorMessage>;
