import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { asCheckpointId, asJobId } from '../src/core/ids.js';
import { KeyedStateWithLocalRecovery, type LocallyRecoveredBackendOptions } from '../src/local-recovery/keyed-state-with-local-recovery.js';
import { TaskLocalStateStore } from '../src/local-recovery/task-local-state-store.js';
import { SnapshotStrategy } from '../src/backend/heap-keyed-state-backend.js';
import { KeyGroupRanges } from '../src/state/key-groups.js';
import type { KeyedStateHandle } from '../src/state/state-handles.js';
import { FileSystemCheckpointStorage } from '../src/storage/filesystem-checkpoint-storage.js';
import { QUICK_BENCH } from './quick-mode.js';
import { ThrottledCheckpointStorage, type RemoteStorageCost } from './throttled-checkpoint-storage.js';

const MIB = 1024 * 1024;
const VALUE_BYTES = 1000;
const ROUNDS = 2;
/** Remote storage as the issue describes it: 5 ms per request, 100 MB/s. */
export const REMOTE_STORAGE: RemoteStorageCost = { latencyMs: 5, bytesPerSecond: 100e6 };

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

export interface LocalRecoveryResult {
  readonly stateBytes: number;
  /** Restore time from the local copy divided by restore time from the durable copy (lower is better). */
  readonly ratio: number;
  readonly localMs: number;
  readonly durableMs: number;
}

/**
 * Restore time of one task holding `stateMiB` MiB of keyed state (full snapshot, 128 key groups, ~1 KB values), from its
 * task-local copy against from the durable copy behind the remote-storage stand-in, each decode included. The task
 * snapshots once (durably and locally); then, alternately, a task restarted on the same machine restores (local copy)
 * and a task that lost its disk restores (durable copy). Best of {@link ROUNDS} each.
 */
export async function benchLocalRecovery(stateMiB = QUICK_BENCH ? 16 : 256): Promise<LocalRecoveryResult> {
  const directory = await mkdtemp(join(tmpdir(), 'nact-checkpoint-local-recovery-bench-'));
  try {
    const durable = new ThrottledCheckpointStorage(new FileSystemCheckpointStorage(join(directory, 'durable')), REMOTE_STORAGE);
    const options: LocallyRecoveredBackendOptions = {
      jobId: asJobId('bench'), keyGroupRange: KeyGroupRanges.of(0, 127), numberOfKeyGroups: 128, storage: durable, strategy: SnapshotStrategy.FULL,
    };
    const task = (localRoot: string) => TaskLocalStateStore.open({ localRootDirectory: localRoot, jobId: 'bench', taskId: 'sum-0' })
      .then((store) => new KeyedStateWithLocalRecovery(options, store));

    const handle = await snapshotState(await task(join(directory, 'local')), stateMiB);
    collectGarbage();
    let localMs = Infinity;
    let durableMs = Infinity;
    let stateBytes = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      localMs = Math.min(localMs, await timeRestore(await task(join(directory, 'local')), handle, 'task-local'));
      const lostDisk = join(directory, `lost-disk-${round}`);
      durableMs = Math.min(durableMs, await timeRestore(await task(lostDisk), handle, 'durable'));
      await rm(lostDisk, { recursive: true, force: true });
    }
    stateBytes = handle.kind === 'key-groups' && handle.stream.kind === 'file' ? handle.stream.size : 0;
    return { stateBytes, ratio: localMs / durableMs, localMs, durableMs };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

async function snapshotState(writer: KeyedStateWithLocalRecovery, stateMiB: number): Promise<KeyedStateHandle> {
  const padding = 'v'.repeat(VALUE_BYTES - 12);
  // Each entry is stored as `["<key>","<value>"],`: 7 bytes around the key and the value.
  for (let index = 0, bytes = 0; bytes < stateMiB * MIB; index += 1) {
    const key = `key-${index}`;
    writer.backend.put(key, `${index.toString(36).padStart(12, '0')}${padding}`);
    bytes += key.length + VALUE_BYTES + 7;
  }
  const handle = await writer.snapshot(asCheckpointId(1));
  await writer.notifyCheckpointComplete(asCheckpointId(1));
  return handle;
}

async function timeRestore(task: KeyedStateWithLocalRecovery, handle: KeyedStateHandle, expected: 'task-local' | 'durable'): Promise<number> {
  collectGarbage();
  const started = performance.now();
  const summary = await task.restore([handle]);
  const elapsed = performance.now() - started;
  if (summary.files.length === 0 || summary.files.some((file) => file.source !== expected)) {
    throw new Error(`the ${expected} restore read ${JSON.stringify(summary.files.map((file) => file.source))}`);
  }
  return elapsed;
}

export function formatLocalRecovery({ stateBytes, ratio, localMs, durableMs }: LocalRecoveryResult): string {
  return `ratio restore local/durable state=${Math.round(stateBytes / MIB)}MiB ${ratio.toFixed(2)}`
    + `  (local ${Math.round(localMs)} ms, durable ${Math.round(durableMs)} ms behind ${REMOTE_STORAGE.latencyMs} ms/request, ${REMOTE_STORAGE.bytesPerSecond / 1e6} MB/s)`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(formatLocalRecovery(await benchLocalRecovery()));
}
