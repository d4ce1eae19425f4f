import { start, stop, type Ref } from 'nact';
import type { Clock } from '../actor/clock.js';
import type { Logger } from '../core/logger.js';
import { ask } from '../actor/typed-ref.js';
import type { CheckpointCoordinatorRef } from '../coordinator/checkpoint-coordinator.js';
import type { CoordinatorEvent } from '../coordinator/coordinator-event.js';
import { restorePointOf } from '../coordinator/failover-planner.js';
import { spawnCheckpointCoordinator } from '../coordinator/spawn-checkpoint-coordinator.js';
import { JobStatus } from '../core/job-status.js';
import { createDataflowJob, type DataflowJob } from '../dataflow/dataflow-job.js';
import type { HighAvailabilityServices } from '../ha/high-availability-services.js';
import type { LeaderSession } from '../ha/leader-session.js';
import type { TaskSpec } from '../protocol/task-deployment.js';
import { prepareHighAvailabilityCheckpointing, type HighAvailabilityCheckpointingSetup } from '../recovery/prepare-high-availability-checkpointing.js';
import { ExternalPathStorage } from '../savepoint/external-path-storage.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import { FileSystemCheckpointStorage } from '../storage/filesystem-checkpoint-storage.js';
import { operatorTask } from '../task/spawn-task.js';
import { coordinatorOptionsOf, retentionOf, type JobDefinition } from './job-definition.js';
import type { OperatorKindFactory } from './operator-kind.js';
import type { ResolvedJob } from './resolved-job.js';
import type { StoredJob } from './stored-job.js';

/** What the coordinator of a run gets from the job's code: its tasks, and the listener of its events. */
interface RunTasks {
  readonly tasks: readonly TaskSpec[];
  readonly dataflow: DataflowJob | null;
}

/**
 * The tasks of a run under `system`: operator tasks, each running its kind with its configuration and the job's storage;
 * or the tasks of the dataflow.
 */
function runTasksOf(system: Ref<unknown>, definition: JobDefinition, resolved: ResolvedJob, storage: CheckpointStorage, clock: Clock): RunTasks {
  if (resolved.type === 'dataflow') {
    const dataflow = createDataflowJob(system, resolved.graph, { ...resolved.options, clock });
    return { tasks: dataflow.tasks, dataflow };
  }
  const tasks = (definition.tasks ?? []).map((task) => {
    const kind = resolved.kinds.get(task.operator) as OperatorKindFactory;
    const config = task.config ?? null;
    return operatorTask(system, task.taskId, (taskContext) => kind({ ...taskContext, config, storage }));
  });
  return { tasks, dataflow: null };
}

/** How long a shutdown may wait for the finalizations in flight and the store. */
const SHUTDOWN_TIMEOUT_MS = 120_000;

/** What starting a job run needs. */
export interface JobRunContext {
  readonly job: StoredJob;
  readonly session: LeaderSession;
  readonly ha: HighAvailabilityServices;
  readonly resolved: ResolvedJob;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onCoordinatorEvent: (event: CoordinatorEvent) => void;
}

/**
 * One run of a job on this job manager, for one leadership: the job's checkpoints recovered from the HA services, its
 * tasks and coordinator in an actor system of their own. It ends suspended (the leadership was lost: everything is kept
 * for the next leader) or terminated with a job status (the job is over).
 */
export class JobRun {
  private ended = false;
  private markStopped: () => void = () => undefined;
  /** Resolves once the run's actor system is stopped: requests still in its mailboxes will never be answered. */
  readonly stopped: Promise<void> = new Promise((resolve) => { this.markStopped = resolve; });

  private constructor(
    readonly session: LeaderSession,
    readonly setup: HighAvailabilityCheckpointingSetup,
    readonly coordinator: CheckpointCoordinatorRef,
    /** The running dataflow (its metrics, probes and task directory), for a dataflow job. */
    readonly dataflow: DataflowJob | null,
    readonly restoredCheckpointId: number | null,
    private readonly system: Ref<unknown>,
  ) {}

  /**
   * Recovers the job's checkpoints (adopting its restore point on a first start) and spawns its coordinator and tasks,
   * which restore from the latest checkpoint before the first trigger.
   * @throws what recovery throws (StaleLeaderError, damaged checkpoints, an unreadable restore point, ...); nothing runs then.
   */
  static async start(context: JobRunContext): Promise<JobRun> {
    const { definition, firstCheckpointId } = context.job;
    const storage = new ExternalPathStorage(new FileSystemCheckpointStorage(definition.storage.baseDirectory));
    const setup = await prepareHighAvailabilityCheckpointing({
      jobId: definition.jobId,
      storage,
      storageBase: definition.storage.baseDirectory,
      recovery: context.ha.checkpointRecovery(definition.jobId),
      session: context.session,
      retained: definition.checkpointing.retained ?? 1,
      retention: retentionOf(definition),
      clock: context.clock,
      logger: context.logger,
      ownCheckpointsFrom: firstCheckpointId,
      ...(definition.restoreFrom === undefined ? {} : { restoreFrom: definition.restoreFrom }),
    });
    const system = start();
    try {
      const { tasks, dataflow } = runTasksOf(system, definition, context.resolved, storage, context.clock);
      const coordinator = spawnCheckpointCoordinator(system, {
        ...coordinatorOptionsOf(definition),
        tasks,
        onEvent: context.onCoordinatorEvent,
        clock: context.clock,
        logger: context.logger,
        storage: setup.storage,
        store: setup.store,
        idCounter: setup.idCounter,
        stateCleaner: setup.stateCleaner,
      });
      return new JobRun(context.session, setup, coordinator, dataflow, restorePointOf(setup.store.getAllCheckpoints())?.checkpointId ?? null, system);
    } catch (error) {
      stop(system);
      await setup.store.shutdown(JobStatus.SUSPENDED).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Ends the run: the coordinator aborts pending checkpoints, waits for the finalizations in flight, stops the tasks and
   * shuts the store and id counter down with `jobStatus` (SUSPENDED keeps everything for the next leader; a terminal
   * status applies the retention). Resolves once the deletions this caused are done (each is retried on the clock), so
   * a process that exits next leaves nothing behind. A second call does nothing.
   */
  async end(jobStatus: JobStatus): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      await ask(this.coordinator, { type: 'ShutdownCoordinator', jobStatus }, SHUTDOWN_TIMEOUT_MS);
    } finally {
      stop(this.system);
      this.markStopped();
    }
    await this.setup.discarder.whenIdle();
  }
}
