import type { JsonValue } from '../core/json.js';
import { jobGraph, type InputEdge, type JobGraph, type StreamHandle } from '../dataflow/job-graph.js';
import type { ReplayableSource, SourceFactory } from '../dataflow/replayable-source.js';
import type { OperatorContext, OperatorFactory, StreamOperator } from '../dataflow/stream-operator.js';
import { inputsOf, Partitioning, topologicalOrderOf, type DataflowInputDefinition, type DataflowVertexDefinition } from './dataflow-definition.js';
import type { DataflowKindContext, DataflowKinds, KeySelectorKind } from './dataflow-kind.js';
import type { DataflowJobDefinition } from './job-definition.js';
import { keyOfValue, parseKeyPath, valueAtKeyPath } from './key-path.js';
import { describeRecord, RecordKeyError } from './record-key-error.js';

const OPERATOR_HOOKS = ['processRecord', 'snapshotState', 'restoreState'] as const;

/** What a kind built, checked before the runtime relies on it (a bundle's export is an unchecked function). */
function checkedSource(source: unknown, vertex: string, kind: string): ReplayableSource<JsonValue> {
  if (typeof source !== 'object' || source === null || typeof (source as { read?: unknown }).read !== 'function') {
    throw new Error(`source kind '${kind}' of vertex '${vertex}' returned ${describeRecord(source)}, not a replayable source { read(offset, max) }`);
  }
  return source as ReplayableSource<JsonValue>;
}

function checkedOperator(operator: unknown, vertex: string, kind: string, what: string): StreamOperator<unknown, unknown, JsonValue> {
  const missing = OPERATOR_HOOKS.filter((hook) => typeof (operator as Record<string, unknown> | null)?.[hook] !== 'function');
  if (typeof operator !== 'object' || operator === null || missing.length > 0) {
    throw new Error(`${what} '${kind}' of vertex '${vertex}' returned an object without ${missing.join(', ')}: a stream operator needs processRecord, snapshotState and restoreState`);
  }
  return operator as StreamOperator<unknown, unknown, JsonValue>;
}

/** The key function of a key-by edge: a key selector kind whose result is checked, or a key path into the record. */
function keyFunction(input: DataflowInputDefinition, to: string, kinds: DataflowKinds): (record: unknown) => string {
  if ('keySelector' in input) {
    const selector = kinds.keySelectors.get(input.keySelector) as KeySelectorKind;
    const keyBy = `key selector '${input.keySelector}'`;
    return (record) => {
      const key: unknown = selector(record as JsonValue);
      if (typeof key !== 'string') throw new RecordKeyError(input.from, to, keyBy, describeRecord(record), `got ${describeRecord(key)} from its key selector, not a string`);
      return key;
    };
  }
  if (!('keyPath' in input)) throw new Error(`the input from '${input.from}' of '${to}' has no key`);
  const path = parseKeyPath(input.keyPath, 'keyPath');
  return (record) => {
    const value = valueAtKeyPath(record, path);
    if (value === undefined) throw new RecordKeyError(input.from, to, path.text, describeRecord(record), 'has no value at its key path');
    return keyOfValue(value);
  };
}

function edgeOf(input: DataflowInputDefinition, to: string, streams: ReadonlyMap<string, StreamHandle<unknown>>, kinds: DataflowKinds): InputEdge<unknown> {
  const stream = streams.get(input.from) as StreamHandle<unknown>;
  switch (input.partitioning) {
    case Partitioning.FORWARD: return stream.forward();
    case Partitioning.REBALANCE: return stream.rebalance();
    case Partitioning.KEY_BY: return stream.keyBy(keyFunction(input, to, kinds));
  }
}

/**
 * Builds the runtime's job graph of a checked dataflow job from the kinds its job manager resolved: each vertex's kind
 * is called with the vertex's configuration for every subtask (sources) or task attempt (operators and sinks), and what
 * it returns is checked before it runs. Vertices are added in topological order; task ids are `<vertex>-<subtask>`.
 * @throws JobGraphError when the runtime refuses the graph (a checked definition never makes it).
 */
export function dataflowGraphOf(definition: DataflowJobDefinition, kinds: DataflowKinds): JobGraph {
  const builder = jobGraph();
  const streams = new Map<string, StreamHandle<unknown>>();
  const { jobId } = definition;
  const contextOf = (vertex: DataflowVertexDefinition, subtask: number, parallelism: number): DataflowKindContext => ({
    jobId, vertex: vertex.name, subtask, parallelism, config: vertex.config ?? null,
  });
  for (const vertex of topologicalOrderOf(definition.dataflow)) {
    const { name, parallelism } = vertex;
    if ('source' in vertex) {
      const kind = kinds.sources.get(vertex.source);
      if (kind === undefined) throw new Error(`source kind '${vertex.source}' of vertex '${name}' was not resolved`);
      const source: SourceFactory<unknown> = (subtask, total) => checkedSource(kind(contextOf(vertex, subtask, total)), name, vertex.source);
      streams.set(name, builder.source(name, { parallelism, source }));
      continue;
    }
    const inputs = inputsOf(vertex).map((input) => edgeOf(input, name, streams, kinds));
    if ('operator' in vertex) {
      const kind = kinds.operators.get(vertex.operator);
      if (kind === undefined) throw new Error(`operator kind '${vertex.operator}' of vertex '${name}' was not resolved`);
      const operator: OperatorFactory<unknown, unknown, JsonValue> = (context: OperatorContext) =>
        checkedOperator(kind({ ...contextOf(vertex, context.subtask, context.parallelism), ...context }), name, vertex.operator, 'operator kind');
      streams.set(name, builder.operator(name, { parallelism, inputs, operator }));
    } else {
      const kind = kinds.sinks.get(vertex.sink);
      if (kind === undefined) throw new Error(`sink kind '${vertex.sink}' of vertex '${name}' was not resolved`);
      const sink = (context: OperatorContext): StreamOperator<unknown, never, JsonValue> =>
        checkedOperator(kind({ ...contextOf(vertex, context.subtask, context.parallelism), ...context }), name, vertex.sink, 'sink kind') as StreamOperator<unknown, never, JsonValue>;
      builder.sink(name, { parallelism, inputs, sink });
    }
  }
  return builder.build();
}
