import type { Cancellable } from '../actor/clock.js';
import { errorMessage } from '../core/error-message.js';
import { asJobId } from '../core/ids.js';
import { JobStatus } from '../core/job-status.js';
import type { HighAvailabilityServices } from '../ha/high-availability-services.js';
import type { LeaderContender } from '../ha/leader-contender.js';
import type { LeaderElection } from '../ha/leader-election.js';
import type { LeaderSession } from '../ha/leader-session.js';
import type { LeadershipLossReason } from '../ha/leadership-loss-reason.js';
import { StaleLeaderError } from '../ha/stale-leader-error.js';
import { highestStoredCheckpointId } from '../recovery/highest-stored-checkpoint-id.js';
import { FileSystemCheckpointStorage } from '../storage/filesystem-checkpoint-storage.js';
import type { JobDefinition } from './job-definition.js';
import type { JobManagerSettings } from './job-manager-options.js';
import { JobNotLedHereError } from './job-not-led-here-error.js';
import { JobRun } from './job-run.js';
import { resolveJob, type ResolvedJob } from './resolved-job.js';
import { decodeStoredJob, encodeStoredJob, type StoredJob } from './stored-job.js';

/** What a contender needs of its job manager. */
export interface JobContenderContext {
  readonly jobId: string;
  readonly ha: HighAvailabilityServices;
  readonly settings: JobManagerSettings;
  /** Called once, when the contender is done with the job (it ended, was removed, or its submission failed). */
  readonly onRetired: (contender: JobContender) => void;
}

interface PendingSubmission {
  readonly definition: JobDefinition;
  readonly resolved: ResolvedJob;
  readonly resolve: (run: JobRun) => void;
  readonly reject: (error: unknown) => void;
}

/** The leader election scope of a job. */
export function jobScopeOf(jobId: string): string {
  return `job-${jobId}`;
}

/**
 * This job manager's part in running one job: it contends for the job's leadership, and as the leader recovers the job
 * from the job graph store and runs it (a submission persists the graph first); when the leadership goes, it suspends
 * the run; when the job ends, it removes the job's graph and gives the leadership up. Grants, revocations and
 * terminations are handled one after another, in the order they came.
 */
export class JobContender implements LeaderContender {
  /** Resolves when a submission runs here; rejects when it could not be submitted. Null for a job recovered from the store. */
  readonly submitted: Promise<JobRun> | null;
  private election: LeaderElection | null = null;
  private chain: Promise<void> = Promise.resolve();
  private run: JobRun | null = null;
  private submission: PendingSubmission | null = null;
  private retryTimer: Cancellable | null = null;
  private retired = false;
  /** A termination is under way: the graph removal it makes is its own. */
  private ending = false;

  constructor(private readonly context: JobContenderContext, submission: { readonly definition: JobDefinition; readonly resolved: ResolvedJob } | null) {
    if (submission === null) {
      this.submitted = null;
      return;
    }
    this.submitted = new Promise<JobRun>((resolve, reject) => {
      this.submission = { ...submission, resolve, reject };
    });
    this.submitted.catch(() => undefined);
  }

  get jobId(): string {
    return this.context.jobId;
  }

  /** The run of the job here, while this job manager leads it. */
  get currentRun(): JobRun | null {
    return this.run;
  }

  /** Whether this contender runs, submits or ends the job (then graph changes are its own doing, or it hears of them from its election). */
  get isBusy(): boolean {
    return this.run !== null || this.submission !== null || this.ending;
  }

  /** Starts contending for the job's leadership; resolves after the first check (a free scope is led already). */
  async contend(): Promise<void> {
    if (this.retired) return;
    const election = this.context.ha.createLeaderElection(jobScopeOf(this.context.jobId));
    this.election = election;
    await election.start(this);
  }

  /** Whether this contender holds the job's leadership now. */
  isLeader(): boolean {
    return this.election?.currentSession() != null;
  }

  grantLeadership(session: LeaderSession): void {
    this.enqueue(() => this.onGranted(session));
  }

  revokeLeadership(session: LeaderSession, reason: LeadershipLossReason): void {
    this.enqueue(() => this.onRevoked(session, reason));
  }

  handleError(error: unknown): void {
    this.report(`leader election of job ${this.context.jobId}: ${errorMessage(error)}`);
  }

