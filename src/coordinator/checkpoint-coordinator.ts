import { resolve } from 'node:path';
import { tell, type TypedRef } from '../actor/typed-ref.js';
import { errorMessage } from '../core/error-message.js';
import { asCheckpointId, type AttemptId, type CheckpointId, type TaskId } from '../core/ids.js';
import { JobStatus } from '../core/job-status.js';
import type { Logger } from '../core/logger.js';
import { isPathSafeId } from '../core/path-safe-id.js';
import { CheckpointFailureReason, isPreFlight } from '../checkpoint/checkpoint-failure-reason.js';
import { CheckpointType, type CheckpointProperties } from '../checkpoint/checkpoint-properties.js';
import type { CheckpointIDCounter } from '../checkpoint/checkpoint-id-counter.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { CompletedCheckpointStore } from '../checkpoint/completed-checkpoint-store.js';
import { PendingCheckpoint } from '../checkpoint/pending-checkpoint.js';
import { TaskAcknowledgeResult } from '../checkpoint/task-acknowledge-result.js';
import type { RestoreOutcome } from '../protocol/checkpoint-outcome.js';
import type { CoordinatorRequest, RunningTask } from '../protocol/coordinator-protocol.js';
import { replyToMalformedRequest } from '../protocol/malformed-request-reply.js';
import { describeMalformedMessage } from '../protocol/message-validation.js';
import type { TaskSpec } from '../protocol/task-deployment.js';
import type { AcknowledgeCheckpoint, CoordinatorToTaskMessage, DeclineCheckpoint, TaskFailed } from '../protocol/task-protocol.js';
import { describeMalformedTaskState } from '../protocol/task-state-validation.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import { storageLayout } from '../storage/storage-layout.js';
import { CheckpointCleaner } from './checkpoint-cleaner.js';
import { CheckpointFailureManager } from './checkpoint-failure-manager.js';
import { CheckpointFinalizer } from './checkpoint-finalizer.js';
import type { CheckpointStateCleaner } from './checkpoint-state-cleaner.js';
import type { CoordinatorEvent } from './coordinator-event.js';
import { hasInternalType, internal, isInternal, type CoordinatorInternalMessage, type CoordinatorMailboxMessage, type CoordinatorMessage } from './coordinator-message.js';
import type { CoordinatorSettings } from './coordinator-options.js';
import type { CoordinatorPhase } from './coordinator-phase.js';
import { CoordinatorReporter } from './coordinator-reporter.js';
import { planRestore, restorePointOf } from './failover-planner.js';
import { InternalMessageLane } from './internal-message-lane.js';
import { PendingCheckpointTable, type CheckpointInFlight } from './pending-checkpoint-table.js';
import { PeriodicTrigger } from './periodic-trigger.js';
import { RestartBackoff } from './restart-strategy.js';
import { RetainedCheckpoints } from './retained-checkpoints.js';
import { TaskDeployments } from './task-deployments.js';
import { TaskMessageBatcher } from './task-message-batcher.js';
import type { TriggerRequest } from './trigger-request.js';
import { decideEnqueue, decideTriggers, type TriggerView } from './trigger-request-decider.js';

/** The collaborators a coordinator works with; all are injected so specs can replace them. */
export interface CoordinatorEnvironment {
  readonly self: TypedRef<CoordinatorMailboxMessage>;
  readonly store: CompletedCheckpointStore;
  readonly idCounter: CheckpointIDCounter;
  readonly storage: CheckpointStorage | null;
  readonly stateCleaner: CheckpointStateCleaner;
  readonly onEvent: ((event: CoordinatorEvent) => void) | null;
  readonly stopTask: (ref: TypedRef<CoordinatorToTaskMessage>) => void;
  /** Every event is logged here at its level (see coordinatorEventLogLine), and so is a listener that throws. */
  readonly logger: Logger;
}

/** At most this many silent tasks are named when a checkpoint expires. */
const SILENT_TASKS_NAMED = 10;

/**
 * The checkpoint coordinator: it decides nothing itself. Collaborators return decisions (which request runs, what a
 * restore sends, whether the restart strategy gives up, what becomes of an acknowledgement) and this class carries
 * out their effects, in one place. Every handler is synchronous and O(1) per acknowledgement: the only asynchronous
 * work (ids, metadata, store) runs in the {@link CheckpointFinalizer} and comes back as messages to self; a result
 * for a checkpoint no longer in flight is dropped. The nact actor spawned by `spawnCheckpointCoordinator` is a thin
 * shell around {@link handle}.
 */
