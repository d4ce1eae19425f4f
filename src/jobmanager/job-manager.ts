import { ask } from '../actor/typed-ref.js';
import type { CheckpointRetention } from '../checkpoint/checkpoint-properties.js';
import type { CheckpointCoordinatorRef } from '../coordinator/checkpoint-coordinator.js';
import { errorMessage } from '../core/error-message.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { isGloballyTerminal, JobStatus } from '../core/job-status.js';
import type { DataflowJob } from '../dataflow/dataflow-job.js';
import { createHighAvailabilityServices, type HighAvailabilityServices } from '../ha/high-availability-services.js';
import type { JobGraphChange } from '../ha/job-graph-change.js';
import type { JobGraphWatch } from '../ha/job-graph-watch.js';
import type { CheckpointOutcome } from '../protocol/checkpoint-outcome.js';
import type { AdoptedRestorePoint } from '../recovery/prepare-high-availability-checkpointing.js';
import { JobAlreadySubmittedError } from './job-already-submitted-error.js';
import { JobContender } from './job-contender.js';
import { validateJobDefinition, type JobDefinition } from './job-definition.js';
import { validateJobManagerOptions, type JobManagerOptions, type JobManagerSettings } from './job-manager-options.js';
import { JobNotLedHereError } from './job-not-led-here-error.js';
import { resolveJob } from './resolved-job.js';

/** What a submission started. */
export interface SubmittedJob {
  readonly jobId: string;
  /** The leadership generation of the job on this job manager. */
  readonly generation: number;
  /** The checkpoint (or savepoint) the tasks restore from, null when they start empty. */
  readonly restoredCheckpointId: number | null;
  /** The savepoint or retained checkpoint adopted, when the job names one. */
  readonly restoredFrom: AdoptedRestorePoint | null;
}

/** What a savepoint request may say. */
export interface SavepointRequest {
  /** Where a self-contained copy is written (the reply names it). Default: none, the savepoint stays in the job's storage only. */
  readonly targetDirectory?: string;
  readonly retention?: CheckpointRetention;
}

/**
 * A job manager process (Flink's Dispatcher and JobMasters in one): it accepts job submissions, persists each job's
 * graph in the job graph store before running it, and contends for the leadership of every stored job. The leader of a
 * job runs it here, coordinator and tasks: it recovers the job's checkpoints from the high-availability services (shared
 * state registered again before anything can be discarded), restores the tasks from the latest checkpoint and continues
 * with higher ids. When it loses the leadership it suspends the job (every checkpoint kept for the next leader); when
 * the job ends it removes the job's graph. Any number of job managers on the same HA services form a cluster: when the
 * leader of a job dies, another one takes the job over. Start one with {@link startJobManager}.
 */
export class JobManager {
  private readonly contenders = new Map<string, JobContender>();
  private watch: JobGraphWatch | null = null;
  private closed = false;

  private constructor(readonly ha: HighAvailabilityServices, private readonly settings: JobManagerSettings, private readonly ownsServices: boolean) {}

  /** @internal Use {@link startJobManager}. */
  static async start(options: JobManagerOptions): Promise<JobManager> {
    const settings = validateJobManagerOptions(options);
    const ownsServices = !('jobGraphStore' in options.ha);
    const ha = 'jobGraphStore' in options.ha ? options.ha : await createHighAvailabilityServices(options.ha);
    const manager = new JobManager(ha, settings, ownsServices);
    try {
      // Watch first, then list: a job stored in between is heard of twice, never missed.
      manager.watch = await ha.jobGraphStore.watch(
        (change) => manager.onGraphChange(change),
        (error) => settings.onEvent({ type: 'error', jobId: null, message: `watching the job graph store failed: ${errorMessage(error)}` }),
      );
      for (const jobId of await ha.jobGraphStore.jobIds()) manager.follow(jobId);
    } catch (error) {
      await manager.close();
      throw error;
    }
    return manager;
  }

  /** Names this job manager in leases and locks (its HA services' instance id). */
  get instanceId(): string {
    return this.ha.instanceId;
  }

  /**
   * Submits a job: checks its definition and operator kinds, takes the job's leadership, persists its graph, and runs it
   * here. Resolves once its coordinator and tasks run (restoring from the savepoint or retained checkpoint it names).
   * @throws InvalidOptionError naming the invalid field (for a dataflow job also a kind this job manager does not know);
   *   UnknownOperatorKindError for a task's operator kind it does not know; JobAlreadySubmittedError when a job
   *   with that id is stored or led elsewhere; what persisting or recovering throws (nothing is left stored then).
   */
  async submitJob(definition: JobDefinition): Promise<SubmittedJob> {
    this.assertOpen();
    const checked = validateJobDefinition(definition);
    const resolved = await resolveJob(checked, this.settings);
    const { jobId } = checked;
    if (this.contenders.has(jobId) || (await this.ha.jobGraphStore.recoverJobGraph(jobId)) !== null) throw new JobAlreadySubmittedError(jobId, 'its graph is in the job graph store');
    const contender = this.contenderFor(jobId, { definition: checked, resolved });
    await contender.contend();
    if (!contender.isLeader()) {
      await contender.retire();
      throw new JobAlreadySubmittedError(jobId, 'another job manager holds its leadership');
    }
    const submitted = contender.submitted;
    if (submitted === null) throw new Error(`job ${jobId}: a submitting contender has a submission`);
    const run = await submitted;
    return { jobId, generation: run.session.generation, restoredCheckpointId: run.restoredCheckpointId, restoredFrom: run.setup.restoredFrom };
  }

