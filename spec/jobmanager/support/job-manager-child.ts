/**
 * A job manager process for the multi-process specs and the failover bench. Started with one JSON argument
 * (a JobManagerChildConfig), it prints one JSON object per line on stdout (pipes are written synchronously on
 * Linux, so a line printed before a SIGKILL reaches the parent) and takes JSON commands, one per line, on stdin.
 *
 * Its operator kind `generator` feeds itself: each attempt, once restored, keeps writing keys of an incremental keyed
 * state backend, and prints the digest of the state it snapshots for each checkpoint and of the state it was restored to.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { HeapKeyedStateBackend, SnapshotStrategy, type HeapKeyedStateBackendOptions } from '../../../src/backend/heap-keyed-state-backend.js';
import type { CheckpointId } from '../../../src/core/ids.js';
import type { JsonValue } from '../../../src/core/json.js';
import type { HighAvailabilityOptions } from '../../../src/ha/high-availability-options.js';
import type { LeaderSession } from '../../../src/ha/leader-session.js';
import { startJobManager, type JobManager } from '../../../src/jobmanager/job-manager.js';
import type { JobManagerEvent } from '../../../src/jobmanager/job-manager-event.js';
import type { OperatorKindFactory } from '../../../src/jobmanager/operator-kind.js';
import type { CheckpointOutcome } from '../../../src/protocol/checkpoint-outcome.js';
import { deliver } from '../../../src/task/spawn-task.js';
import type { JobManagerChildCommand, JobManagerChildConfig } from './job-manager-child-protocol.js';

// The parent may be gone (it killed us, or stopped reading): nothing to report to then.
process.stdout.on('error', () => undefined);

function print(line: Record<string, JsonValue | undefined>): void {
  process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() })}\n`);
}

/** A short digest of a backend's entries (keys sorted), so the parent can compare restored and snapshotted state. */
function digestOf(backend: HeapKeyedStateBackend): string {
  const entries = [...backend.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
}

type GeneratorMessage = { readonly epoch: number; readonly step: number };

/**
 * Writes `k<step % keys>` = step and `step` = step, one step per message, pacing itself with a timer so checkpoints
 * interleave. It starts when the attempt is deployed and again from the restored step after every restore (an epoch
 * tells the loops apart).
 */
const generator: OperatorKindFactory = (context) => {
  const keys = typeof (context.config as { keys?: unknown } | null)?.keys === 'number' ? (context.config as { keys: number }).keys : 40;
  const options: HeapKeyedStateBackendOptions = {
    jobId: context.jobId, keyGroupRange: { start: 0, end: 15 }, numberOfKeyGroups: 16, storage: context.storage, strategy: SnapshotStrategy.INCREMENTAL, maxSegments: 4,
  };
  let backend = new HeapKeyedStateBackend(options);
  let restoredKeyed = false;
  let epoch = 0;
  // A stopped attempt's messages go nowhere, so its loop ends with it.
  const next = (step: number): void => {
    const current = epoch;
    setTimeout(() => deliver<GeneratorMessage>(context.self, { epoch: current, step }), 1);
  };
  next(1);
  return {
    snapshotState: () => null,
    snapshotKeyedState: async (checkpointId: CheckpointId, snapshot) => {
      print({ e: 'snapshot', task: context.taskId, id: checkpointId, digest: digestOf(backend), full: snapshot.full, step: Number(backend.get('step') ?? 0) });
      return [(await backend.snapshot(checkpointId, snapshot)).jobManagerOwnedSnapshot];
    },
    restoreKeyedState: async (handles) => {
      backend = await HeapKeyedStateBackend.restore(options, handles);
      restoredKeyed = true;
    },
    restoreState: (_state, checkpointId) => {
      if (!restoredKeyed) backend = new HeapKeyedStateBackend(options);
      restoredKeyed = false;
      print({ e: 'restored', task: context.taskId, id: checkpointId, digest: digestOf(backend), step: Number(backend.get('step') ?? 0) });
      epoch += 1;
      next(Number(backend.get('step') ?? 0) + 1);
    },
    notifyCheckpointComplete: (checkpointId) => backend.notifyCheckpointComplete(checkpointId),
    notifyCheckpointAborted: (checkpointId) => backend.notifyCheckpointAborted(checkpointId),
    onMessage: (message: GeneratorMessage) => {
      if (message.epoch !== epoch) return;
      backend.put(`k${message.step % keys}`, message.step);
      backend.put('step', message.step);
      next(message.step + 1);
    },
  };
};

/** The leadership each job was last started with here. */
const lastSessions = new Map<string, LeaderSession>();

function report(event: JobManagerEvent): void {
  if (event.type === 'job-started') lastSessions.set(event.jobId, event.session);
  if (event.type !== 'coordinator-event') {
    print({ e: event.type, ...(event as unknown as Record<string, JsonValue>) });
    return;
  }
  const inner = event.event;
  switch (inner.type) {
    case 'checkpoint-triggered': return print({ e: 'triggered', id: inner.checkpointId, savepoint: inner.savepoint });
    case 'checkpoint-completed': return print({ e: 'completed', id: inner.checkpoint.checkpointId, type: inner.checkpoint.properties.type });
    case 'checkpoint-failed': return print({ e: 'checkpoint-failed', id: inner.checkpointId, reason: inner.reason, message: inner.message });
    case 'state-restored': return print({ e: 'state-restored', id: inner.checkpointId });
    default: return print({ e: `coordinator-${inner.type}`, detail: JSON.stringify(inner) });
  }
}

function outcomeLine(outcome: CheckpointOutcome): Record<string, JsonValue> {
  return outcome.status === 'completed'
    ? { status: 'completed', id: outcome.checkpoint.checkpointId, path: outcome.savepointPath ?? null }
    : { status: 'failed', id: outcome.checkpointId, message: outcome.message };
}

const config = JSON.parse(process.argv[2] as string) as JobManagerChildConfig;
let ha: HighAvailabilityOptions = config.ha;
let pool: pg.Pool | null = null;
if (config.ha.mode === 'postgres' && config.ha.applicationName !== undefined) {
  const { applicationName, connectionString, ...rest } = config.ha;
  pool = new pg.Pool({ connectionString, application_name: applicationName, max: 4, connectionTimeoutMillis: 5_000 });
  pool.on('error', (error) => print({ e: 'pool-error', message: error.message }));
  ha = { ...rest, pool };
}
const manager: JobManager = await startJobManager({ ha, operators: { generator }, onEvent: report });
print({ e: 'ready', name: config.name, instance: manager.instanceId });
if (config.submit !== null) {
  manager.submitJob(config.submit).then(
    (submitted) => print({ e: 'submitted', jobId: submitted.jobId, generation: submitted.generation }),
    (error: unknown) => print({ e: 'submit-failed', message: error instanceof Error ? error.message : String(error) }),
  );
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as JobManagerChildCommand;
  const answer = (request: Promise<CheckpointOutcome>): void => {
    request.then((outcome) => print({ e: `${command.cmd}-outcome`, ...outcomeLine(outcome) }), (error: unknown) => print({ e: `${command.cmd}-outcome`, status: 'refused', message: String(error) }));
  };
  switch (command.cmd) {
    case 'checkpoint': return answer(manager.triggerCheckpoint(command.jobId));
    case 'savepoint': return answer(manager.triggerSavepoint(command.jobId, command.targetDirectory === undefined ? {} : { targetDirectory: command.targetDirectory }));
    case 'terminate':
      manager.terminateJob(command.jobId, command.status).then(() => print({ e: 'terminate-outcome', status: 'done' }), (error: unknown) => print({ e: 'terminate-outcome', status: 'refused', message: String(error) }));
      return;
    case 'write-with-last-session': {
      const session = lastSessions.get(command.jobId);
      if (session === undefined) return print({ e: 'write-outcome', status: 'no-session' });
      void (async () => {
        const stored = await manager.ha.jobGraphStore.recoverJobGraph(command.jobId);
        await manager.ha.jobGraphStore.putJobGraph(session, command.jobId, stored?.graph ?? null);
      })().then(
        () => print({ e: 'write-outcome', status: 'written', generation: session.generation }),
        (error: unknown) => print({ e: 'write-outcome', status: 'rejected', name: error instanceof Error ? error.name : 'unknown', message: String(error) }),
      );
      return;
    }
    case 'close':
      void manager.close().then(async () => {
        await pool?.end();
        print({ e: 'closed' });
        process.exit(0);
      });
      return;
  }
});