export class CheckpointCoordinator {
  private phase: CoordinatorPhase = { status: 'running' };
  private readonly tasks: TaskDeployments;
  private readonly checkpoints = new PendingCheckpointTable();
  private readonly trigger: PeriodicTrigger;
  private readonly finalizer: CheckpointFinalizer;
  private readonly cleaner: CheckpointCleaner;
  private readonly failures: CheckpointFailureManager;
  private readonly restarts: RestartBackoff;
  private readonly reporter: CoordinatorReporter;
  private readonly retained: RetainedCheckpoints;
  private queue: readonly TriggerRequest[] = [];
  /** The request whose checkpoint id is being fetched from the counter; one at a time. */
  private triggering: { readonly token: number; readonly request: TriggerRequest } | null = null;
  private triggerToken = 0;
  private restoreToken = 0;
  private readonly completionNotificationsDue: CheckpointId[] = [];
  /** The id of the latest completed checkpoint (not savepoint). */
  private latestCompletedCheckpointId = 0;
  private lastCompletionTime = Number.NEGATIVE_INFINITY;
  /** Set by handlers that may have let a queued request run; the queue is looked at once, after the message. */
  private queueChanged = false;
  /** Ids and finalization results: handled in a microtask after they arrive, not a mailbox turn later. */
  private readonly lane = new InternalMessageLane((message) => this.guarded(message, () => this.dispatchInternal(message)));

  constructor(private readonly settings: CoordinatorSettings, private readonly environment: CoordinatorEnvironment) {
    const { storage, self } = environment;
    const toSelf = (message: CoordinatorInternalMessage): void => tell(self, internal(message));
    this.reporter = new CoordinatorReporter(settings, environment.logger, environment.onEvent, storage);
    this.retained = new RetainedCheckpoints(environment.store);
    this.failures = new CheckpointFailureManager(settings.tolerableFailures);
    this.restarts = new RestartBackoff(settings.restartStrategy);
    this.tasks = new TaskDeployments(settings.jobId, environment.self, new TaskMessageBatcher(this.lane.offer, toSelf).send, environment.stopTask);
    this.trigger = new PeriodicTrigger(
      settings.clock, settings.interval, settings.initialDelay,
      (generation) => toSelf({ type: 'SchedulerTick', generation }),
      () => toSelf({ type: 'PauseElapsed' }),
    );
    // Ids and finalization results take the lane: they are the steps every checkpoint waits for.
    this.finalizer = new CheckpointFinalizer(this.lane.offer, environment.idCounter, environment.storage, environment.store);
    this.cleaner = new CheckpointCleaner(
      settings.jobId,
      environment.stateCleaner,
      { inFlightIds: () => this.checkpoints.inFlightIds(), isRetained: (id) => this.retained.has(id), filesOfRetained: (id) => this.retained.filesOf(id) },
      (checkpointId, refused) => this.reporter.refusedDiscards(checkpointId, refused),
    );
  }

  /** Sends the coordinator one of its own messages through its mailbox, behind what is queued there. */
  private toSelf(message: CoordinatorInternalMessage): void {
    tell(this.environment.self, internal(message));
  }

  /** Handles one message from the mailbox. Never throws: malformed messages and internal errors are counted and reported. */
  handle(message: CoordinatorMailboxMessage): void {
    this.guarded(message, () => (isInternal(message) ? this.dispatchInternal(message) : this.receive(message)));
  }

  /** Runs one message's handling, then looks at the queue once; an internal error is counted and reported, never thrown. */
  private guarded(message: unknown, handling: () => void): void {
    try {
      handling();
      if (this.queueChanged) this.processQueue();
    } catch (error) {
      this.reporter.internalError(message, error);
    }
  }

  /** Cancels every timer: the actor stopped (its system was stopped), so nothing it scheduled may keep the process alive. */
  dispose(): void {
    this.lane.close();
    this.trigger.cancelAll();
    if (this.phase.status === 'restoring') this.phase.timer?.cancel();
    for (const inFlight of this.checkpoints.allPending()) inFlight.expiry.cancel();
  }

  // ---------------------------------------------------------------- receiving

  /** A message from outside: a task's or a client's, checked field by field before anything is done with it. */
  private receive(message: unknown): void {
    const problem = typeof message === 'object' && message !== null && hasInternalType(message as { type: unknown })
      ? `'${String((message as { type: unknown }).type)}' is the coordinator's own message and is not accepted from outside`
      : describeMalformedMessage(message);
    if (problem !== null) return this.reportMalformed(problem, message);
    const valid = message as CoordinatorMessage;
    switch (valid.type) {
      case 'AcknowledgeCheckpoint': return this.onAcknowledge(valid);
      case 'DeclineCheckpoint': return this.onDecline(valid);
      case 'TaskFailed': return this.onTaskFailed(valid);
      default: return this.onRequest(valid);
    }
  }

