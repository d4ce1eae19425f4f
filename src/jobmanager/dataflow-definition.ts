import { InvalidOptionError } from '../core/invalid-option-error.js';
import { isRecord, onlyKnownKeys } from './definition-fields.js';
import type { JsonValue } from '../core/json.js';
import { CheckpointingMode } from '../dataflow/checkpointing-mode.js';
import { DEFAULT_MAX_PARALLELISM } from '../state/key-groups.js';
import { parseKeyPath } from './key-path.js';

/** How an input edge spreads the producer's records over the consumer's subtasks. */
export const Partitioning = {
  /** Subtask i feeds subtask i: both vertices need the same parallelism. */
  FORWARD: 'forward',
  /** Round-robin over the consumer's subtasks. */
  REBALANCE: 'rebalance',
  /** By the record's key (a key path or a key selector kind): equal keys always reach the same subtask. */
  KEY_BY: 'key-by',
} as const;
export type Partitioning = (typeof Partitioning)[keyof typeof Partitioning];

/** One input of an operator or sink vertex: the vertex it reads, and how records are spread over its subtasks. */
export type DataflowInputDefinition =
  | { readonly from: string; readonly partitioning: typeof Partitioning.FORWARD | typeof Partitioning.REBALANCE }
  /** Keyed by a key selector kind registered in every job manager (or exported by the job's operator bundle). */
  | { readonly from: string; readonly partitioning: typeof Partitioning.KEY_BY; readonly keySelector: string }
  /** Keyed by the value at a path into the record (`$.customer`, `$[0]`): a string as it is, anything else as JSON. */
  | { readonly from: string; readonly partitioning: typeof Partitioning.KEY_BY; readonly keyPath: string };

interface VertexCommon {
  /** Letters, digits, `.`, `_`, starting with a letter or digit, at most 100 characters: its tasks are `<name>-<subtask>`. */
  readonly name: string;
  readonly parallelism: number;
  /** Handed to the kind as `context.config`. Default null. */
  readonly config?: JsonValue;
}

/** A source vertex: `source` names a source kind. */
export interface SourceVertexDefinition extends VertexCommon {
  readonly source: string;
}

/** An operator vertex: `operator` names a stream operator kind; logical input i is `inputs[i]`. */
export interface OperatorVertexDefinition extends VertexCommon {
  readonly operator: string;
  readonly inputs: readonly DataflowInputDefinition[];
}

/** A sink vertex: `sink` names a sink kind. */
export interface SinkVertexDefinition extends VertexCommon {
  readonly sink: string;
  readonly inputs: readonly DataflowInputDefinition[];
}

/** One vertex of a dataflow job: exactly one of `source`, `operator` or `sink` names its kind. */
export type DataflowVertexDefinition = SourceVertexDefinition | OperatorVertexDefinition | SinkVertexDefinition;

/** How fast sources emit: `recordsPerStep` records per step (default 100), steps back to back or `stepDelayMs` apart (default 0). */
export interface SourcePaceDefinition {
  readonly recordsPerStep?: number;
  readonly stepDelayMs?: number;
}

/** A dataflow job as data: its vertices (in any order; the graph must be acyclic) and how barriers are handled. */
export interface DataflowDefinition {
  readonly vertices: readonly DataflowVertexDefinition[];
  /** Default exactly-once (aligned barriers); at-least-once skips alignment and may repeat records after a restore. */
  readonly mode?: CheckpointingMode;
  readonly pace?: SourcePaceDefinition;
  /** Channel messages in flight before sources pause (backpressure). Default 512. */
  readonly maxInFlightMessages?: number;
}

/** What a vertex is: its role in the graph and the kind it names. */
export type VertexRole = 'source' | 'operator' | 'sink';

const VERTEX_NAME = /^[A-Za-z0-9][A-Za-z0-9._]{0,99}$/;
const ROLES: readonly VertexRole[] = ['source', 'operator', 'sink'];
const DATAFLOW_FIELDS = ['vertices', 'mode', 'pace', 'maxInFlightMessages'];
const VERTEX_FIELDS = ['name', 'source', 'operator', 'sink', 'parallelism', 'inputs', 'config'];
const INPUT_FIELDS = ['from', 'partitioning', 'keySelector', 'keyPath'];