  /**
   * Ends a job that runs here with a terminal status (FINISHED, CANCELED or FAILED): its checkpoints follow their
   * retention (retain-on-cancellation keeps them, with their shared files, on CANCELED and FAILED), its graph is removed,
   * and its blobs are cleaned up.
   * @throws InvalidOptionError for a status that is not terminal; JobNotLedHereError when the job does not run here.
   */
  async terminateJob(jobId: string, jobStatus: JobStatus): Promise<void> {
    if (!isGloballyTerminal(jobStatus)) throw new InvalidOptionError('terminateJob: jobStatus', `must be ${JobStatus.FINISHED}, ${JobStatus.CANCELED} or ${JobStatus.FAILED}, got ${String(jobStatus)}`);
    const contender = this.contenders.get(jobId);
    if (contender === undefined) throw new JobNotLedHereError(jobId, this.instanceId);
    await contender.terminate(jobStatus);
  }

  /**
   * Triggers a savepoint of a job that runs here and resolves with its outcome (`savepointPath` names the self-contained
   * copy when a target directory was given). Tasks are not told of a savepoint's completion: they commit on checkpoints.
   * @throws JobNotLedHereError.
   */
  triggerSavepoint(jobId: string, request: SavepointRequest = {}): Promise<CheckpointOutcome> {
    return this.askRun(jobId, (coordinator) => ask(coordinator, { type: 'TriggerSavepoint', ...request }));
  }

  /**
   * Triggers a checkpoint of a job that runs here and resolves with its outcome.
   * @throws JobNotLedHereError, also when the job stops running here before the checkpoint ended.
   */
  triggerCheckpoint(jobId: string): Promise<CheckpointOutcome> {
    return this.askRun(jobId, (coordinator) => ask(coordinator, { type: 'TriggerCheckpointNow' }));
  }

  /** The coordinator of a job that runs here (for stats, tasks and requests), or null. */
  coordinatorOf(jobId: string): CheckpointCoordinatorRef | null {
    return this.contenders.get(jobId)?.currentRun?.coordinator ?? null;
  }

  /** The running dataflow of a dataflow job that runs here (metrics, probes, its task directory), or null. */
  dataflowJobOf(jobId: string): DataflowJob | null {
    return this.contenders.get(jobId)?.currentRun?.dataflow ?? null;
  }

  /** The jobs that run here now, ascending. */
  runningJobs(): string[] {
    return [...this.contenders.values()].filter((contender) => contender.currentRun !== null).map((contender) => contender.jobId).sort();
  }

  /** Every job this job manager follows (runs or stands by for), ascending. */
  followedJobs(): string[] {
    return [...this.contenders.keys()].sort();
  }

  /**
   * Leaves the cluster: stops watching, gives up every leadership (the jobs run here are suspended, their checkpoints kept,
   * so standbys take them over at once), and closes the HA services when it created them. A second call does nothing.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watch?.close();
    await Promise.all([...this.contenders.values()].map((contender) => contender.retire()));
    if (this.ownsServices) await this.ha.close();
  }

  /** Asks the coordinator of a job that runs here; a run that stops before answering rejects with JobNotLedHereError. */
  private async askRun(jobId: string, request: (coordinator: CheckpointCoordinatorRef) => Promise<CheckpointOutcome>): Promise<CheckpointOutcome> {
    const run = this.contenders.get(jobId)?.currentRun ?? null;
    if (run === null) throw new JobNotLedHereError(jobId, this.instanceId);
    const stopped = run.stopped.then((): never => {
      throw new JobNotLedHereError(jobId, this.instanceId);
    });
    stopped.catch(() => undefined);
    return Promise.race([request(run.coordinator), stopped]);
  }

  private onGraphChange(change: JobGraphChange): void {
    if (change.type === 'added') return this.follow(change.jobId);
    const contender = this.contenders.get(change.jobId);
    // Only the leader removes a graph; a contender that still runs the job will hear from its election that it is stale.
    if (contender !== undefined && !contender.isBusy) void contender.retire();
  }

  /** Stands by for a stored job (or leads it at once when nobody does). */
  private follow(jobId: string): void {
    if (this.closed || this.contenders.has(jobId)) return;
    const contender = this.contenderFor(jobId, null);
    contender.contend().catch((error: unknown) => this.settings.onEvent({ type: 'error', jobId, message: `contending for job ${jobId} failed: ${errorMessage(error)}` }));
  }

  private contenderFor(jobId: string, submission: ConstructorParameters<typeof JobContender>[1]): JobContender {
    const contender = new JobContender({
      jobId,
      ha: this.ha,
      settings: this.settings,
      onRetired: (retired) => {
        if (this.contenders.get(jobId) !== retired) return;
        this.contenders.delete(jobId);
        this.settings.onEvent({ type: 'job-unfollowed', jobId });
      },
    }, submission);
    this.contenders.set(jobId, contender);
    return contender;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`job manager ${this.instanceId} was closed; start a new one`);
  }
}

/**
 * Starts a job manager process on high-availability services: it follows every job in the job graph store (leading
 * the ones nobody leads) and accepts submissions.
 * @throws InvalidOptionError naming the bad option; what creating the HA services throws.
 */
export function startJobManager(options: JobManagerOptions): Promise<JobManager> {
  return JobManager.start(options);
}
