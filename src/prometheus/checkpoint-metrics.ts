import type { CoordinatorEvent } from '../coordinator/coordinator-event.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { filePathsOf, persistedSizeOf } from '../state/state-size.js';
import { loadPromClient, type PromClientModule } from './load-prom-client.js';

/** A prom-client `Registry` (or anything that registers metrics like one); prom-client's own type fits. */
export interface PrometheusRegistry {
  metrics(): Promise<string>;
  registerMetric(metric: never): void;
  readonly contentType: string;
}

/** How {@link createCheckpointMetrics} is set up. */
export interface CheckpointMetricsOptions {
  /** Where the metrics are registered. Default: prom-client's global registry (`register`). */
  readonly registry?: PrometheusRegistry;
  /** Prefix of every metric name. Default `nact_checkpoint_`. */
  readonly prefix?: string;
  /** Upper bounds (seconds) of the checkpoint duration histogram. Default: 5 ms to 10 min. */
  readonly durationBuckets?: readonly number[];
  /** @internal How prom-client is imported; specs replace it to see the error when it is missing. */
  readonly importPromClient?: () => Promise<unknown>;
}

/** Metrics fed by coordinator events: pass {@link onEvent} as (or call it from) the coordinator's `onEvent`. */
export interface CheckpointMetrics {
  /** Updates the metrics from one coordinator event; never throws. One instance can serve several jobs (label `job_id`). */
  readonly onEvent: (event: CoordinatorEvent) => void;
  /** The registry the metrics are in: serve `await registry.metrics()` with `registry.contentType` on your /metrics. */
  readonly registry: PrometheusRegistry;
}

/** Flink's checkpoint metric names, the gauges and counters this package exports (each labelled `job_id`). */
export const CHECKPOINT_METRIC_NAMES = [
  'numberOfCompletedCheckpoints',
  'numberOfFailedCheckpoints',
  'numberOfInProgressCheckpoints',
  'totalNumberOfCheckpoints',
  'numberOfRestores',
  'numRestarts',
  'lastCompletedCheckpointId',
  'lastCheckpointDuration',
  'lastCheckpointSize',
  'lastCheckpointFullSize',
  'lastCheckpointRestoreTimestamp',
] as const;

const DEFAULT_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

const HELP: Readonly<Record<(typeof CHECKPOINT_METRIC_NAMES)[number], string>> = {
  numberOfCompletedCheckpoints: 'Checkpoints and savepoints that completed.',
  numberOfFailedCheckpoints: 'Triggered checkpoints and savepoints that failed (aborted or failed to finalize).',
  numberOfInProgressCheckpoints: 'Checkpoints and savepoints triggered and not yet completed or failed.',
  totalNumberOfCheckpoints: 'Checkpoints and savepoints triggered.',
  numberOfRestores: 'Restores of every task to a checkpoint (or to empty state).',
  numRestarts: 'Restarts the restart strategy scheduled after failures.',
  lastCompletedCheckpointId: 'Id of the latest completed checkpoint or savepoint.',
  lastCheckpointDuration: 'Milliseconds from trigger to completion of the latest completed checkpoint.',
  lastCheckpointSize: 'Bytes the latest completed checkpoint persisted itself (incremental: its new uploads and inline state).',
  lastCheckpointFullSize: 'Bytes of state the latest completed checkpoint refers to.',
  lastCheckpointRestoreTimestamp: 'When the latest restore happened, ms since the epoch (the coordinator clock).',
};

const COUNTERS = new Set<string>(['numberOfCompletedCheckpoints', 'numberOfFailedCheckpoints', 'totalNumberOfCheckpoints', 'numberOfRestores', 'numRestarts']);

type Metric = ReturnType<InstanceType<PromClientModule['Gauge']>['labels']>;

/**
 * Prometheus metrics of checkpointing, with Flink's metric names (`nact_checkpoint_numberOfCompletedCheckpoints`, ...)
 * and a histogram of checkpoint durations (`nact_checkpoint_checkpoint_duration_seconds`, labelled `job_id` and
 * `kind`). Counters count from this instance's creation; gauges hold the latest value per job.
 *
 * @throws PromClientNotInstalledError when `prom-client` is not installed; InvalidOptionError for a bad prefix or buckets.
 */