  private dispatchInternal(message: Exclude<CoordinatorMailboxMessage, CoordinatorMessage>): void {
    switch (message.type) {
      case 'StartCoordinator': return this.start();
      case 'SchedulerTick':
        if (this.trigger.acceptTick(message.generation)) this.enqueue({ kind: 'periodic', replyTo: null, retention: this.settings.retention });
        return;
      case 'PauseElapsed':
        this.trigger.pauseElapsed();
        this.queueChanged = true;
        return;
      case 'CheckpointIdAssigned': return this.onIdAssigned(message.token, message.checkpointId);
      case 'CheckpointIdFailed': return this.onIdFailed(message.token, message.error);
      case 'CheckpointExpired': return this.onExpired(message.checkpointId);
      case 'CheckpointFinalized': return this.onFinalized(message.checkpoint, message.savepointPath);
      case 'CheckpointFinalizeFailed': return this.onFinalizeFailed(message.checkpoint, message.error, message.storeKeepsState);
      case 'RunRestore': return this.runRestore(message.token);
      case 'CounterAdvanceFailed':
        return this.reporter.emit({ type: 'storage-failure', message: `advancing the checkpoint id counter past ${message.checkpointId} failed: ${message.error}` });
      case 'StoresShutDown':
        if (message.error !== null) this.reporter.emit({ type: 'storage-failure', message: `shutting down the checkpoint store or id counter failed: ${message.error}` });
        // The history of every checkpoint handled before this message is on disk before the shutdown is answered.
        if (message.replyTo !== null) {
          const replyTo = message.replyTo;
          void this.reporter.flushHistory().then(() => tell(replyTo, { done: true }));
        }
        return;
      case 'NotifyTasksOfCompletion': return this.notifyTasksOfCompletion();
      // Each task message of a batch is handled as if it had come alone; one bad message does not spoil the rest.
      case 'TaskMessageBatch': for (const each of message.messages) this.receive(each); return;
    }
  }

  private onRequest(request: CoordinatorRequest): void {
    switch (request.type) {
      case 'TriggerCheckpointNow':
        return this.enqueue({ kind: 'manual', replyTo: request.replyTo, retention: this.settings.retention });
      case 'TriggerSavepoint': {
        const target = request.targetDirectory === undefined ? {} : { targetDirectory: resolve(request.targetDirectory) };
        return this.enqueue({ kind: 'savepoint', replyTo: request.replyTo, retention: request.retention ?? this.settings.retention, ...target });
      }
      case 'GetCheckpointStats':
        return tell(request.replyTo, this.reporter.snapshot({
          jobStatus: this.phase.status === 'ended' ? this.phase.jobStatus : JobStatus.RUNNING,
          timerRunning: this.trigger.isRunning,
          inProgress: this.checkpoints.size,
          continuousFailures: this.failures.continuousFailures,
          pendingDiscards: this.cleaner.pendingDiscards(),
        }));
      case 'RestoreLatestCheckpoint':
        if (this.phase.status === 'ended') return tell(request.replyTo, { status: 'failed', message: `the job is ${this.phase.jobStatus}: nothing to restore into` });
        return this.failover(CheckpointFailureReason.JOB_FAILOVER, 'restore requested', { countsAsFailure: false, requester: request.replyTo });
      case 'StartCheckpointScheduler':
        if (this.phase.status === 'running') this.trigger.start();
        else if (this.phase.status === 'restoring') this.phase = { ...this.phase, resumeScheduler: true };
        return tell(request.replyTo, { done: true });
      case 'StopCheckpointScheduler':
        if (this.phase.status === 'restoring') this.phase = { ...this.phase, resumeScheduler: false };
        this.trigger.stop();
        return tell(request.replyTo, { done: true });
      case 'RegisterTask':
        return tell(request.replyTo, this.registerTask(request.task));
      case 'GetTasks':
        return tell(request.replyTo, this.tasks.table.describe());
      case 'ShutdownCoordinator':
        return this.shutdown(request.jobStatus, request.replyTo);
    }
  }

  // ---------------------------------------------------------------- start and tasks

  private start(): void {
    for (const spec of this.settings.tasks) this.tasks.add(spec);
    const deployFailures = this.deployNotRunning();
    const recovered = this.environment.store.getAllCheckpoints();
    if (recovered.length > 0) this.environment.stateCleaner.registerRecovered(recovered);
    if (deployFailures !== null) {
      if (this.settings.startScheduler) this.trigger.start();
      return this.failover(CheckpointFailureReason.TASK_FAILURE, deployFailures, { countsAsFailure: true });
    }
    if (this.environment.store.getLatestCheckpoint() !== null) {
      // A coordinator started over recovered checkpoints restores every task from the latest before the first trigger.
      this.beginRestore(CheckpointFailureReason.JOB_FAILOVER, 'recovering the job', this.settings.startScheduler, []);
      return this.runRestore(this.restoreToken);
    }
    if (this.settings.startScheduler) this.trigger.start();
  }

