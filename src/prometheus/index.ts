// nact-checkpoint/prometheus: Prometheus metrics of checkpointing with Flink's metric names (needs `prom-client`).
export { createCheckpointMetrics, CHECKPOINT_METRIC_NAMES, type CheckpointMetrics, type CheckpointMetricsOptions, type PrometheusRegistry } from './checkpoint-metrics.js';
export { PromClientNotInstalledError } from './prom-client-not-installed-error.js';