export async function createCheckpointMetrics(options: CheckpointMetricsOptions = {}): Promise<CheckpointMetrics> {
  const prefix = options.prefix ?? 'nact_checkpoint_';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) throw new InvalidOptionError('CheckpointMetricsOptions.prefix', `must be a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*), got ${JSON.stringify(prefix)}`);
  const buckets = options.durationBuckets ?? DEFAULT_DURATION_BUCKETS;
  if (!Array.isArray(buckets) || buckets.length === 0 || buckets.some((bound, index) => !(bound > 0) || (index > 0 && bound <= (buckets[index - 1] as number)))) {
    throw new InvalidOptionError('CheckpointMetricsOptions.durationBuckets', 'must be a non-empty list of increasing positive numbers of seconds');
  }
  const client = await loadPromClient(options.importPromClient);
  const registry = (options.registry ?? client.register) as PrometheusRegistry;
  const registers = [registry];
  const metrics = new Map<string, InstanceType<PromClientModule['Gauge']>>();
  for (const name of CHECKPOINT_METRIC_NAMES) {
    const Kind = COUNTERS.has(name) ? client.Counter : client.Gauge;
    metrics.set(name, new Kind({ name: `${prefix}${name}`, help: HELP[name], labelNames: ['job_id'], registers }));
  }
  const durations = new client.Histogram({
    name: `${prefix}checkpoint_duration_seconds`, help: 'Seconds from trigger to completion of completed checkpoints and savepoints.', labelNames: ['job_id', 'kind'], registers, buckets,
  });
  const metric = (name: (typeof CHECKPOINT_METRIC_NAMES)[number], jobId: string): Metric => (metrics.get(name) as InstanceType<PromClientModule['Gauge']>).labels({ job_id: jobId });
  const jobs = new Map<string, { readonly inProgress: Set<number>; storedFiles: ReadonlySet<string> }>();
  const job = (jobId: string) => {
    let state = jobs.get(jobId);
    if (state === undefined) {
      state = { inProgress: new Set(), storedFiles: new Set() };
      jobs.set(jobId, state);
    }
    return state;
  };

  const onEvent = (event: CoordinatorEvent): void => {
    try {
      const { jobId } = event;
      const state = job(jobId);
      switch (event.type) {
        case 'checkpoint-triggered':
          state.inProgress.add(event.checkpointId);
          metric('totalNumberOfCheckpoints', jobId).inc();
          break;
        case 'checkpoint-completed': {
          const { checkpoint } = event;
          state.inProgress.delete(checkpoint.checkpointId);
          let persisted = 0;
          const files = new Set<string>();
          for (const taskState of Object.values(checkpoint.taskStates)) {
            persisted += persistedSizeOf(taskState, state.storedFiles);
            filePathsOf(taskState, files);
          }
          if (checkpoint.properties.type === 'checkpoint') state.storedFiles = files;
          const durationMs = checkpoint.completionTimestamp - checkpoint.triggerTimestamp;
          metric('numberOfCompletedCheckpoints', jobId).inc();
          metric('lastCompletedCheckpointId', jobId).set(checkpoint.checkpointId);
          metric('lastCheckpointDuration', jobId).set(durationMs);
          metric('lastCheckpointSize', jobId).set(persisted);
          metric('lastCheckpointFullSize', jobId).set(checkpoint.stateSize);
          durations.labels({ job_id: jobId, kind: checkpoint.properties.type }).observe(durationMs / 1000);
          break;
        }
        case 'checkpoint-failed':
          // A refusal before any task was reached (no id) was never in progress and is not a failed checkpoint.
          if (event.checkpointId === null) return;
          state.inProgress.delete(event.checkpointId);
          metric('numberOfFailedCheckpoints', jobId).inc();
          break;
        case 'state-restored':
          metric('numberOfRestores', jobId).inc();
          metric('lastCheckpointRestoreTimestamp', jobId).set(event.timestamp);
          break;
        case 'restart-scheduled':
          metric('numRestarts', jobId).inc();
          break;
        default:
          return;
      }
      metric('numberOfInProgressCheckpoints', jobId).set(state.inProgress.size);
    } catch {
      // Metrics must never break the coordinator's listener; a broken registry shows as missing samples.
    }
  };
  return { onEvent, registry };
}
