import type { JobId } from '../core/ids.js';
import type { JobGraphTable } from './high-availability-backend.js';
import type { JobGraphChange } from './job-graph-change.js';

/**
 * Tells a listener about job graphs added, replaced and removed, by comparing the stored revisions with the ones it
 * knew, whenever the mode signals a possible change (postgres: LISTEN/NOTIFY and reconnects; filesystem: a poll on
 * the injected clock; none: every write). A comparison that fails is reported and the next signal retries it.
 */
export class JobGraphWatch {
  private known: ReadonlyMap<JobId, number> = new Map();
  private chain: Promise<void> = Promise.resolve();
  private stopSignals: () => void = () => undefined;
  private closed = false;

  private constructor(
    private readonly table: JobGraphTable,
    private readonly onChange: (change: JobGraphChange) => void,
    private readonly onError: (error: unknown) => void,
    private readonly onClosed: (watch: JobGraphWatch) => void,
  ) {}

  /** Use `JobGraphStore.watch`. Resolves once the graphs stored now are known: only later changes are reported. */
  static async start(
    table: JobGraphTable,
    onChange: (change: JobGraphChange) => void,
    onError: (error: unknown) => void,
    onClosed: (watch: JobGraphWatch) => void = () => undefined,
  ): Promise<JobGraphWatch> {
    const watch = new JobGraphWatch(table, onChange, onError, onClosed);
    watch.known = await table.revisions();
    watch.stopSignals = table.watch(() => void watch.refresh());
    return watch;
  }

  /** Compares now (after the comparison in flight) and reports what changed. */
  refresh(): Promise<void> {
    this.chain = this.chain.then(() => this.compare()).catch((error: unknown) => this.report(error));
    return this.chain;
  }

  /** Resolves when the comparison in flight (if any) is done. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Stops reporting. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopSignals();
    this.onClosed(this);
  }

  private async compare(): Promise<void> {
    if (this.closed) return;
    const current = await this.table.revisions();
    const before = this.known;
    this.known = current;
    for (const jobId of before.keys()) if (!current.has(jobId)) this.emit({ type: 'removed', jobId });
    for (const [jobId, revision] of current) if (before.get(jobId) !== revision) this.emit({ type: 'added', jobId, revision });
  }

  private emit(change: JobGraphChange): void {
    if (this.closed) return;
    try {
      this.onChange(change);
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // A failing error handler must not stop the watch.
    }
  }
}