  /** Deploys every task that is not running; returns what failed (every failure, joined), or null. */
  private deployNotRunning(): string | null {
    const problems: string[] = [];
    for (const index of this.tasks.table.failedIndexes()) {
      try {
        this.tasks.deploy(index);
      } catch (error) {
        problems.push(errorMessage(error));
      }
    }
    return problems.length === 0 ? null : problems.join('; ');
  }

  private registerTask(spec: TaskSpec): RunningTask | { readonly error: string } {
    if (this.phase.status === 'ended') return { error: `cannot register task '${spec.taskId}': the job is ${this.phase.jobStatus}` };
    if (!isPathSafeId(spec.taskId)) return { error: `cannot register task '${spec.taskId}': a task id is letters, digits, '.', '_' or '-'` };
    if (this.tasks.table.indexOf(spec.taskId) !== undefined) return { error: `cannot register task '${spec.taskId}': a task with this id is already registered` };
    const index = this.tasks.add(spec);
    try {
      this.tasks.deploy(index);
    } catch (error) {
      return { error: `task '${spec.taskId}' was registered but its deployment failed: ${errorMessage(error)}` };
    }
    return this.tasks.table.describe()[index] as RunningTask;
  }

  // ---------------------------------------------------------------- triggering

  private enqueue(request: TriggerRequest): void {
    const verdict = decideEnqueue(this.queue, request, this.settings);
    if (verdict === 'coalesce') return;
    if (verdict !== 'join') return this.refuse(verdict.request, verdict.reason, verdict.message);
    this.queue = [...this.queue, request];
    this.queueChanged = true;
  }

  private processQueue(): void {
    this.queueChanged = false;
    const decision = decideTriggers(this.queue, this.triggerView(), this.settings, this.triggering !== null);
    this.queue = decision.waiting;
    for (const { request, reason, message } of decision.refused) this.refuse(request, reason, message);
    if (decision.wakeUpAt !== null) this.trigger.wakeUpAt(decision.wakeUpAt);
    if (decision.start !== null) {
      const token = ++this.triggerToken;
      this.triggering = { token, request: decision.start };
      this.finalizer.assignId(token);
    }
  }

  private triggerView(): TriggerView {
    const { table } = this.tasks;
    return {
      phase: this.phase.status,
      endedWith: this.phase.status === 'ended' ? this.phase.jobStatus : null,
      taskCount: table.size,
      tasksNotRunning: table.allRunning ? [] : table.failedIndexes().map((index) => table.ids[index] as TaskId),
      pendingCheckpoints: this.checkpoints.pendingCheckpointCount(),
      pendingDiscards: this.cleaner.pendingDiscards(),
      lastCompletionTime: this.lastCompletionTime,
      now: this.settings.clock.now(),
    };
  }

  private onIdFailed(token: number, error: string): void {
    if (this.triggering?.token !== token) return;
    const { request } = this.triggering;
    this.triggering = null;
    this.queueChanged = true;
    this.refuse(request, CheckpointFailureReason.IO_FAILURE, `the checkpoint id counter failed: ${error}`);
    // A broken counter stops every checkpoint: it counts toward tolerableFailures like any I/O failure.
    if (this.failures.handleCheckpointFailure(-token, CheckpointFailureReason.IO_FAILURE)) this.failJobOverCheckpointFailures(`the checkpoint id counter failed: ${error}`);
  }

  private onIdAssigned(token: number, checkpointId: CheckpointId): void {
    if (this.triggering?.token !== token) return;
    const { request } = this.triggering;
    this.triggering = null;
    this.queueChanged = true;
    if (this.phase.status === 'restoring') return this.refuse(request, this.phase.reason, `failover in progress: ${this.phase.cause}`);
    const view = this.triggerView();
    const refused = decideTriggers([{ ...request, kind: 'savepoint' }], view, this.settings, false).refused[0];
    if (refused !== undefined) return this.refuse(request, refused.reason, refused.message);
    const now = this.settings.clock.now();
    const properties: CheckpointProperties = {
      type: request.kind === 'savepoint' ? CheckpointType.SAVEPOINT : CheckpointType.CHECKPOINT,
      retention: request.retention,
      forced: request.kind !== 'periodic',
    };
    const pending = new PendingCheckpoint(this.settings.jobId, checkpointId, now, properties, this.tasks.table.participants());
    const expiry = this.settings.clock.schedule(this.settings.timeout, () => this.toSelf({ type: 'CheckpointExpired', checkpointId }));
    const savepointTarget = request.kind === 'savepoint' && request.targetDirectory !== undefined ? { savepointTarget: request.targetDirectory } : {};
    this.checkpoints.add({ pending, requesters: request.replyTo === null ? [] : [request.replyTo], expiry, ...savepointTarget });
    this.reporter.stats.reportTriggered(pending);
    this.reporter.emit({ type: 'checkpoint-triggered', checkpointId, savepoint: properties.type === CheckpointType.SAVEPOINT });
    const { jobId } = this.settings;
    // The field is only sent when set, so tasks that know nothing of it see the message they always saw.
    const full = this.retained.onlySavepoints() ? { fullSnapshot: true } : {};
    this.tasks.tellRunning((taskId, attemptId) => ({ type: 'TriggerCheckpoint', jobId, taskId, attemptId, checkpointId, timestamp: now, properties, ...full }));
  }

