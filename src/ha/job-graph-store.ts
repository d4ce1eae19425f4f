import { asJobId, type JobId } from '../core/ids.js';
import type { JsonValue } from '../core/json.js';
import { assertSafeHighAvailabilityName } from './high-availability-names.js';
import type { JobGraphTable } from './high-availability-backend.js';
import type { JobGraphChange } from './job-graph-change.js';
import { JobGraphWatch } from './job-graph-watch.js';
import { findJsonProblem } from '../core/json-problem.js';
import type { LeaderSession } from './leader-session.js';
import type { StoredJobGraph } from './stored-job-graph.js';

/**
 * The submitted jobs of a cluster (Flink's SubmittedJobGraphStore): a job manager persists each job's graph before
 * running it and removes it when the job reaches a terminal state; a new leader recovers every stored graph.
 * Graphs are opaque JSON, stored versioned and checksummed. Writes are fenced by the writer's leader session.
 */
export class JobGraphStore {
  private readonly watches = new Set<JobGraphWatch>();

  /** Use `HighAvailabilityServices.jobGraphStore`. */
  constructor(private readonly table: JobGraphTable) {}

  /**
   * Stores the job's graph, replacing an earlier one (the revision goes up).
   * @throws InvalidOptionError for a bad job id; TypeError naming the path of a value JSON cannot hold;
   *   StaleLeaderError when `session` is no longer current; HighAvailabilityStorageError.
   */
  async putJobGraph(session: LeaderSession, jobId: string, graph: JsonValue): Promise<StoredJobGraph> {
    const id = checkedJobId(jobId);
    const problem = findJsonProblem(graph, 'graph');
    if (problem !== null) throw new TypeError(`${problem}, which JSON cannot hold as it is`);
    return this.table.put(session, id, graph);
  }

  /**
   * The job's graph, or null when none is stored.
   * @throws CorruptStateError naming the entry when it cannot be verified.
   */
  async recoverJobGraph(jobId: string): Promise<StoredJobGraph | null> {
    return this.table.get(checkedJobId(jobId));
  }

  /**
   * Every stored graph, ascending by job id.
   * @throws CorruptStateError naming the first entry that cannot be verified.
   */
  async recoverJobGraphs(): Promise<StoredJobGraph[]> {
    const graphs: StoredJobGraph[] = [];
    for (const jobId of await this.jobIds()) {
      const graph = await this.table.get(jobId);
      if (graph !== null) graphs.push(graph);
    }
    return graphs;
  }

  /** The ids of every stored graph, ascending. */
  async jobIds(): Promise<JobId[]> {
    return [...(await this.table.revisions()).keys()].sort();
  }

  /**
   * Forgets the job's graph; resolves to false when there was none.
   * @throws StaleLeaderError when `session` is no longer current; HighAvailabilityStorageError.
   */
  async removeJobGraph(session: LeaderSession, jobId: string): Promise<boolean> {
    return this.table.remove(session, checkedJobId(jobId));
  }

  /**
   * Reports graphs added (or replaced) and removed from now on, by this or any other instance. `onError` hears of
   * comparisons that failed (they are retried at the next signal).
   */
  async watch(onChange: (change: JobGraphChange) => void, onError: (error: unknown) => void = () => undefined): Promise<JobGraphWatch> {
    const watch = await JobGraphWatch.start(this.table, onChange, onError, (closed) => this.watches.delete(closed));
    this.watches.add(watch);
    return watch;
  }

  /** @internal Closes every watch (the services are closing). */
  closeWatches(): void {
    for (const watch of [...this.watches]) watch.close();
  }
}

function checkedJobId(jobId: string): JobId {
  return asJobId(assertSafeHighAvailabilityName('jobId', jobId));
}
