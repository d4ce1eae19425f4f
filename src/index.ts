// nact-checkpoint: the public API. Everything a user needs is exported from here.

// Actors, refs and time
export { ask, tell, typedRef, isActorRef, setAskTimeouts, AskTimeoutError, DEFAULT_ASK_TIMEOUT_MS, type TypedRef, type RequestBody } from './actor/typed-ref.js';
export { systemClock, type Clock, type Cancellable } from './actor/clock.js';
export { ManualClock } from './actor/manual-clock.js';
export { offerPriorityLane, priorityLaneOf, type PriorityLane } from './actor/priority-lane.js';

// Identity, status, errors
export { asAttemptId, asCheckpointId, asJobId, asTaskId, type AttemptId, type CheckpointId, type JobId, type TaskId } from './core/ids.js';
export { JobStatus, isGloballyTerminal } from './core/job-status.js';
export type { JsonValue } from './core/json.js';
export { findJsonProblem } from './core/json-problem.js';
export { MAX_TIMER_DELAY_MS } from './core/timer-limits.js';
export { InvalidOptionError } from './core/invalid-option-error.js';

// Logging: one pino-compatible logger for everything the engine reports; quiet unless NODE_DEBUG=nact-checkpoint
export { defaultLogger, validateLogger, LogLevel, DEBUG_SECTION, type Logger, type LogFields, type LogMethod } from './core/logger.js';

// Protocol
export type {
  TaskEnvelope, TriggerCheckpoint, NotifyCheckpointComplete, NotifyCheckpointAborted, RestoreState, CoordinatorToTaskMessage,
  AcknowledgeCheckpoint, DeclineCheckpoint, TaskFailed, TaskToCoordinatorMessage,
} from './protocol/task-protocol.js';
export type {
  Done, RunningTask, TriggerCheckpointNow, TriggerSavepoint, GetCheckpointStats, RestoreLatestCheckpoint, StartCheckpointScheduler,
  StopCheckpointScheduler, RegisterTask, GetTasks, ShutdownCoordinator, CoordinatorRequest,
} from './protocol/coordinator-protocol.js';

// Coordinator
export { spawnCheckpointCoordinator } from './coordinator/spawn-checkpoint-coordinator.js';
export type { CheckpointCoordinatorRef } from './coordinator/checkpoint-coordinator.js';
export type { CoordinatorMessage } from './coordinator/coordinator-message.js';
export { validateCoordinatorOptions, DEFAULT_HISTORY_SIZE, type CheckpointCoordinatorOptions, type CoordinatorSettings } from './coordinator/coordinator-options.js';
export { DEFAULT_RESTART_STRATEGY, RestartBackoff, validateRestartStrategy, type RestartStrategy, type RestartStrategyOption, type RestartDecision } from './coordinator/restart-strategy.js';
export { describeMalformedMessage } from './protocol/message-validation.js';
export { describeMalformedTaskState } from './protocol/task-state-validation.js';
export type { CheckpointStats } from './protocol/checkpoint-stats.js';
export type { CheckpointOutcome, RestoreOutcome } from './protocol/checkpoint-outcome.js';
export type { CoordinatorEvent, CoordinatorEventBody, CoordinatorEventEnvelope, CoordinatorEventType } from './coordinator/coordinator-event.js';
export { coordinatorEventLogLine, type CoordinatorEventLogLine } from './coordinator/coordinator-event-log.js';
export {
  CheckpointHistoryStatus,
  type CheckpointHistory, type CheckpointHistoryEntry, type CheckpointHistorySummary, type AcknowledgementLatencySummary, type MinAvgMax,
  type RestoreRecord, type CheckpointHistoryTotals, type PersistedCheckpointHistory,
} from './checkpoint/checkpoint-history.js';
export { encodeCheckpointHistory, decodeCheckpointHistory, CHECKPOINT_HISTORY_FORMAT_VERSION } from './storage/checkpoint-history-codec.js';
export { inMemoryStateCleaner, type CheckpointStateCleaner, type DiscardCauseOfStore } from './coordinator/checkpoint-state-cleaner.js';
export type { DiscardRefusal } from './coordinator/checkpoint-cleaner.js';
export { DefaultCheckpointStateCleaner } from './recovery/default-checkpoint-state-cleaner.js';
export { prepareCheckpointing, type CheckpointingSetup, type CheckpointingSetupOptions } from './recovery/prepare-checkpointing.js';

