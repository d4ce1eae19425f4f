import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { JobId } from '../core/ids.js';
import type { PlaceholderStreamStateHandle, StreamStateHandle, TaskStateSnapshot } from '../state/state-handles.js';
import { stateSizeOf } from '../state/state-size.js';
import type { CliCommand, CommandInvocation, CommandResult } from './cli-command.js';
import { CliError } from './cli-error.js';
import { CliExitCode } from './exit-code.js';
import { openJobDirectory, readRetainedCheckpoints } from './job-directory.js';
import { formatBytes, formatTable, formatTimestamp, plural } from './text-format.js';

/** Where a stored file lives in the layout: under `shared/`, under the checkpoint's own `chk-<id>/`, or `taskowned/`. */
export type FileScope = 'shared' | 'private' | 'task-owned' | 'other';

/** One state handle of a task, as `inspect --json` prints it. */
export interface InspectedHandle {
  /** Where in the task's snapshot the handle sits, e.g. `keyedState[0].sharedState[2]`. */
  readonly location: string;
  readonly kind: 'inline' | 'bytes' | 'file' | 'placeholder';
  /** The backend's own id for an incremental file (its handle id). */
  readonly handleId?: string;
  readonly path?: string;
  readonly scope?: FileScope;
  readonly size: number;
}

/** One keyed state handle of a task: which key groups it covers and, when incremental, which backend wrote it. */
export interface InspectedKeyedState {
  readonly location: string;
  readonly kind: 'key-groups' | 'incremental';
  readonly keyGroupRange: { readonly start: number; readonly end: number };
  readonly backendId?: string;
  /** For incremental state: the checkpoint whose snapshot this is. */
  readonly checkpointId?: number;
  readonly size: number;
}

/** One file the checkpoint references, with the other retained checkpoints that reference it too. */
export interface InspectedFile {
  readonly path: string;
  readonly scope: FileScope;
  readonly size: number;
  readonly alsoReferencedBy: readonly number[];
}

/** `inspect <id>`: one retained checkpoint's tasks, state handles and files, with their sizes. */
export const inspectCommand: CliCommand = {
  name: 'inspect',
  positionals: ['id'],
  summary: 'show one checkpoint: its tasks, state handles, shared and private files, sizes',
  details: ['Shared files list the other retained checkpoints that reference them too.'],
  options: {},
  needsJob: true,
  run: inspectCheckpoint,
};