  /**
   * Ends the job here with a terminal status: the coordinator shuts down (checkpoints follow their retention), the job's
   * graph is removed, its blobs are cleaned up and the leadership is given up.
   * @throws JobNotLedHereError when the job does not run here.
   */
  terminate(jobStatus: JobStatus): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueue(async () => {
        try {
          await this.onTerminate(jobStatus);
          resolve();
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  /** Stops contending: a run is suspended (checkpoints kept for the next leader), a pending submission rejected. */
  async retire(): Promise<void> {
    if (this.retired) return this.settled();
    this.retired = true;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.submission?.reject(new Error(`the job manager stopped before job ${this.context.jobId} was submitted`));
    this.submission = null;
    await this.election?.stop();
    await this.settled();
    this.context.onRetired(this);
  }

  /** Resolves once every grant, revocation and termination handed over so far is done. */
  async settled(): Promise<void> {
    let seen: Promise<void> | null = null;
    while (seen !== this.chain) {
      seen = this.chain;
      await seen;
    }
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: unknown) => this.report(`job ${this.context.jobId}: ${errorMessage(error)}`));
  }

  private async onGranted(session: LeaderSession): Promise<void> {
    if (this.retired) return;
    const submission = this.submission;
    if (submission !== null) return this.submit(session, submission);
    let job: StoredJob;
    try {
      const graph = await this.context.ha.jobGraphStore.recoverJobGraph(this.context.jobId);
      if (graph === null) {
        // The job ended (its graph was removed) before this job manager heard of it.
        await this.retireFromWithin();
        return;
      }
      job = decodeStoredJob(graph);
      await this.startRun(session, job, await resolveJob(job.definition, this.context.settings));
    } catch (error) {
      if (error instanceof StaleLeaderError) return;
      this.context.settings.onEvent({ type: 'job-start-failed', jobId: this.context.jobId, error: errorMessage(error) });
      await this.standAsideForAWhile();
    }
  }

  /** A submission led here: the graph is persisted before anything runs; a submission that cannot start is taken back. */
  private async submit(session: LeaderSession, submission: PendingSubmission): Promise<void> {
    this.submission = null;
    const { definition } = submission;
    let job: StoredJob;
    try {
      job = { definition, firstCheckpointId: await this.firstCheckpointIdOf(session, definition) };
      await this.context.ha.jobGraphStore.putJobGraph(session, definition.jobId, encodeStoredJob(job));
    } catch (error) {
      submission.reject(error);
      return this.retireFromWithin();
    }
    this.context.settings.onEvent({ type: 'job-submitted', jobId: definition.jobId });
    try {
      submission.resolve(await this.startRun(session, job, submission.resolved));
    } catch (error) {
      await this.context.ha.jobGraphStore.removeJobGraph(session, definition.jobId).catch((removal: unknown) => this.report(`taking back job ${definition.jobId} failed: ${errorMessage(removal)}`));
      submission.reject(error);
      await this.retireFromWithin();
    }
  }

  /** The first id a new submission's checkpoints get: above the counter and every `chk-<id>` left in its directory. */
  private async firstCheckpointIdOf(session: LeaderSession, definition: JobDefinition): Promise<number> {
    const counter = this.context.ha.checkpointRecovery(definition.jobId).createCheckpointIDCounter(session);
    const highest = await highestStoredCheckpointId(new FileSystemCheckpointStorage(definition.storage.baseDirectory), asJobId(definition.jobId));
    return Math.max(await counter.get(), highest + 1);
  }

  private async startRun(session: LeaderSession, job: StoredJob, resolved: ResolvedJob): Promise<JobRun> {
    const { jobId } = this.context;
    const { settings } = this.context;
    const run = await JobRun.start({
      job,
      session,
      ha: this.context.ha,
      resolved,
      clock: settings.clock,
      logger: settings.logger,
      onCoordinatorEvent: (event) => {
        settings.onEvent({ type: 'coordinator-event', jobId, event });
        // The restart strategy gave up, or the job cannot be restored as configured: the job is over.
        if (event.type === 'job-failed') this.terminate(JobStatus.FAILED).catch((error: unknown) => this.report(`ending failed job ${jobId}: ${errorMessage(error)}`));
      },
    });
    this.run = run;
    settings.blobs?.markJobRunning(jobId);
    settings.onEvent({
      type: 'job-started', jobId, session, restoredCheckpointId: run.restoredCheckpointId, restoredFrom: run.setup.restoredFrom,
      orphansRemoved: run.setup.orphansRemoved.length, sweepSkipped: run.setup.sweepSkipped,
    });
    return run;
  }

  private async onRevoked(session: LeaderSession, reason: LeadershipLossReason): Promise<void> {
    const run = this.run;
    if (run === null || run.session !== session) return;
    this.run = null;
    try {
      await run.end(JobStatus.SUSPENDED);
    } finally {
      this.context.settings.blobs?.markJobStopped(this.context.jobId);
      this.context.settings.onEvent({ type: 'job-suspended', jobId: this.context.jobId, reason });
    }
  }

  private async onTerminate(jobStatus: JobStatus): Promise<void> {
    const run = this.run;
    const { jobId, ha, settings } = this.context;
    if (run === null) throw new JobNotLedHereError(jobId, ha.instanceId);
    this.run = null;
    this.ending = true;
    await run.end(jobStatus);
    try {
      await ha.jobGraphStore.removeJobGraph(run.session, jobId);
    } catch (error) {
      this.report(`removing the graph of ended job ${jobId} failed: ${errorMessage(error)}`);
    }
    if (settings.blobs !== null) {
      settings.blobs.markJobStopped(jobId);
      await settings.blobs.cleanupJob(jobId).catch((error: unknown) => this.report(`cleaning up the blobs of ended job ${jobId} failed: ${errorMessage(error)}`));
    }
    settings.onEvent({ type: 'job-terminated', jobId, jobStatus });
    await this.retireFromWithin();
  }

  /** Gives the leadership up so another job manager may start the job, and contends again after `retryDelay`. */
  private async standAsideForAWhile(): Promise<void> {
    const election = this.election;
    this.election = null;
    await election?.stop();
    if (this.retired) return;
    this.retryTimer = this.context.settings.clock.schedule(this.context.settings.retryDelay, () => {
      this.retryTimer = null;
      this.contend().catch((error: unknown) => this.report(`contending again for job ${this.context.jobId}: ${errorMessage(error)}`));
    });
  }

  /** Retires from inside the chain (without waiting for the chain itself). */
  private async retireFromWithin(): Promise<void> {
    if (this.retired) return;
    this.retired = true;
    this.retryTimer?.cancel();
    await this.election?.stop();
    this.context.onRetired(this);
  }

  private report(message: string): void {
    this.context.settings.onEvent({ type: 'error', jobId: this.context.jobId, message });
  }
}