// Checkpoints, stores, id counters
export { CheckpointType, CheckpointRetention, type CheckpointProperties } from './checkpoint/checkpoint-properties.js';
export { CheckpointFailureReason, countsAsFailure, isPreFlight } from './checkpoint/checkpoint-failure-reason.js';
export type { CompletedCheckpoint } from './checkpoint/completed-checkpoint.js';
export { PendingCheckpoint, type CheckpointParticipants } from './checkpoint/pending-checkpoint.js';
export { TaskAcknowledgeResult } from './checkpoint/task-acknowledge-result.js';
export { keepEverything, type CompletedCheckpointStore, type CompletedCheckpointDiscarder, type DiscardCause } from './checkpoint/completed-checkpoint-store.js';
export { StandaloneCompletedCheckpointStore, warnAboutDiscardFailure, type CompletedCheckpointStoreOptions, type CompletedCheckpointDiscardFailure } from './checkpoint/standalone-completed-checkpoint-store.js';
export { DefaultCompletedCheckpointStore, type CompletedCheckpointStoreRecoveryOptions } from './recovery/default-completed-checkpoint-store.js';
export { CheckpointIdOrderError } from './checkpoint/checkpoint-id-order-error.js';
export { CheckpointStoreShutDownError } from './checkpoint/checkpoint-store-shut-down-error.js';
export { CheckpointIDCounterShutdownError, type CheckpointIDCounter } from './checkpoint/checkpoint-id-counter.js';
export { StandaloneCheckpointIDCounter } from './checkpoint/standalone-checkpoint-id-counter.js';
export { FileSystemCheckpointIDCounter, CHECKPOINT_ID_COUNTER_FORMAT_VERSION } from './storage/filesystem-checkpoint-id-counter.js';
export { encodeIdCounter, decodeIdCounter } from './storage/checkpoint-id-counter-file.js';

// Tasks
export { spawnTask, operatorTask, deliver } from './task/spawn-task.js';
export type { CheckpointedOperator, OperatorFactory, TaskContext, KeyedSnapshotOptions } from './task/checkpointed-operator.js';
export type { TaskDeployer, TaskDeploymentContext, TaskSpec } from './protocol/task-deployment.js';
export type { Deliver, TaskMessage } from './task/task-message.js';

// State handles, shared state, keyed state
export {
  EMPTY_TASK_STATE,
  type FileStateHandle, type ByteStreamStateHandle, type InlineStateHandle, type StreamStateHandle, type PlaceholderStreamStateHandle,
  type KeyGroupRange, type KeyGroupsStateHandle, type StateFileReference, type IncrementalKeyedStateHandle, type KeyedStateHandle,
  type TaskStateSnapshot, type SnapshotResult,
} from './state/state-handles.js';
export { stateSizeOf, persistedSizeOf, filePathsOf } from './state/state-size.js';
export { SharedStateRegistry, type SharedStateDiscardCallback, type SharedStateEntry } from './state/shared-state-registry.js';
export { sharedStateRegistryKey, parseSharedStateRegistryKey, describeSharedStateRegistryKey, type SharedStateRegistryKey, type SharedStateRegistryKeyParts } from './state/shared-state-registry-key.js';
export { UnknownSharedStateError, SharedStateOperation } from './state/unknown-shared-state-error.js';
export { AsyncStateDiscarder, DiscardTarget, type AsyncStateDiscarderOptions, type DiscardFailure, type StateDeleter } from './storage/state-discarder.js';
export {
  assignKeyGroup, hashKey, keyGroupRangeForSubtask, subtaskIndexForKeyGroup, subtaskIndexForKey, keyGroupInRange, KeyGroupRanges, MAX_NUMBER_OF_KEY_GROUPS, DEFAULT_MAX_PARALLELISM,
  KeyGroupOutOfRangeError, KeyGroupRangeMismatchError,
} from './state/key-groups.js';
export {
  HeapKeyedStateBackend, SnapshotStrategy, RestoredFileSource, DEFAULT_MAX_SEGMENTS, UnresolvedPlaceholderError, IncompatibleKeyedStateError,
  type HeapKeyedStateBackendOptions, type RestoreSummary, type RestoredFile,
} from './backend/heap-keyed-state-backend.js';
export type { TaskLocalSnapshotStorage } from './backend/task-local-snapshot-storage.js';
export { matchTaskLocalCopies, type TaskLocalCopySource, type TaskLocalRead, type TaskLocalCopyRejection, type TaskLocalCopyMatch } from './backend/task-local-copies.js';
export { warnAboutTaskLocalWriteFailure, type TaskLocalWriteFailure } from './backend/task-local-write-failure.js';
export { KEYED_STATE_FORMAT_VERSION } from './backend/keyed-state-format.js';