async function inspectCheckpoint(invocation: CommandInvocation): Promise<CommandResult> {
  const [idText] = invocation.positionals;
  if (idText === undefined) throw new CliError(CliExitCode.USAGE, 'inspect needs the checkpoint id: nact-checkpoint inspect <id> --dir <dir> --job <id>');
  const id = Number(idText);
  if (!/^\d+$/.test(idText) || !Number.isSafeInteger(id) || id < 1) throw new CliError(CliExitCode.USAGE, `'${idText}' is not a checkpoint id: ids are integers starting at 1`);

  const job = await openJobDirectory(invocation.directory, invocation.jobId);
  const { checkpoints, unreadable } = await readRetainedCheckpoints(job);
  const damaged = unreadable.find((entry) => entry.checkpointId === id);
  if (damaged !== undefined) throw new CliError(CliExitCode.PROBLEMS_FOUND, `checkpoint ${id} cannot be read: ${damaged.path}: ${damaged.problem}`);
  const checkpoint = checkpoints.find((candidate) => candidate.checkpointId === id);
  if (checkpoint === undefined) {
    const retained = [...checkpoints.map((c) => c.checkpointId), ...unreadable.flatMap((u) => (u.checkpointId === null ? [] : [u.checkpointId]))].sort((a, b) => a - b);
    throw new CliError(CliExitCode.CHECKPOINT_NOT_FOUND, `job ${job.jobId} has no retained checkpoint ${id} (retained: ${retained.join(', ')})`);
  }

  const tasks = Object.entries(checkpoint.taskStates)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([taskId, snapshot]) => ({ taskId, stateSize: stateSizeOf(snapshot), keyedState: keyedStateOf(snapshot), handles: handlesOf(snapshot, job.jobId) }));
  const files = filesOf(checkpoint, checkpoints, tasks.flatMap((task) => task.handles));
  const metadataPath = checkpoint.externalPointer ?? '';
  const metadataSize = (await stat(join(job.directory, metadataPath))).size;
  const duration = checkpoint.completionTimestamp - checkpoint.triggerTimestamp;

  const lines = [
    `Checkpoint ${checkpoint.checkpointId} of job ${job.jobId}: ${checkpoint.properties.type}, retention ${checkpoint.properties.retention}`,
    `  triggered   ${formatTimestamp(checkpoint.triggerTimestamp)}`,
    `  completed   ${formatTimestamp(checkpoint.completionTimestamp)} (${duration} ms)`,
    `  state size  ${formatBytes(checkpoint.stateSize)} (${checkpoint.stateSize} bytes)`,
    `  metadata    ${metadataPath} (${formatBytes(metadataSize)})`,
    '',
    `Tasks: ${tasks.length}`,
    ...formatTable(
      ['task', 'state', 'kind', 'size', 'file'],
      tasks.flatMap((task) => [
        [task.taskId, '', '', formatBytes(task.stateSize), ''],
        ...task.handles.filter((handle) => handle.location === 'operatorState').map(handleRow),
        ...task.keyedState.flatMap((keyed) => [
          ['', keyed.location, keyed.kind, formatBytes(keyed.size), describeKeyedState(keyed)],
          ...task.handles.filter((handle) => handle.location.startsWith(`${keyed.location}.`)).map(handleRow),
        ]),
      ]),
      ['left', 'left', 'left', 'right', 'left'],
    ).map((line) => `  ${line}`),
    '',
    ...describeFiles(files, checkpoint.checkpointId),
  ];
  return {
    exitCode: CliExitCode.OK,
    json: {
      command: 'inspect',
      jobId: job.jobId,
      directory: resolve(job.path),
      checkpoint: {
        id: checkpoint.checkpointId,
        kind: checkpoint.properties.type,
        retention: checkpoint.properties.retention,
        triggerTimestamp: checkpoint.triggerTimestamp,
        completionTimestamp: checkpoint.completionTimestamp,
        durationMs: duration,
        stateSize: checkpoint.stateSize,
        metadata: { path: metadataPath, size: metadataSize },
      },
      tasks,
      files,
    },
    lines,
  };
}

function handlesOf(snapshot: TaskStateSnapshot, jobId: JobId): InspectedHandle[] {
  const handles: InspectedHandle[] = [];
  const stream = (location: string, handle: StreamStateHandle | PlaceholderStreamStateHandle, handleId?: string): void => {
    const id = handleId === undefined ? {} : { handleId };
    if (handle.kind === 'file') handles.push({ location, kind: 'file', ...id, path: handle.path, scope: scopeOf(handle.path, jobId), size: handle.size });
    else handles.push({ location, kind: handle.kind, ...id, size: handle.size });
  };
  const operator = snapshot.operatorState;
  if (operator !== null) {
    if (operator.kind === 'inline') handles.push({ location: 'operatorState', kind: 'inline', size: stateSizeOf({ operatorState: operator, keyedState: [] }) });
    else stream('operatorState', operator);
  }
  snapshot.keyedState.forEach((keyed, index) => {
    const at = `keyedState[${index}]`;
    if (keyed.kind === 'key-groups') {
      stream(`${at}.stream`, keyed.stream);
      return;
    }
    keyed.sharedState.forEach((reference, i) => stream(`${at}.sharedState[${i}]`, reference.handle, reference.handleId));
    keyed.privateState.forEach((reference, i) => stream(`${at}.privateState[${i}]`, reference.handle, reference.handleId));
    stream(`${at}.metaState`, keyed.metaState);
  });
  return handles;
}