  private refuse(request: TriggerRequest, reason: CheckpointFailureReason, message: string): void {
    const text = `${request.kind === 'savepoint' ? 'savepoint' : 'checkpoint'} not triggered: ${message}`;
    this.reporter.stats.reportFailed(null, reason, text, this.settings.clock.now(), null);
    if (request.replyTo !== null) tell(request.replyTo, { status: 'failed', checkpointId: null, reason, message: text });
    this.reporter.emit({ type: 'checkpoint-failed', checkpointId: null, reason, message: text });
  }

  // ---------------------------------------------------------------- acknowledgements and declines

  private isForeign(message: { readonly jobId: string }): boolean {
    if (message.jobId === this.settings.jobId) return false;
    this.reporter.stats.counts.foreignMessages += 1;
    return true;
  }

  private onAcknowledge(message: AcknowledgeCheckpoint): void {
    if (this.isForeign(message)) return;
    const index = this.tasks.table.indexOf(message.taskId);
    const problem = describeMalformedTaskState(message.state, this.settings.jobId, message.checkpointId, 'AcknowledgeCheckpoint.state');
    if (problem !== null) {
      this.reportMalformed(problem, message);
      // A participant that cannot say what it snapshotted has declined: no need to wait for the timeout.
      const inFlight = this.checkpoints.pendingCheckpoint(message.checkpointId);
      if (inFlight !== undefined && index !== undefined && inFlight.pending.isParticipant(index, message.attemptId)) {
        this.abort(inFlight, CheckpointFailureReason.DECLINED, `task ${message.taskId} sent a malformed acknowledgement of checkpoint ${message.checkpointId}: ${problem}`);
      }
      return;
    }
    const verdict = this.checkpoints.acknowledge(message.checkpointId, index, message.attemptId, message.state, this.settings.clock.now(), (id) => this.retained.has(id));
    switch (verdict.result) {
      case TaskAcknowledgeResult.SUCCESS:
        if (verdict.inFlight.pending.isFullyAcknowledged) this.complete(verdict.inFlight);
        return;
      case TaskAcknowledgeResult.DUPLICATE:
        this.reporter.stats.counts.duplicateAcknowledgements += 1;
        return;
      case TaskAcknowledgeResult.UNKNOWN:
      case TaskAcknowledgeResult.DISCARDED:
        this.reporter.stats.counts.discardedAcknowledgements += 1;
        this.reporter.stats.counts.discardedStates += 1;
        this.cleaner.discardUnclaimed(message.checkpointId, message.state);
        return;
    }
  }

  private onDecline(message: DeclineCheckpoint): void {
    if (this.isForeign(message)) return;
    const inFlight = this.checkpoints.pendingCheckpoint(message.checkpointId);
    const index = this.tasks.table.indexOf(message.taskId);
    if (inFlight === undefined || index === undefined || !inFlight.pending.isParticipant(index, message.attemptId)) return;
    this.abort(inFlight, CheckpointFailureReason.DECLINED, `task ${message.taskId} declined checkpoint ${message.checkpointId}: ${message.reason}`);
  }

  private onExpired(checkpointId: CheckpointId): void {
    const inFlight = this.checkpoints.pendingCheckpoint(checkpointId);
    if (inFlight === undefined) return;
    const { pending } = inFlight;
    const silent = pending.unacknowledgedTaskIds();
    const named = silent.slice(0, SILENT_TASKS_NAMED).join(', ') + (silent.length > SILENT_TASKS_NAMED ? ` and ${silent.length - SILENT_TASKS_NAMED} more` : '');
    this.abort(inFlight, CheckpointFailureReason.EXPIRED,
      `checkpoint ${checkpointId} expired after ${this.settings.timeout} ms with ${pending.numberOfAcknowledgedTasks} of ${pending.numberOfTasks} tasks acknowledged; not acknowledged: ${named}`);
  }

  // ---------------------------------------------------------------- completion

