import { pathToFileURL } from 'node:url';
import { asCheckpointId, asJobId, type JobId } from '../src/core/ids.js';
import type { JsonValue } from '../src/core/json.js';
import { HeapKeyedStateBackend, SnapshotStrategy } from '../src/backend/heap-keyed-state-backend.js';
import { KeyGroupRanges } from '../src/state/key-groups.js';
import type { CheckpointStorage } from '../src/storage/checkpoint-storage.js';
import { InMemoryCheckpointStorage } from '../src/storage/in-memory-checkpoint-storage.js';

const KEYS = 100_000;
const CHANGED_FRACTION = 0.01;
const NUMBER_OF_KEY_GROUPS = 128;
const JOB: JobId = asJobId('bench-job');

/** A JSON value of 50 to 100 bytes, different for every (key, version). */
function valueOf(index: number, version: number): JsonValue {
  const padding = 'x'.repeat((index * 7 + version * 13) % 40);
  return { user: `user-${index}`, visits: index * 3 + version, lastSeen: 1_700_000_000_000 + index, note: padding };
}

async function bytesOfFiles(storage: CheckpointStorage): Promise<Map<string, number>> {
  return new Map((await storage.listFiles(JOB)).map((file) => [file.path, file.size]));
}

/**
 * How much an incremental snapshot writes compared with a full one when 1% of 100,000 keys changed: a backend
 * takes a first incremental snapshot (the whole state), that checkpoint is confirmed, 1% of the keys get new
 * values, and a second incremental snapshot is taken. `incrementalBytes` is what the second snapshot wrote (the
 * new shared files it uploaded plus its inline meta stream); `fullBytes` is the size of a full-strategy snapshot
 * of the same state.
 */
export async function benchIncrementalRatio(): Promise<{ changedFraction: number; ratio: number; fullBytes: number; incrementalBytes: number }> {
  const common = { jobId: JOB, keyGroupRange: KeyGroupRanges.of(0, NUMBER_OF_KEY_GROUPS - 1), numberOfKeyGroups: NUMBER_OF_KEY_GROUPS };
  const incrementalStorage = new InMemoryCheckpointStorage();
  const incremental = new HeapKeyedStateBackend({ ...common, storage: incrementalStorage, strategy: SnapshotStrategy.INCREMENTAL });
  for (let i = 0; i < KEYS; i += 1) incremental.put(`user-${i}`, valueOf(i, 0));
  await incremental.snapshot(asCheckpointId(1));
  incremental.notifyCheckpointComplete(asCheckpointId(1));

  const stride = Math.round(1 / CHANGED_FRACTION);
  let changed = 0;
  for (let i = 0; i < KEYS; i += stride) {
    incremental.put(`user-${i}`, valueOf(i, 1));
    changed += 1;
  }
  const before = await bytesOfFiles(incrementalStorage);
  const { jobManagerOwnedSnapshot: second } = await incremental.snapshot(asCheckpointId(2));
  const after = await bytesOfFiles(incrementalStorage);
  let incrementalBytes = 0;
  for (const [path, size] of after) if (!before.has(path)) incrementalBytes += size;
  if (second.kind === 'incremental' && second.metaState.kind === 'bytes') incrementalBytes += second.metaState.size;

  const fullStorage = new InMemoryCheckpointStorage();
  const full = new HeapKeyedStateBackend({ ...common, storage: fullStorage, strategy: SnapshotStrategy.FULL });
  for (const [key, value] of incremental.entries()) full.put(key, value);
  await full.snapshot(asCheckpointId(2));
  const fullBytes = [...(await bytesOfFiles(fullStorage)).values()].reduce((sum, size) => sum + size, 0);

  if (full.size !== KEYS || changed !== KEYS * CHANGED_FRACTION || incrementalBytes === 0) {
    throw new Error(`incremental bench broke its own setup: ${full.size} keys, ${changed} changed, ${incrementalBytes} incremental bytes`);
  }
  return { changedFraction: changed / KEYS, ratio: incrementalBytes / fullBytes, fullBytes, incrementalBytes };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { changedFraction, ratio } = await benchIncrementalRatio();
  console.log(`ratio incremental/full changed=${Math.round(changedFraction * 100)}% ${ratio.toFixed(4)}`);
}