/** The role of a checked vertex. */
export function roleOf(vertex: DataflowVertexDefinition): VertexRole {
  if ('source' in vertex) return 'source';
  return 'operator' in vertex ? 'operator' : 'sink';
}

/** The kind a checked vertex names. */
export function kindOf(vertex: DataflowVertexDefinition): string {
  if ('source' in vertex) return vertex.source;
  return 'operator' in vertex ? vertex.operator : vertex.sink;
}

/** The inputs of a checked vertex (none for a source). */
export function inputsOf(vertex: DataflowVertexDefinition): readonly DataflowInputDefinition[] {
  return 'source' in vertex ? [] : vertex.inputs;
}

function integerAtLeast(value: unknown, minimum: number, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidOptionError(field, `must be an integer >= ${minimum}, got ${JSON.stringify(value)}`);
  }
}

function checkInput(input: unknown, field: string): void {
  if (!isRecord(input)) throw new InvalidOptionError(field, 'must be an object { from, partitioning, keySelector? | keyPath? }');
  onlyKnownKeys(input, INPUT_FIELDS, field);
  if (typeof input.from !== 'string' || input.from.length === 0) throw new InvalidOptionError(`${field}.from`, `must name a vertex of the dataflow, got ${JSON.stringify(input.from)}`);
  const partitionings: readonly unknown[] = Object.values(Partitioning);
  if (!partitionings.includes(input.partitioning)) {
    throw new InvalidOptionError(`${field}.partitioning`, `must be one of ${partitionings.join(', ')}, got ${JSON.stringify(input.partitioning)}`);
  }
  const hasSelector = input.keySelector !== undefined;
  const hasPath = input.keyPath !== undefined;
  if (input.partitioning !== Partitioning.KEY_BY) {
    if (hasSelector || hasPath) throw new InvalidOptionError(`${field}.${hasSelector ? 'keySelector' : 'keyPath'}`, `is only for partitioning '${Partitioning.KEY_BY}', not '${String(input.partitioning)}'`);
    return;
  }
  if (hasSelector === hasPath) {
    throw new InvalidOptionError(field, `partitioned '${Partitioning.KEY_BY}' needs exactly one of keySelector (a key selector kind's name) or keyPath (like $.customer), got ${hasSelector ? 'both' : 'neither'}`);
  }
  if (hasSelector && (typeof input.keySelector !== 'string' || input.keySelector.length === 0)) {
    throw new InvalidOptionError(`${field}.keySelector`, `must name a key selector kind, got ${JSON.stringify(input.keySelector)}`);
  }
  if (hasPath) parseKeyPath(input.keyPath, `${field}.keyPath`);
}

/** Checks one vertex on its own (its name, kind, parallelism and the shape of its inputs). */
function checkVertex(vertex: unknown, field: string): void {
  if (!isRecord(vertex)) throw new InvalidOptionError(field, 'must be an object { name, source | operator | sink, parallelism, inputs?, config? }');
  onlyKnownKeys(vertex, VERTEX_FIELDS, field);
  if (typeof vertex.name !== 'string' || !VERTEX_NAME.test(vertex.name)) {
    throw new InvalidOptionError(`${field}.name`, `must be 1 to 100 letters, digits, '.' or '_', starting with a letter or digit (its tasks are <name>-<subtask>), got ${JSON.stringify(vertex.name)}`);
  }
  const roles = ROLES.filter((role) => vertex[role] !== undefined);
  if (roles.length !== 1) {
    throw new InvalidOptionError(field, `must name its kind in exactly one of source, operator or sink, got ${roles.length === 0 ? 'none' : roles.join(' and ')}`);
  }
  const role = roles[0] as VertexRole;
  if (typeof vertex[role] !== 'string' || (vertex[role] as string).length === 0) throw new InvalidOptionError(`${field}.${role}`, `must name a ${role} kind, got ${JSON.stringify(vertex[role])}`);
  integerAtLeast(vertex.parallelism, 1, `${field}.parallelism`);
  if (role === 'source') {
    if (vertex.inputs !== undefined) throw new InvalidOptionError(`${field}.inputs`, 'is not for a source: sources read from outside the graph');
    return;
  }
  if (!Array.isArray(vertex.inputs) || vertex.inputs.length === 0) {
    throw new InvalidOptionError(`${field}.inputs`, `must be a non-empty array of { from, partitioning }: ${role === 'sink' ? 'a sink' : 'an operator'} reads at least one vertex`);
  }
  vertex.inputs.forEach((input: unknown, index) => checkInput(input, `${field}.inputs[${index}]`));
}