  /** Every task acknowledged: the checkpoint is subsumed by a newer one, fails to finalize, or goes to the finalizer. */
  private complete(inFlight: CheckpointInFlight): void {
    const { pending } = inFlight;
    const checkpointId = pending.checkpointId;
    const newer = pending.properties.type === CheckpointType.CHECKPOINT ? this.checkpoints.newestCompletedOrFinalizing(this.latestCompletedCheckpointId) : 0;
    if (checkpointId < newer) {
      return this.abort(inFlight, CheckpointFailureReason.SUBSUMED, `checkpoint ${checkpointId} was subsumed by checkpoint ${newer}, which completed first`);
    }
    let checkpoint: CompletedCheckpoint;
    try {
      const pointer = this.environment.storage === null ? null : storageLayout.metadataFile(this.settings.jobId, checkpointId);
      checkpoint = this.cleaner.registerCompleted(pending.finalize(this.settings.clock.now(), pointer));
    } catch (error) {
      // Nothing was registered (registration is all or nothing), so this is an abort like any other.
      return this.abort(inFlight, CheckpointFailureReason.FINALIZE_FAILURE, `checkpoint ${checkpointId} could not be finalized: ${errorMessage(error)}`);
    }
    inFlight.expiry.cancel();
    this.checkpoints.startFinalizing(inFlight);
    this.finalizer.finalize(checkpoint, inFlight.savepointTarget ?? null);
  }

  private onFinalized(checkpoint: CompletedCheckpoint, savepointPath: string | null): void {
    const checkpointId = checkpoint.checkpointId;
    const inFlight = this.checkpoints.finishFinalizing(checkpointId);
    const isCheckpoint = checkpoint.properties.type === CheckpointType.CHECKPOINT;
    if (isCheckpoint) this.latestCompletedCheckpointId = Math.max(this.latestCompletedCheckpointId, checkpointId);
    this.reporter.stats.reportCompleted(checkpoint, inFlight?.pending ?? null);
    this.failures.reset();
    this.lastCompletionTime = this.settings.clock.now();
    this.cleaner.settled(checkpointId);
    if (isCheckpoint) {
      for (const older of this.checkpoints.olderPendingCheckpoints(checkpointId)) {
        this.abort(older, CheckpointFailureReason.SUBSUMED, `checkpoint ${older.pending.checkpointId} was subsumed by completed checkpoint ${checkpointId}`);
      }
    }
    // Tasks commit side effects on checkpoints only (Flink since FLINK-25191): failover restores the latest checkpoint,
    // not a later savepoint, so output committed on a savepoint would be replayed and committed twice.
    if (isCheckpoint) {
      this.completionNotificationsDue.push(checkpointId);
      this.toSelf({ type: 'NotifyTasksOfCompletion' });
    }
    const outcome = savepointPath === null ? { status: 'completed' as const, checkpoint } : { status: 'completed' as const, checkpoint, savepointPath };
    for (const requester of inFlight?.requesters ?? []) tell(requester, outcome);
    this.reporter.emit({ type: 'checkpoint-completed', checkpoint });
    this.queueChanged = true;
  }

  /**
   * Completion notifications are best effort and leave as a message of their own after the completion, in id order.
   * A restore flushes the ones still due first, so a task never hears of a completion after being restored past it.
   */
  private notifyTasksOfCompletion(): void {
    const due = this.completionNotificationsDue.splice(0);
    if (this.phase.status === 'ended') return;
    const { jobId } = this.settings;
    for (const checkpointId of due) this.tasks.tellRunning((taskId, attemptId) => ({ type: 'NotifyCheckpointComplete', jobId, taskId, attemptId, checkpointId }));
  }

  private onFinalizeFailed(checkpoint: CompletedCheckpoint, error: string, storeKeepsState: boolean): void {
    const inFlight = this.checkpoints.finishFinalizing(checkpoint.checkpointId);
    if (inFlight === undefined) return;
    // A store that cannot tell whether the add happened keeps the state: it discards it once it knows it was not added.
    if (!storeKeepsState) this.cleaner.discardFailedFinalization(checkpoint);
    this.finish(inFlight, CheckpointFailureReason.IO_FAILURE, `checkpoint ${checkpoint.checkpointId} could not be finalized: ${error}`);
  }

  // ---------------------------------------------------------------- aborts and failures

  /** The one way a pending checkpoint ends without completing: its state goes through the cleaner's one rule. */
  private abort(inFlight: CheckpointInFlight, reason: CheckpointFailureReason, message: string): void {
    const { pending } = inFlight;
    this.checkpoints.removePending(pending.checkpointId);
    inFlight.expiry.cancel();
    const states = pending.abort(reason);
    this.reporter.stats.counts.discardedStates += states.length;
    this.cleaner.discardAborted(pending.checkpointId, states);
    this.finish(inFlight, reason, message);
  }

  /** A triggered checkpoint failed: tasks, requesters and listener hear of it, and it counts toward the tolerance. */
  private finish(inFlight: CheckpointInFlight, reason: CheckpointFailureReason, message: string): void {
    const checkpointId = inFlight.pending.checkpointId;
    this.cleaner.settled(checkpointId);
    this.reporter.stats.reportFailed(checkpointId, reason, message, this.settings.clock.now(), inFlight.pending);
    if (!isPreFlight(reason) && this.phase.status !== 'ended') {
      const { jobId } = this.settings;
      this.tasks.tellRunning((taskId, attemptId) => ({ type: 'NotifyCheckpointAborted', jobId, taskId, attemptId, checkpointId, reason }));
    }
    for (const requester of inFlight.requesters) tell(requester, { status: 'failed', checkpointId, reason, message });
    this.reporter.emit({ type: 'checkpoint-failed', checkpointId, reason, message });
    this.queueChanged = true;
    if (this.failures.handleCheckpointFailure(checkpointId, reason)) this.failJobOverCheckpointFailures(message);
  }

