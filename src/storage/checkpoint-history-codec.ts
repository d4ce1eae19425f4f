import { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import { CheckpointHistoryStatus, type PersistedCheckpointHistory } from '../checkpoint/checkpoint-history.js';
import { CheckpointType } from '../checkpoint/checkpoint-properties.js';
import { checksumOf } from './checksum.js';
import { CorruptStateError } from './corrupt-state-error.js';

/*
 * A checkpoint history file is one JSON document:
 *
 *   { "format": "nact-checkpoint-history", "formatVersion": 1, "checksum": "<hex SHA-256 of the payload's JSON>", "payload": { ... } }
 *
 * The payload is a PersistedCheckpointHistory. Its checksum is taken over `JSON.stringify(payload)`, which the reader
 * recomputes from the parsed payload: JSON written by JSON.stringify reads back to the same text.
 */

const FORMAT = 'nact-checkpoint-history';
/** The format version {@link encodeCheckpointHistory} writes and {@link decodeCheckpointHistory} reads. */
export const CHECKPOINT_HISTORY_FORMAT_VERSION = 1;

/** Encodes a history as a versioned, checksummed JSON file. */
export function encodeCheckpointHistory(history: PersistedCheckpointHistory): Uint8Array {
  const payload = JSON.stringify(history);
  const checksum = checksumOf(new TextEncoder().encode(payload));
  return new TextEncoder().encode(`{"format":"${FORMAT}","formatVersion":${CHECKPOINT_HISTORY_FORMAT_VERSION},"checksum":"${checksum}","payload":${payload}}\n`);
}

/**
 * Decodes and verifies a history file read from `path`: JSON, format name and version, checksum, and the shape of every
 * entry. @throws CorruptStateError naming `path` and what was wrong.
 */
export function decodeCheckpointHistory(bytes: Uint8Array, path: string): PersistedCheckpointHistory {
  const corrupt = (problem: string): never => {
    throw new CorruptStateError(path, problem);
  };
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return corrupt(`not a checkpoint history: unparsable JSON (${(error as Error).message}; truncated?)`);
  }
  const envelope = isRecord(document) ? document : corrupt('not a checkpoint history: expected a JSON object');
  if (envelope['format'] !== FORMAT) corrupt(`not a checkpoint history: format is ${JSON.stringify(envelope['format'])}, expected "${FORMAT}"`);
  if (envelope['formatVersion'] !== CHECKPOINT_HISTORY_FORMAT_VERSION) {
    corrupt(`unsupported checkpoint history format version ${JSON.stringify(envelope['formatVersion'])}; this build reads version ${CHECKPOINT_HISTORY_FORMAT_VERSION}`);
  }
  if (checksumOf(new TextEncoder().encode(JSON.stringify(envelope['payload']))) !== envelope['checksum']) corrupt('checksum mismatch in checkpoint history');
  const problem = describeShapeProblem(envelope['payload']);
  if (problem !== null) corrupt(`malformed checkpoint history: ${problem}`);
  return envelope['payload'] as PersistedCheckpointHistory;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isNumber = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);
const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
const isId = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 1;
const isNumberOrNull = (value: unknown): boolean => value === null || isNumber(value);
const oneOf = (values: object) => (value: unknown): boolean => (Object.values(values) as unknown[]).includes(value);

function rangeProblem(value: unknown, where: string): string | null {
  if (value === null) return null;
  if (!isRecord(value) || !['min', 'avg', 'max'].every((key) => isNumber(value[key]))) return `${where} must be null or { min, avg, max }`;
  return null;
}

function entryProblem(entry: unknown, where: string): string | null {
  if (!isRecord(entry)) return `${where} must be an object`;
  if (!isId(entry['checkpointId'])) return `${where}.checkpointId must be a positive integer`;
  if (!oneOf(CheckpointType)(entry['kind'])) return `${where}.kind must be a checkpoint type`;
  if (!oneOf(CheckpointHistoryStatus)(entry['status'])) return `${where}.status must be one of ${Object.values(CheckpointHistoryStatus).join(', ')}`;
  if (!isNumber(entry['triggerTimestamp'])) return `${where}.triggerTimestamp must be a number`;
  for (const key of ['endTimestamp', 'durationMs', 'stateSize', 'persistedBytes']) if (!isNumberOrNull(entry[key])) return `${where}.${key} must be a number or null`;
  if (entry['failureReason'] !== null && !oneOf(CheckpointFailureReason)(entry['failureReason'])) return `${where}.failureReason must be a failure reason or null`;
  if (entry['failureMessage'] !== null && typeof entry['failureMessage'] !== 'string') return `${where}.failureMessage must be a string or null`;
  const latency = entry['acknowledgementLatency'];
  if (latency !== null && (!isRecord(latency) || !['min', 'avg', 'p99', 'max'].every((key) => isNumber(latency[key])) || !isCount(latency['acknowledged']) || !isCount(latency['tasks']))) {
    return `${where}.acknowledgementLatency must be null or { min, avg, p99, max, acknowledged, tasks }`;
  }
  const slowest = entry['slowestTask'];
  if (slowest !== null && (!isRecord(slowest) || typeof slowest['taskId'] !== 'string' || !isNumber(slowest['latencyMs']))) return `${where}.slowestTask must be null or { taskId, latencyMs }`;
  return null;
}

function describeShapeProblem(payload: unknown): string | null {
  if (!isRecord(payload)) return 'payload must be an object';
  if (typeof payload['jobId'] !== 'string' || payload['jobId'].length === 0) return 'jobId must be a non-empty string';
  if (!isNumber(payload['writtenAt'])) return 'writtenAt must be a number';
  const totals = payload['totals'];
  if (!isRecord(totals) || !['triggered', 'completed', 'failed', 'restored'].every((key) => isCount(totals[key]))) return 'totals must be { triggered, completed, failed, restored }';
  const history = payload['history'];
  if (!isRecord(history)) return 'history must be an object';
  if (!isId(history['capacity'])) return 'history.capacity must be a positive integer';
  const entries = history['entries'];
  if (!Array.isArray(entries)) return 'history.entries must be an array';
  for (const [index, entry] of entries.entries()) {
    const problem = entryProblem(entry, `history.entries[${index}]`);
    if (problem !== null) return problem;
  }
  const restores = history['restores'];
  if (!Array.isArray(restores)) return 'history.restores must be an array';
  for (const [index, restore] of restores.entries()) {
    if (!isRecord(restore) || !(restore['checkpointId'] === null || isId(restore['checkpointId'])) || !isNumber(restore['timestamp'])) {
      return `history.restores[${index}] must be { checkpointId, timestamp }`;
    }
  }
  const summary = history['summary'];
  if (!isRecord(summary) || !['completed', 'failed', 'inProgress'].every((key) => isCount(summary[key]))) return 'history.summary must hold completed, failed and inProgress counts';
  for (const key of ['durationMs', 'stateSize', 'persistedBytes']) {
    const problem = rangeProblem(summary[key], `history.summary.${key}`);
    if (problem !== null) return problem;
  }
  return null;
}