/** An edge of the graph as found in the definition: where it is written, and both ends (indexes into the vertices). */
interface Edge {
  readonly field: string;
  readonly from: number;
  readonly to: number;
}

/**
 * The vertices in an order where every vertex comes after the vertices it reads (the definition's own order where the
 * edges allow it), or the edges of a cycle when there is none. Expects vertices checked one by one and edges that name
 * vertices of the graph.
 */
function orderOf(vertices: readonly DataflowVertexDefinition[], edges: readonly Edge[]): { readonly order: readonly number[] } | { readonly cycle: readonly Edge[] } {
  const waitingFor = vertices.map(() => 0);
  for (const edge of edges) waitingFor[edge.to] = (waitingFor[edge.to] as number) + 1;
  const order: number[] = [];
  const placed = vertices.map(() => false);
  // Repeatedly place the first vertex (in definition order) whose inputs are all placed: quadratic, and graphs are small.
  for (let round = 0; round < vertices.length; round += 1) {
    const next = waitingFor.findIndex((count, index) => count === 0 && !placed[index]);
    if (next < 0) break;
    placed[next] = true;
    order.push(next);
    for (const edge of edges) if (edge.from === next) waitingFor[edge.to] = (waitingFor[edge.to] as number) - 1;
  }
  if (order.length === vertices.length) return { order };
  // Every unplaced vertex reads an unplaced vertex: walk back along such edges until a vertex repeats.
  const stuck = (index: number): Edge => edges.find((edge) => edge.to === index && !placed[edge.from]) as Edge;
  const path: Edge[] = [];
  const seenAt = new Map<number, number>();
  let current = placed.indexOf(false);
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    const edge = stuck(current);
    path.push(edge);
    current = edge.from;
  }
  return { cycle: path.slice(seenAt.get(current)).reverse() };
}

/** The edges of checked vertices whose inputs name vertices of the graph. */
function edgesOf(vertices: readonly DataflowVertexDefinition[], field: string): Edge[] {
  const indexOf = new Map(vertices.map((vertex, index) => [vertex.name, index]));
  return vertices.flatMap((vertex, to) => inputsOf(vertex).map((input, position) => ({
    field: `${field}[${to}].inputs[${position}].from`,
    from: indexOf.get(input.from) as number,
    to,
  })));
}

/**
 * The vertices of a checked dataflow in an order where each comes after every vertex it reads: the order the runtime's
 * graph builder needs. Ties keep the definition's order.
 */
export function topologicalOrderOf(dataflow: DataflowDefinition): DataflowVertexDefinition[] {
  const found = orderOf(dataflow.vertices, edgesOf(dataflow.vertices, 'vertices'));
  if (!('order' in found)) throw new Error('the dataflow of a checked job definition has a cycle');
  return found.order.map((index) => dataflow.vertices[index] as DataflowVertexDefinition);
}

/**
 * Checks the dataflow of a job definition once, at the edge: each vertex on its own, then the graph (inputs naming
 * vertices that produce records, forward edges between equal parallelisms, keyed consumers within the key groups, a
 * source, every stream consumed, no cycle). Kinds are checked by the job manager that accepts the job, which knows them.
 * @throws InvalidOptionError naming the field, e.g. `JobDefinition.dataflow.vertices[2].inputs[0].from names no vertex
 *   of this dataflow ...` or `JobDefinition.dataflow.vertices[0].inputs[0].from closes a cycle: ...`.
 */