  private failJobOverCheckpointFailures(last: string): void {
    this.reporter.stats.counts.jobFailures += 1;
    const cause = `${this.failures.continuousFailures} checkpoint failures in a row exceed tolerableFailures (${this.settings.tolerableFailures}); last: ${last}`;
    this.failover(CheckpointFailureReason.JOB_FAILOVER, cause, { countsAsFailure: true });
  }

  private onTaskFailed(message: TaskFailed): void {
    if (this.isForeign(message)) return;
    const index = this.tasks.table.indexOf(message.taskId);
    if (index === undefined || !this.tasks.table.isRunning(index) || this.tasks.table.attemptIds[index] !== message.attemptId) return;
    this.tasks.table.markFailed(index);
    this.reporter.emit({ type: 'task-failed', taskId: message.taskId, attemptId: message.attemptId, error: message.error });
    this.failover(CheckpointFailureReason.TASK_FAILURE, `task ${message.taskId} (attempt ${message.attemptId}) failed: ${message.error}`, { countsAsFailure: true });
  }

  /**
   * Stops the job and restores it from the latest checkpoint. A failure asks the restart strategy, which may give up
   * (the job then ends FAILED) or say after how long; a failure while a restore is pending joins it. Queued requests are
   * refused with the failover's reason, pending checkpoints aborted, and the restore runs once the delay has passed and
   * the finalizations in flight have ended, so it restores from the truly latest checkpoint.
   */
  private failover(reason: CheckpointFailureReason, cause: string, options: { readonly countsAsFailure: boolean; readonly requester?: TypedRef<RestoreOutcome> }): void {
    const phase = this.phase;
    if (phase.status === 'ended') return;
    if (phase.status === 'restoring') {
      if (options.requester !== undefined) phase.requesters.push(options.requester);
      return;
    }
    let delayMs = 0;
    if (options.countsAsFailure) {
      const decision = this.restarts.onFailure(this.settings.clock.now());
      if (!decision.restart) return this.failForGood(`the restart strategy gave up: ${decision.reason}; last: ${cause}`, false, []);
      delayMs = decision.delayMs;
      this.reporter.emit({ type: 'restart-scheduled', cause, delayMs, attempt: decision.attempt });
    }
    this.beginRestore(reason, cause, this.trigger.isRunning, options.requester === undefined ? [] : [options.requester]);
    for (const request of this.queue) this.refuse(request, reason, `failover in progress: ${cause}`);
    this.queue = [];
    for (const inFlight of this.checkpoints.allPending()) {
      this.abort(inFlight, reason, `checkpoint ${inFlight.pending.checkpointId} aborted by failover: ${cause}`);
    }
    this.scheduleRestore(delayMs);
  }

  private beginRestore(reason: CheckpointFailureReason, cause: string, resumeScheduler: boolean, requesters: TypedRef<RestoreOutcome>[]): void {
    this.trigger.stop();
    this.phase = { status: 'restoring', token: ++this.restoreToken, reason, cause, resumeScheduler, requesters, timer: null };
  }

  private scheduleRestore(delayMs: number): void {
    const phase = this.phase;
    if (phase.status !== 'restoring') return;
    const { token } = phase;
    const run = (): void => this.toSelf({ type: 'RunRestore', token });
    this.finalizer.afterFinalizations(() => {
      if (this.phase !== phase) return;
      if (delayMs === 0) run();
      else phase.timer = this.settings.clock.schedule(delayMs, run);
    });
  }

