import { ManualClock } from '../../../src/actor/manual-clock.js';
import { ask } from '../../../src/actor/typed-ref.js';
import type { BlobStore } from '../../../src/blob/blob-store.js';
import type { JsonValue } from '../../../src/core/json.js';
import { createHighAvailabilityServices, type HighAvailabilityServices } from '../../../src/ha/high-availability-services.js';
import { InMemoryHighAvailabilityData } from '../../../src/ha/memory/in-memory-high-availability-data.js';
import type { StoredJobGraph } from '../../../src/ha/stored-job-graph.js';
import type { TaskJobDefinition } from '../../../src/jobmanager/job-definition.js';
import { startJobManager, type JobManager } from '../../../src/jobmanager/job-manager.js';
import type { DataflowKindOptions } from '../../../src/jobmanager/dataflow-kind.js';
import type { OperatorKindFactory } from '../../../src/jobmanager/operator-kind.js';
import type { RunningTask } from '../../../src/protocol/coordinator-protocol.js';
import { deliver } from '../../../src/task/spawn-task.js';
import { incrementalTask, IncrementalTaskJournal, type Entries, type IncrementalTaskMessage } from '../../support/incremental-task.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../../support/temporary-directory.js';
import { JobManagerEvents } from './job-manager-events.js';
import { query, type Ref } from 'nact';

/** Lease timing of the in-process clusters: a lease of 3 s, renewed (and looked at) every second, on each manager's clock. */
export const LEASE = { leaseDuration: 3_000, renewInterval: 1_000 } as const;

/** One job manager of an in-process cluster: its own HA services instance and manual clock, like a process of its own. */
export interface SpecJobManager {
  readonly name: string;
  readonly manager: JobManager;
  readonly services: HighAvailabilityServices;
  readonly clock: ManualClock;
  readonly events: JobManagerEvents;
}

/** An operator kind whose tasks keep incremental keyed state in the job's storage and journal every snapshot and restore. */
export function journaledIncrementalKind(journal: IncrementalTaskJournal): OperatorKindFactory {
  return (context) => {
    const configured = (context.config as { readonly maxSegments?: unknown } | null)?.maxSegments;
    const maxSegments = typeof configured === 'number' ? configured : 3;
    return incrementalTask({ jobId: context.jobId, storage: context.storage, maxSegments }, journal, context.taskId)(context);
  };
}

/**
 * Job managers sharing in-memory HA data in one process, with jobs checkpointing to a temporary directory. Time moves
 * only through each manager's manual clock.
 */
export class InProcessCluster {
  readonly data = new InMemoryHighAvailabilityData();
  readonly journal = new IncrementalTaskJournal();
  readonly managers: SpecJobManager[] = [];

  private constructor(readonly directory: string) {}

  static async create(): Promise<InProcessCluster> {
    return new InProcessCluster(await createTemporaryDirectory());
  }

  /** The base directory of the jobs' checkpoint storage. */
  get checkpoints(): string {
    return `${this.directory}/checkpoints`;
  }

  async start(name: string, options: { readonly operators?: Readonly<Record<string, OperatorKindFactory>>; readonly dataflow?: DataflowKindOptions; readonly blobs?: BlobStore } = {}): Promise<SpecJobManager> {
    const clock = new ManualClock(1_000_000);
    const services = await createHighAvailabilityServices({ mode: 'none', data: this.data, clock, ...LEASE });
    const events = new JobManagerEvents();
    const manager = await startJobManager({
      ha: services,
      operators: options.operators ?? { counter: journaledIncrementalKind(this.journal) },
      ...(options.blobs === undefined ? {} : { blobs: options.blobs }),
      ...(options.dataflow === undefined ? {} : { dataflow: options.dataflow }),
      clock,
      retryDelay: 5_000,
      onEvent: events.listener,
    });
    const started = { name, manager, services, clock, events };
    this.managers.push(started);
    return started;
  }

  /** A job of `tasks` counter tasks checkpointing (manually) to the cluster's directory. */
  definition(jobId: string, overrides: Partial<TaskJobDefinition> = {}, tasks: readonly string[] = ['a', 'b']): TaskJobDefinition {
    return {
      jobId,
      tasks: tasks.map((taskId) => ({ taskId, operator: 'counter', config: { maxSegments: 3 } })),
      checkpointing: { interval: 60_000, startScheduler: false, retained: 2, restartStrategy: { kind: 'fixed-delay', attempts: null, delay: 0 } },
      storage: { baseDirectory: this.checkpoints },
      ...overrides,
    };
  }

  /** The ids of the jobs the cluster's job graph store holds, read through HA services of their own. */
  storedJobIds(): Promise<readonly string[]> {
    return this.observe((services) => services.jobGraphStore.jobIds());
  }

  /** The job graph the cluster's job graph store holds for `jobId`, null when there is none. */
  storedJobGraph(jobId: string): Promise<StoredJobGraph | null> {
    return this.observe((services) => services.jobGraphStore.recoverJobGraph(jobId));
  }

  private async observe<T>(read: (services: HighAvailabilityServices) => Promise<T>): Promise<T> {
    const observer = await createHighAvailabilityServices({ mode: 'none', data: this.data });
    try {
      return await read(observer);
    } finally {
      await observer.close();
    }
  }

  async dispose(): Promise<void> {
    for (const { manager, services } of this.managers.splice(0)) {
      await manager.close();
      await services.close();
    }
    await removeTemporaryDirectory(this.directory);
  }
}

/** The running tasks of a job led by `manager`. */
export async function tasksOf(manager: JobManager, jobId: string): Promise<readonly RunningTask[]> {
  const coordinator = manager.coordinatorOf(jobId);
  if (coordinator === null) throw new Error(`job ${jobId} does not run on job manager ${manager.instanceId}`);
  return (await ask(coordinator, { type: 'GetTasks' })).filter((task) => task.running);
}

/** Puts `key` = `value` into the keyed state of task `taskId`, and waits until the task handled it. */
export async function put(manager: JobManager, jobId: string, taskId: string, key: string, value: JsonValue): Promise<void> {
  const task = (await tasksOf(manager, jobId)).find((each) => each.taskId === taskId);
  if (task === undefined) throw new Error(`task ${taskId} of job ${jobId} is not running`);
  deliver<IncrementalTaskMessage>(task.ref, { kind: 'put', key, value });
  await read(manager, jobId, taskId);
}

/** The live keyed state of task `taskId` (also a barrier: every message sent to it before was handled). */
export async function read(manager: JobManager, jobId: string, taskId: string): Promise<Entries> {
  const task = (await tasksOf(manager, jobId)).find((each) => each.taskId === taskId);
  if (task === undefined) throw new Error(`task ${taskId} of job ${jobId} is not running`);
  return (await query(task.ref as Ref<unknown>, (replyTo: Ref<unknown>) => ({ type: 'Deliver', payload: { kind: 'read', replyTo } }), 5_000)) as Entries;
}
