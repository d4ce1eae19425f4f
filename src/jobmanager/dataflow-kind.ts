import type { JsonValue } from '../core/json.js';
import type { ReplayableSource } from '../dataflow/replayable-source.js';
import type { OperatorContext, StreamOperator } from '../dataflow/stream-operator.js';

/** What a dataflow kind is told when it builds the source, operator or sink of one subtask of a vertex. */
export interface DataflowKindContext {
  readonly jobId: string;
  /** The vertex's name in the job definition (its tasks are `<vertex>-<subtask>`). */
  readonly vertex: string;
  /** This subtask's index in `[0, parallelism)`. */
  readonly subtask: number;
  readonly parallelism: number;
  /** The vertex's `config` from the job definition (null when it has none). */
  readonly config: JsonValue;
}

/** What an operator or sink kind is told for each attempt of one of its tasks. */
export interface StreamOperatorKindContext extends DataflowKindContext, OperatorContext {}

/**
 * A source kind: builds the replayable source of one subtask. Reading at an offset must return the same records every
 * time (a Kafka partition, a table read by position, the job's own config): a job recovered by another job manager
 * resumes from the offset its checkpoint holds, so a source that cannot replay loses or repeats records.
 */
export type SourceKindFactory = (context: DataflowKindContext) => ReplayableSource<JsonValue>;

/** An operator kind of a dataflow vertex: builds a fresh stream operator for each attempt of one of its tasks. */
export type StreamOperatorKindFactory = (context: StreamOperatorKindContext) => StreamOperator<JsonValue, JsonValue, JsonValue>;

/**
 * A sink kind: builds the sink operator of one task attempt. For exactly-once output write through a transaction that
 * commits on `notifyCheckpointComplete` (`TransactionalSink`), into a system every job manager of the cluster reaches.
 */
export type SinkKindFactory = (context: StreamOperatorKindContext) => StreamOperator<JsonValue, never, JsonValue>;

/** A key selector kind: the key of a record on a key-by edge. Equal keys reach the same subtask; it must return a string. */
export type KeySelectorKind = (record: JsonValue) => string;

/** The kinds a job manager registers for dataflow jobs, by name, alike in every job manager of the cluster. */
export interface DataflowKindOptions {
  readonly sources?: Readonly<Record<string, SourceKindFactory>>;
  readonly operators?: Readonly<Record<string, StreamOperatorKindFactory>>;
  readonly sinks?: Readonly<Record<string, SinkKindFactory>>;
  readonly keySelectors?: Readonly<Record<string, KeySelectorKind>>;
}

/** The dataflow kinds of a job manager, or of one job, by name. */
export interface DataflowKinds {
  readonly sources: ReadonlyMap<string, SourceKindFactory>;
  readonly operators: ReadonlyMap<string, StreamOperatorKindFactory>;
  readonly sinks: ReadonlyMap<string, SinkKindFactory>;
  readonly keySelectors: ReadonlyMap<string, KeySelectorKind>;
}
