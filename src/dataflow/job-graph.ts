import type { JsonValue } from '../core/json.js';
import { JobGraphError } from './job-graph-error.js';
import { DEFAULT_MAX_PARALLELISM } from '../state/key-groups.js';
import type { Partitioner } from './partitioner.js';
import type { SourceFactory } from './replayable-source.js';
import type { OperatorFactory } from './stream-operator.js';

declare const recordType: unique symbol;

/** A connection into an operator or sink: which stream, and how its records are spread over the consumer's subtasks. */
export interface InputEdge<T> {
  readonly from: string;
  readonly partitioner: Partitioner;
  /** Phantom: the type of the records on this edge. */
  readonly [recordType]?: T;
}

/** The output of a source or operator, to be connected to consumers. Every consumer gets every record. */
export interface StreamHandle<T> {
  readonly name: string;
  /** Subtask i feeds the consumer's subtask i (equal parallelism required). */
  forward(): InputEdge<T>;
  /** Round-robin over the consumer's subtasks. */
  rebalance(): InputEdge<T>;
  /** By the hash of `key(record)`: equal keys always reach the same consumer subtask. */
  keyBy(key: (record: T) => string): InputEdge<T>;
}

/** One vertex of a job graph: a source, operator or sink with its parallelism and inputs. */
export type JobVertex =
  | { readonly kind: 'source'; readonly name: string; readonly parallelism: number; readonly source: SourceFactory<unknown> }
  | {
      readonly kind: 'operator' | 'sink';
      readonly name: string;
      readonly parallelism: number;
      readonly inputs: readonly InputEdge<unknown>[];
      readonly operator: OperatorFactory<unknown, unknown, JsonValue>;
    };

/** A validated job graph: vertices in topological order. Each vertex runs as `parallelism` tasks named `<vertex>-<subtask>`. */
export interface JobGraph {
  readonly vertices: readonly JobVertex[];
  readonly taskIds: readonly string[];
}

/** Options of a source vertex. */
export interface SourceVertexOptions<T> {
  readonly parallelism: number;
  readonly source: SourceFactory<T>;
}

/** Options of an operator vertex: its inputs (logical input i is `inputs[i]`) and the operator every subtask runs. */
export interface OperatorVertexOptions<In, Out, S extends JsonValue> {
  readonly parallelism: number;
  readonly inputs: readonly InputEdge<In>[];
  readonly operator: OperatorFactory<In, Out, S>;
}

/** Options of a sink vertex. */
export interface SinkVertexOptions<In, S extends JsonValue> {
  readonly parallelism: number;
  readonly inputs: readonly InputEdge<In>[];
  readonly sink: OperatorFactory<In, never, S>;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._]*$/;

/**
 * Builds a job graph: `source` and `operator` return a stream handle to connect consumers to, `sink` ends a branch,
 * `build` validates and freezes the graph. Vertices can only consume streams declared before them, so graphs are
 * acyclic by construction.
 *
 * ```ts
 * const g = jobGraph();
 * const lines = g.source('lines', { parallelism: 2, source: fromArray(input) });
 * const words = g.operator('tokenizer', { parallelism: 4, inputs: [lines.rebalance()], operator: () => tokenizer });
 * g.sink('sink', { parallelism: 1, inputs: [words.keyBy((w) => w)], sink: transactionalSink(output) });
 * const graph = g.build();
 * ```
 */
export class JobGraphBuilder {
  private readonly vertices: JobVertex[] = [];

  source<T>(name: string, options: SourceVertexOptions<T>): StreamHandle<T> {
    this.checkVertex(name, options.parallelism);
    if (typeof options.source !== 'function') throw new JobGraphError(`source '${name}'`, 'needs a `source` factory (subtask, parallelism) => ReplayableSource, for example fromArray(items)');
    this.vertices.push({ kind: 'source', name, parallelism: options.parallelism, source: options.source as SourceFactory<unknown> });
    return this.handle<T>(name);
  }

  operator<In, Out, S extends JsonValue = JsonValue>(name: string, options: OperatorVertexOptions<In, Out, S>): StreamHandle<Out> {
    this.addConsumer('operator', name, options.parallelism, options.inputs, options.operator as unknown as OperatorFactory<unknown, unknown, JsonValue>);
    return this.handle<Out>(name);
  }