function keyedStateOf(snapshot: TaskStateSnapshot): InspectedKeyedState[] {
  return snapshot.keyedState.map((keyed, index) => {
    const size = stateSizeOf({ operatorState: null, keyedState: [keyed] });
    const keyGroupRange = { start: keyed.keyGroupRange.start, end: keyed.keyGroupRange.end };
    if (keyed.kind === 'key-groups') return { location: `keyedState[${index}]`, kind: keyed.kind, keyGroupRange, size };
    return { location: `keyedState[${index}]`, kind: keyed.kind, keyGroupRange, backendId: keyed.backendId, checkpointId: keyed.checkpointId, size };
  });
}

function describeKeyedState(keyed: InspectedKeyedState): string {
  const groups = `key groups ${keyed.keyGroupRange.start}-${keyed.keyGroupRange.end}`;
  return keyed.backendId === undefined ? groups : `${groups}, backend ${keyed.backendId}, snapshot of checkpoint ${keyed.checkpointId}`;
}

function filesOf(checkpoint: CompletedCheckpoint, retained: readonly CompletedCheckpoint[], handles: readonly InspectedHandle[]): InspectedFile[] {
  const referencedBy = new Map<string, Set<number>>();
  for (const other of retained) {
    if (other.checkpointId === checkpoint.checkpointId) continue;
    for (const snapshot of Object.values(other.taskStates)) {
      for (const handle of handlesOf(snapshot, other.jobId)) {
        if (handle.path === undefined) continue;
        const ids = referencedBy.get(handle.path) ?? new Set<number>();
        ids.add(other.checkpointId);
        referencedBy.set(handle.path, ids);
      }
    }
  }
  const files = new Map<string, InspectedFile>();
  for (const handle of handles) {
    if (handle.path === undefined || files.has(handle.path)) continue;
    const also = [...(referencedBy.get(handle.path) ?? [])].sort((a, b) => a - b);
    files.set(handle.path, { path: handle.path, scope: handle.scope ?? 'other', size: handle.size, alsoReferencedBy: also });
  }
  return [...files.values()].sort((a, b) => a.path.localeCompare(b.path));
}

function describeFiles(files: readonly InspectedFile[], checkpointId: number): string[] {
  const total = files.reduce((sum, file) => sum + file.size, 0);
  const ofScope = (scope: FileScope): string => {
    const inScope = files.filter((file) => file.scope === scope);
    return `${plural(inScope.length, 'file')} (${formatBytes(inScope.reduce((sum, file) => sum + file.size, 0))})`;
  };
  const sharedWithOthers = files.filter((file) => file.scope === 'shared' && file.alsoReferencedBy.length > 0).length;
  const lines = [
    `Files: ${files.length} (${formatBytes(total)}): ${ofScope('private')} private under chk-${checkpointId}, ${ofScope('shared')} shared ` +
      `(${sharedWithOthers} also referenced by other retained checkpoints)`,
  ];
  if (files.some((file) => file.scope === 'task-owned')) lines.push(`  and ${ofScope('task-owned')} task-owned`);
  if (files.length > 0) {
    lines.push(
      ...formatTable(
        ['path', 'scope', 'size', 'also in'],
        files.map((file) => [file.path, file.scope, formatBytes(file.size), file.alsoReferencedBy.join(', ')]),
        ['left', 'left', 'right', 'left'],
      ).map((line) => `  ${line}`),
    );
  }
  return lines;
}

function handleRow(handle: InspectedHandle): string[] {
  return ['', describeLocation(handle), handle.kind, formatBytes(handle.size), handle.path ?? ''];
}

/** The handle's place in the snapshot, with its handle id unless the file is named after it (the usual case). */
function describeLocation(handle: InspectedHandle): string {
  if (handle.handleId === undefined || handle.path?.endsWith(`/${handle.handleId}`) === true) return handle.location;
  return `${handle.location} ${JSON.stringify(handle.handleId)}`;
}

function scopeOf(path: string, jobId: JobId): FileScope {
  if (path.startsWith(`${jobId}/shared/`)) return 'shared';
  if (path.startsWith(`${jobId}/taskowned/`)) return 'task-owned';
  if (path.startsWith(`${jobId}/chk-`)) return 'private';
  return 'other';
}