  private runRestore(token: number): void {
    const phase = this.phase;
    if (phase.status !== 'restoring' || phase.token !== token) return;
    this.notifyTasksOfCompletion();
    const plan = planRestore(restorePointOf(this.environment.store.getAllCheckpoints()), this.tasks.table.ids, this.settings);
    if (!plan.ok) {
      this.reporter.emit({ type: 'restore-failed', message: plan.problem });
      // The job cannot start from its checkpoints as configured: they are kept, so a fixed configuration can resume.
      return this.failForGood(plan.problem, true, phase.requesters);
    }
    const restarted = this.tasks.table.failedIndexes();
    const deployFailures = this.deployNotRunning();
    for (const index of restarted) {
      if (!this.tasks.table.isRunning(index)) continue;
      this.reporter.stats.counts.taskRestarts += 1;
      this.reporter.emit({ type: 'task-restarted', taskId: this.tasks.table.ids[index] as TaskId, attemptId: this.tasks.table.attemptIds[index] as AttemptId });
    }
    if (deployFailures !== null) {
      // The restart itself failed: a failure like any other, which the restart strategy judges.
      const decision = this.restarts.onFailure(this.settings.clock.now());
      if (!decision.restart) return this.failForGood(`the restart strategy gave up: ${decision.reason}; last: ${deployFailures}`, false, phase.requesters);
      this.reporter.emit({ type: 'restart-scheduled', cause: deployFailures, delayMs: decision.delayMs, attempt: decision.attempt });
      this.beginRestore(phase.reason, deployFailures, phase.resumeScheduler, phase.requesters);
      return this.scheduleRestore(decision.delayMs);
    }
    const { jobId } = this.settings;
    const { checkpointId, states } = plan;
    this.tasks.tellRunning((taskId, attemptId, index) => ({ type: 'RestoreState', jobId, taskId, attemptId, checkpointId, state: states[index] ?? null, restoreRound: phase.token }));
    // Ids continue above every retained id, not only the restored one: a savepoint newer than the restored checkpoint keeps its id.
    const highest = Math.max(checkpointId ?? 0, this.retained.highestId());
    if (highest > 0) {
      const past = asCheckpointId(highest);
      this.finalizer.advanceCounterPast(past).catch((error: unknown) => this.toSelf({ type: 'CounterAdvanceFailed', checkpointId: past, error: errorMessage(error) }));
    }
    this.phase = { status: 'running' };
    this.failures.reset();
    this.reporter.stats.reportRestored(checkpointId, this.settings.clock.now());
    this.reporter.emit({ type: 'state-restored', checkpointId, tasks: this.tasks.table.size });
    for (const requester of phase.requesters) tell(requester, { status: 'restored', checkpointId });
    if (phase.resumeScheduler) this.trigger.start();
    this.queueChanged = true;
  }

  // ---------------------------------------------------------------- the end

  /** The job cannot go on: it ends FAILED. Its checkpoints follow their retention policy, or are all kept when `keepCheckpoints`. */
  private failForGood(message: string, keepCheckpoints: boolean, requesters: readonly TypedRef<RestoreOutcome>[]): void {
    this.end(JobStatus.FAILED, message);
    for (const requester of requesters) tell(requester, { status: 'failed', message });
    this.reporter.emit({ type: 'job-failed', message });
    this.shutDownStores(keepCheckpoints ? JobStatus.SUSPENDED : JobStatus.FAILED, null);
  }

  private shutdown(jobStatus: JobStatus, replyTo: TypedRef<{ readonly done: true }>): void {
    if (this.phase.status !== 'ended') {
      const status = jobStatus === JobStatus.RUNNING ? JobStatus.SUSPENDED : jobStatus;
      this.end(status, `the coordinator shut down (job ${status})`);
    }
    this.shutDownStores(this.phase.status === 'ended' ? this.phase.jobStatus : jobStatus, replyTo);
  }

  /**
   * Shuts the store and the counter down once the finalizations in flight have ended (so a SUSPENDED job keeps every
   * checkpoint that completed); the answer comes back as a message, after those finalizations' own.
   */
  private shutDownStores(status: JobStatus, replyTo: TypedRef<{ readonly done: true }> | null): void {
    this.finalizer.shutdown(status).then(
      () => this.toSelf({ type: 'StoresShutDown', error: null, replyTo }),
      (error: unknown) => this.toSelf({ type: 'StoresShutDown', error: errorMessage(error), replyTo }),
    );
  }

  /** Moves to the ended phase: no timer left, queued requests refused, pending checkpoints aborted, tasks stopped. */
  private end(jobStatus: JobStatus, why: string): void {
    const phase = this.phase;
    this.trigger.cancelAll();
    if (phase.status === 'restoring') {
      phase.timer?.cancel();
      for (const requester of phase.requesters) tell(requester, { status: 'failed', message: why });
    }
    this.phase = { status: 'ended', jobStatus };
    for (const request of this.queue) this.refuse(request, CheckpointFailureReason.COORDINATOR_SHUTDOWN, why);
    this.queue = [];
    for (const inFlight of this.checkpoints.allPending()) {
      this.abort(inFlight, CheckpointFailureReason.COORDINATOR_SHUTDOWN, `checkpoint ${inFlight.pending.checkpointId} aborted: ${why}`);
    }
    this.tasks.stopRunning();
  }

  // ---------------------------------------------------------------- reporting

  private reportMalformed(problem: string, message: unknown): void {
    this.reporter.malformed(problem);
    replyToMalformedRequest(message, problem);
  }
}

/** The public face of a spawned coordinator: tasks and clients may send it these messages. */
export type CheckpointCoordinatorRef = TypedRef<CoordinatorMessage>;