  sink<In, S extends JsonValue = JsonValue>(name: string, options: SinkVertexOptions<In, S>): void {
    this.addConsumer('sink', name, options.parallelism, options.inputs, options.sink as unknown as OperatorFactory<unknown, unknown, JsonValue>);
  }

  /** @throws JobGraphError when the graph has no source, or a stream nobody consumes is not a sink's input somewhere downstream. */
  build(): JobGraph {
    if (!this.vertices.some((vertex) => vertex.kind === 'source')) throw new JobGraphError('job graph', 'has no source; add one with source(name, { parallelism, source })');
    const consumed = new Set(this.vertices.flatMap((vertex) => (vertex.kind === 'source' ? [] : vertex.inputs.map((edge) => edge.from))));
    for (const vertex of this.vertices) {
      if (vertex.kind !== 'sink' && !consumed.has(vertex.name)) {
        throw new JobGraphError(`${vertex.kind} '${vertex.name}'`, 'has no consumer: connect its stream to an operator or sink, or remove it');
      }
    }
    const vertices = Object.freeze([...this.vertices]);
    const taskIds = Object.freeze(vertices.flatMap((vertex) => Array.from({ length: vertex.parallelism }, (_, subtask) => `${vertex.name}-${subtask}`)));
    return Object.freeze({ vertices, taskIds });
  }

  private addConsumer(kind: 'operator' | 'sink', name: string, parallelism: number, inputs: readonly InputEdge<unknown>[], operator: OperatorFactory<unknown, unknown, JsonValue>): void {
    this.checkVertex(name, parallelism);
    const subject = `${kind} '${name}'`;
    if (typeof operator !== 'function') throw new JobGraphError(subject, `needs a${kind === 'sink' ? ' `sink`' : 'n `operator`'} factory (context) => StreamOperator`);
    if (!Array.isArray(inputs) || inputs.length === 0) throw new JobGraphError(subject, 'needs at least one input edge, e.g. inputs: [stream.rebalance()]');
    inputs.forEach((edge, index) => {
      const upstream = this.vertices.find((vertex) => vertex.name === edge?.from);
      if (upstream === undefined || upstream.kind === 'sink') {
        throw new JobGraphError(`${subject} inputs[${index}]`, `comes from '${String(edge?.from)}', which is not a source or operator of this graph`);
      }
      if (edge.partitioner.kind === 'forward' && upstream.parallelism !== parallelism) {
        throw new JobGraphError(`${subject} inputs[${index}]`, `a forward edge needs equal parallelism, but '${upstream.name}' has ${upstream.parallelism} and '${name}' has ${parallelism}; use rebalance() or keyBy()`);
      }
      if (edge.partitioner.kind === 'keyed' && parallelism > DEFAULT_MAX_PARALLELISM) {
        throw new JobGraphError(`${subject} inputs[${index}]`, `a keyed edge spreads keys over ${DEFAULT_MAX_PARALLELISM} key groups, so the consumer's parallelism must be at most ${DEFAULT_MAX_PARALLELISM}, got ${parallelism}`);
      }
    });
    this.vertices.push({ kind, name, parallelism, inputs: [...inputs], operator });
  }

  private checkVertex(name: string, parallelism: number): void {
    if (typeof name !== 'string' || !SAFE_NAME.test(name)) {
      throw new JobGraphError(`vertex ${JSON.stringify(name)}`, "needs a name of letters, digits, '.' or '_' starting with a letter or digit (it becomes the task ids <name>-<subtask>)");
    }
    if (this.vertices.some((vertex) => vertex.name === name)) throw new JobGraphError(`vertex '${name}'`, 'is declared twice: vertex names must be unique');
    if (!Number.isSafeInteger(parallelism) || parallelism < 1) throw new JobGraphError(`vertex '${name}'`, `needs a parallelism that is an integer >= 1, got ${String(parallelism)}`);
  }

  private handle<T>(name: string): StreamHandle<T> {
    return {
      name,
      forward: () => ({ from: name, partitioner: { kind: 'forward' } }),
      rebalance: () => ({ from: name, partitioner: { kind: 'rebalance' } }),
      keyBy: (key) => ({ from: name, partitioner: { kind: 'keyed', key: key as (record: unknown) => string } }),
    };
  }
}

/** Starts a job graph. */
export function jobGraph(): JobGraphBuilder {
  return new JobGraphBuilder();
}