export function validateDataflowDefinition(value: unknown, field: string): DataflowDefinition {
  if (!isRecord(value)) throw new InvalidOptionError(field, 'must be an object { vertices, mode?, pace?, maxInFlightMessages? }');
  onlyKnownKeys(value, DATAFLOW_FIELDS, field);
  const verticesField = `${field}.vertices`;
  if (!Array.isArray(value.vertices) || value.vertices.length === 0) throw new InvalidOptionError(verticesField, 'must be a non-empty array of vertices { name, source | operator | sink, parallelism, inputs?, config? }');
  const names = new Map<string, number>();
  value.vertices.forEach((vertex: unknown, index) => {
    checkVertex(vertex, `${verticesField}[${index}]`);
    const { name } = vertex as DataflowVertexDefinition;
    const earlier = names.get(name);
    if (earlier !== undefined) throw new InvalidOptionError(`${verticesField}[${index}].name`, `'${name}' is also the name of vertices[${earlier}]: vertex names must be unique`);
    names.set(name, index);
  });
  const vertices = value.vertices as readonly DataflowVertexDefinition[];
  vertices.forEach((vertex, index) => {
    inputsOf(vertex).forEach((input, position) => {
      const inputField = `${verticesField}[${index}].inputs[${position}]`;
      const producer = vertices[names.get(input.from) ?? -1];
      if (producer === undefined) {
        throw new InvalidOptionError(`${inputField}.from`, `names no vertex of this dataflow: '${input.from}'; its vertices: ${vertices.map((each) => each.name).join(', ')}`);
      }
      if (roleOf(producer) === 'sink') throw new InvalidOptionError(`${inputField}.from`, `names sink '${input.from}', which has no output: read a source or operator`);
      if (input.partitioning === Partitioning.FORWARD && producer.parallelism !== vertex.parallelism) {
        throw new InvalidOptionError(`${inputField}.partitioning`, `'forward' needs equal parallelism, but '${producer.name}' has ${producer.parallelism} and '${vertex.name}' has ${vertex.parallelism}; use 'rebalance' or '${Partitioning.KEY_BY}'`);
      }
      if (input.partitioning === Partitioning.KEY_BY && vertex.parallelism > DEFAULT_MAX_PARALLELISM) {
        throw new InvalidOptionError(`${inputField}.partitioning`, `'${Partitioning.KEY_BY}' spreads keys over ${DEFAULT_MAX_PARALLELISM} key groups, so '${vertex.name}' may have a parallelism of at most ${DEFAULT_MAX_PARALLELISM}, got ${vertex.parallelism}`);
      }
    });
  });
  if (!vertices.some((vertex) => roleOf(vertex) === 'source')) throw new InvalidOptionError(verticesField, 'has no source vertex: a dataflow starts at one or more sources');
  const edges = edgesOf(vertices, verticesField);
  const found = orderOf(vertices, edges);
  if ('cycle' in found) {
    const [closing] = found.cycle;
    const around = [...found.cycle, closing as Edge].map((edge) => `'${(vertices[edge.from] as DataflowVertexDefinition).name}'`);
    throw new InvalidOptionError((closing as Edge).field, `closes a cycle: ${around.join(' → ')} (records flow along each arrow); a dataflow must be acyclic`);
  }
  const consumed = new Set(edges.map((edge) => edge.from));
  vertices.forEach((vertex, index) => {
    if (roleOf(vertex) !== 'sink' && !consumed.has(index)) {
      throw new InvalidOptionError(`${verticesField}[${index}]`, `is ${roleOf(vertex)} '${vertex.name}', whose records no vertex reads: make it an input of an operator or sink, or remove it`);
    }
  });
  if (value.mode !== undefined) {
    const modes: readonly unknown[] = Object.values(CheckpointingMode);
    if (!modes.includes(value.mode)) throw new InvalidOptionError(`${field}.mode`, `must be one of ${modes.join(', ')}, got ${JSON.stringify(value.mode)}`);
  }
  if (value.pace !== undefined) {
    if (!isRecord(value.pace)) throw new InvalidOptionError(`${field}.pace`, 'must be an object { recordsPerStep?, stepDelayMs? }');
    onlyKnownKeys(value.pace, ['recordsPerStep', 'stepDelayMs'], `${field}.pace`);
    if (value.pace.recordsPerStep !== undefined) integerAtLeast(value.pace.recordsPerStep, 1, `${field}.pace.recordsPerStep`);
    if (value.pace.stepDelayMs !== undefined) integerAtLeast(value.pace.stepDelayMs, 0, `${field}.pace.stepDelayMs`);
  }
  if (value.maxInFlightMessages !== undefined) integerAtLeast(value.maxInFlightMessages, 1, `${field}.maxInFlightMessages`);
  return value as unknown as DataflowDefinition;
}