// Storage and audit
export type { CheckpointStorage, StoredFile } from './storage/checkpoint-storage.js';
export { FileSystemCheckpointStorage } from './storage/filesystem-checkpoint-storage.js';
export { InMemoryCheckpointStorage } from './storage/in-memory-checkpoint-storage.js';
export { storageLayout } from './storage/storage-layout.js';
export { checksumOf } from './storage/checksum.js';
export { CorruptStateError } from './storage/corrupt-state-error.js';
export { StateFileNotFoundError } from './storage/state-file-not-found-error.js';
export { StateFileExistsError } from './storage/state-file-exists-error.js';
export { OrphanRemovalRefusedError } from './storage/orphan-removal-refused-error.js';
export { encodeCheckpointMetadata, decodeCheckpointMetadata, CHECKPOINT_METADATA_FORMAT_VERSION, SUPPORTED_CHECKPOINT_METADATA_FORMAT_VERSIONS } from './storage/checkpoint-metadata-codec.js';
export { writeFileAtomically } from './storage/atomic-file-writer.js';
export {
  verifyCheckpoints, removeOrphans, AuditSubject, OrphanKind,
  type CheckpointAuditReport, type CheckpointAuditOptions, type AuditProblem, type OrphanFile, type OrphanRemoval,
} from './storage/checkpoint-audit.js';

// Dataflow: sources, operators and sinks with aligned barriers and exactly-once recovery
export { jobGraph, JobGraphBuilder, type JobGraph, type JobVertex, type StreamHandle, type InputEdge } from './dataflow/job-graph.js';
export { JobGraphError } from './dataflow/job-graph-error.js';
export { createDataflowJob, DataflowJob, type DataflowJobOptions } from './dataflow/dataflow-job.js';
export { CheckpointingMode } from './dataflow/checkpointing-mode.js';
export type { StreamOperator, Collector, OperatorContext } from './dataflow/stream-operator.js';
export { fromArray, type ReplayableSource } from './dataflow/replayable-source.js';
export type { SourcePosition } from './dataflow/source-task.js';
export { transactionalSink, TransactionalSink } from './dataflow/transactional-sink.js';
export { CommittedOutput, CommitResult } from './dataflow/committed-output.js';
export { TaskDirectory } from './dataflow/task-directory.js';
export { DataflowMetrics } from './dataflow/dataflow-metrics.js';
export type { TaskProbe } from './dataflow/dataflow-message.js';
export { InjectedFailureError } from './dataflow/injected-failure-error.js';

// Task-local recovery: a copy of every snapshot on the task's own disk, restored from when it matches the durable copy
export { TaskLocalStateStore, type TaskLocalStateStoreOptions } from './local-recovery/task-local-state-store.js';
export { TaskLocalStateStoreDisposedError } from './local-recovery/task-local-state-store-disposed-error.js';
export { TaskLocalStateProblemKind, warnAboutTaskLocalStateProblem, type TaskLocalStateProblem } from './local-recovery/task-local-state-problem.js';
export { TaskLocalDirectoryStorage } from './local-recovery/task-local-directory-storage.js';
export { KeyedStateWithLocalRecovery, type LocallyRecoveredBackendOptions } from './local-recovery/keyed-state-with-local-recovery.js';
export { checkpointIdOfKeyedState } from './local-recovery/restored-checkpoint-id.js';
export { TASK_LOCAL_STATE_FORMAT_VERSION } from './local-recovery/task-local-state-manifest.js';

// Blob store: content-addressed job artifacts (operator bundles, configuration, reference data) with an HA copy
export { BlobStore, MAX_BLOB_BYTES_IN_MEMORY, type BlobStoreStats } from './blob/blob-store.js';
export { validateBlobStoreOptions, warnAboutBlobStoreEvent, type BlobStoreOptions, type BlobStoreSettings } from './blob/blob-store-options.js';
export type { BlobStoreEvent } from './blob/blob-store-event.js';
export { asBlobKey, isBlobKey, type BlobKey } from './blob/blob-key.js';
export type { BlobHaCopy } from './blob/blob-ha-copy.js';
export { FileSystemBlobHaCopy } from './blob/filesystem-blob-ha-copy.js';
export { PostgresBlobHaCopy, type PostgresBlobHaCopyOptions } from './blob/postgres-blob-ha-copy.js';
export { BLOB_STORE_FORMAT_VERSION } from './blob/blob-directory-format.js';
export { BlobCorruptedError, BlobCopy } from './blob/blob-corrupted-error.js';
export { BlobFetchFailedError } from './blob/blob-fetch-failed-error.js';
export { BlobHaCopyWriteError } from './blob/blob-ha-copy-write-error.js';
export { BlobJobRunningError } from './blob/blob-job-running-error.js';
export { BlobNotFoundError } from './blob/blob-not-found-error.js';
export { InvalidBlobKeyError } from './blob/invalid-blob-key-error.js';
export { putOperatorBundle, loadOperatorBundle, loadOperatorKind, type OperatorKind } from './blob/operator-bundle.js';
export { OperatorKindNotFoundError } from './blob/operator-kind-not-found-error.js';

