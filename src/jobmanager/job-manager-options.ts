import { systemClock, type Clock } from '../actor/clock.js';
import type { BlobStore } from '../blob/blob-store.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { validateLogger, type Logger } from '../core/logger.js';
import type { HighAvailabilityOptions } from '../ha/high-availability-options.js';
import type { HighAvailabilityServices } from '../ha/high-availability-services.js';
import type { DataflowKindOptions, DataflowKinds } from './dataflow-kind.js';
import type { JobManagerEvent } from './job-manager-event.js';
import type { OperatorKindFactory } from './operator-kind.js';

/** How a job manager process is set up. */
export interface JobManagerOptions {
  /**
   * Where jobs, checkpoint ids, completed checkpoints and leaderships outlive this process: services you created (you
   * close them after the job manager), or their options (the job manager creates and closes them).
   */
  readonly ha: HighAvailabilityServices | HighAvailabilityOptions;
  /** Operator kinds by name, registered alike in every job manager of the cluster. */
  readonly operators?: Readonly<Record<string, OperatorKindFactory>>;
  /** Source, operator, sink and key selector kinds of dataflow jobs by name, registered alike in every job manager of the cluster. */
  readonly dataflow?: DataflowKindOptions;
  /** Where operator bundles of jobs are found (share its HA copy with the other job managers). Needed for jobs with an operatorBundle. */
  readonly blobs?: BlobStore;
  /** Time of the coordinators (triggers, timeouts, restarts) and of start retries. Default: the system clock. */
  readonly clock?: Clock;
  /** ms before contending again for a job whose start failed here. Default 10,000. */
  readonly retryDelay?: number;
  /** Told about submissions, starts, suspensions, terminations, coordinator events and failures. */
  readonly onEvent?: (event: JobManagerEvent) => void;
  /** Where the jobs' coordinators, stores and discarders log. Default: quiet unless `NODE_DEBUG=nact-checkpoint`. */
  readonly logger?: Logger;
}

/** The options after validation. */
export interface JobManagerSettings {
  readonly operators: ReadonlyMap<string, OperatorKindFactory>;
  readonly dataflow: DataflowKinds;
  readonly blobs: BlobStore | null;
  readonly clock: Clock;
  readonly retryDelay: number;
  readonly onEvent: (event: JobManagerEvent) => void;
  readonly logger: Logger;
}

const FIELD = 'JobManagerOptions';

/** The kinds of one group (`sources`, ...) by name. @throws InvalidOptionError naming a group that is not an object, or a kind that is not a function. */
function kindsOf<K>(group: unknown, field: string, signature: string): Map<string, K> {
  const kinds = new Map<string, K>();
  if (group === undefined) return kinds;
  if (typeof group !== 'object' || group === null) throw new InvalidOptionError(field, 'must be an object of kinds by name');
  for (const [name, kind] of Object.entries(group)) {
    if (typeof kind !== 'function') throw new InvalidOptionError(`${field}.${name}`, `must be a function ${signature}`);
    kinds.set(name, kind as K);
  }
  return kinds;
}

function dataflowKindsOf(options: DataflowKindOptions | undefined): DataflowKinds {
  const field = `${FIELD}.dataflow`;
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new InvalidOptionError(field, 'must be an object { sources?, operators?, sinks?, keySelectors? }');
  const known = ['sources', 'operators', 'sinks', 'keySelectors'];
  const unknown = Object.keys(options ?? {}).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new InvalidOptionError(`${field}.${unknown}`, `is not a group of dataflow kinds; known groups: ${known.join(', ')}`);
  return {
    sources: kindsOf(options?.sources, `${field}.sources`, '(context) => ReplayableSource'),
    operators: kindsOf(options?.operators, `${field}.operators`, '(context) => StreamOperator'),
    sinks: kindsOf(options?.sinks, `${field}.sinks`, '(context) => StreamOperator'),
    keySelectors: kindsOf(options?.keySelectors, `${field}.keySelectors`, '(record) => string'),
  };
}

/** Checks the options once, at the edge. @throws InvalidOptionError naming the first invalid field. */
export function validateJobManagerOptions(options: JobManagerOptions): JobManagerSettings {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(FIELD, 'must be an object { ha, operators? }');
  if (typeof options.ha !== 'object' || options.ha === null) throw new InvalidOptionError(`${FIELD}.ha`, 'must be HighAvailabilityServices or HighAvailabilityOptions');
  const operators = kindsOf<OperatorKindFactory>(options.operators, `${FIELD}.operators`, '(context) => CheckpointedOperator');
  const dataflow = dataflowKindsOf(options.dataflow);
  const blobs = options.blobs ?? null;
  if (blobs !== null && (typeof blobs.get !== 'function' || typeof blobs.markJobRunning !== 'function')) throw new InvalidOptionError(`${FIELD}.blobs`, 'must be a BlobStore');
  const clock = options.clock ?? systemClock;
  if (typeof clock.now !== 'function' || typeof clock.schedule !== 'function') throw new InvalidOptionError(`${FIELD}.clock`, 'must be a Clock (now, schedule)');
  const retryDelay = options.retryDelay ?? 10_000;
  if (!Number.isSafeInteger(retryDelay) || retryDelay < 0) throw new InvalidOptionError(`${FIELD}.retryDelay`, `must be an integer >= 0, got ${String(options.retryDelay)}`);
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw new InvalidOptionError(`${FIELD}.onEvent`, 'must be a function');
  const listener = options.onEvent ?? (() => undefined);
  const onEvent = (event: JobManagerEvent): void => {
    try {
      listener(event);
    } catch {
      // A failing listener must not stop the job manager.
    }
  };
  return { operators, dataflow, blobs, clock, retryDelay, onEvent, logger: validateLogger(options.logger, `${FIELD}.logger`) };
}