// High availability: leader election with fencing, and job graphs, checkpoint ids and completed checkpoints that outlive a process
export { createHighAvailabilityServices, HighAvailabilityServices } from './ha/high-availability-services.js';
export { HighAvailabilityMode } from './ha/high-availability-mode.js';
export type {
  HighAvailabilityOptions, NoHighAvailabilityOptions, FileSystemHighAvailabilityOptions, PostgresHighAvailabilityOptions, LeaseOptions,
} from './ha/high-availability-options.js';
export { LeaderElection } from './ha/leader-election.js';
export type { LeaderContender } from './ha/leader-contender.js';
export { describeSession, type LeaderSession } from './ha/leader-session.js';
export { LeadershipLossReason } from './ha/leadership-loss-reason.js';
export { StaleLeaderError } from './ha/stale-leader-error.js';
export { HighAvailabilityStorageError, WriteOutcome } from './ha/high-availability-storage-error.js';
export { CheckpointRecoveryFactory } from './ha/checkpoint-recovery-factory.js';
export { FencedCheckpointIDCounter } from './ha/fenced-checkpoint-id-counter.js';
export { FencedCompletedCheckpointStore, type FencedCompletedCheckpointStoreOptions } from './ha/fenced-completed-checkpoint-store.js';
export { JobGraphStore } from './ha/job-graph-store.js';
export { JobGraphWatch } from './ha/job-graph-watch.js';
export type { JobGraphChange } from './ha/job-graph-change.js';
export type { StoredJobGraph } from './ha/stored-job-graph.js';
export { InMemoryHighAvailabilityData } from './ha/memory/in-memory-high-availability-data.js';
export { FileLockTimeoutError } from './ha/filesystem/file-lock-timeout-error.js';
export { PgNotInstalledError } from './ha/postgres/pg-not-installed-error.js';
export type { PostgresPool, PostgresClient, PostgresQueryResult } from './ha/postgres/postgres-pool.js';
export { UnsupportedSchemaVersionError } from './ha/postgres/unsupported-schema-version-error.js';
export { HIGH_AVAILABILITY_RECORD_FORMAT_VERSION } from './ha/high-availability-record.js';
export { POSTGRES_SCHEMA_VERSION } from './ha/postgres/postgres-schema-version.js';

// Job managers: jobs as data, persisted before they run, recovered by any job manager of the cluster
export { startJobManager, JobManager, type SubmittedJob, type SavepointRequest } from './jobmanager/job-manager.js';
export { validateJobManagerOptions, type JobManagerOptions, type JobManagerSettings } from './jobmanager/job-manager-options.js';
export type { JobManagerEvent } from './jobmanager/job-manager-event.js';
export {
  validateJobDefinition, coordinatorOptionsOf,
  type JobDefinition, type TaskJobDefinition, type DataflowJobDefinition, type TaskDefinition, type CheckpointingDefinition,
  type StorageDefinition, type RestoreDefinition,
} from './jobmanager/job-definition.js';
export {
  Partitioning,
  type DataflowDefinition, type DataflowVertexDefinition, type SourceVertexDefinition, type OperatorVertexDefinition,
  type SinkVertexDefinition, type DataflowInputDefinition, type SourcePaceDefinition,
} from './jobmanager/dataflow-definition.js';
export type {
  DataflowKindContext, StreamOperatorKindContext, SourceKindFactory, StreamOperatorKindFactory, SinkKindFactory, KeySelectorKind,
  DataflowKindOptions, DataflowKinds,
} from './jobmanager/dataflow-kind.js';
export { RecordKeyError } from './jobmanager/record-key-error.js';
export { encodeStoredJob, decodeStoredJob, STORED_JOB_FORMAT_VERSION, type StoredJob } from './jobmanager/stored-job.js';
export type { OperatorKindContext, OperatorKindFactory } from './jobmanager/operator-kind.js';
export { jobScopeOf } from './jobmanager/job-contender.js';
export { JobAlreadySubmittedError } from './jobmanager/job-already-submitted-error.js';
export { JobNotLedHereError } from './jobmanager/job-not-led-here-error.js';
export { UnknownOperatorKindError } from './jobmanager/unknown-operator-kind-error.js';

// Savepoints and restore modes; recovery from the high-availability services
export { writeSelfContainedSavepoint, type SelfContainedSavepointOptions } from './savepoint/self-contained-savepoint.js';
export { readRestorePoint, type RestorePoint } from './savepoint/restore-point.js';
export { RestorePointKind } from './savepoint/restore-point-kind.js';
export { RestorePointNotFoundError } from './savepoint/restore-point-not-found-error.js';
export { ExternalPathStorage } from './savepoint/external-path-storage.js';
export { RestoreMode } from './recovery/restore-mode.js';
export {
  prepareHighAvailabilityCheckpointing,
  type HighAvailabilityCheckpointingOptions, type HighAvailabilityCheckpointingSetup, type AdoptedRestorePoint, type RestoreSettings,
} from './recovery/prepare-high-availability-checkpointing.js';
