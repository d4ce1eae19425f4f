import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { asCheckpointId } from '../src/core/ids.js';
import { SharedStateRegistry } from '../src/state/shared-state-registry.js';
import { sharedStateRegistryKey, type SharedStateRegistryKey } from '../src/state/shared-state-registry-key.js';
import type { FileStateHandle, PlaceholderStreamStateHandle } from '../src/state/state-handles.js';

const LIVE_KEYS = 1_000_000;
const BACKENDS = 16;
const ROUNDS = 3;

/**
 * Throughput of SharedStateRegistry.register + unregister with 1,000,000 live keys. Every key starts out
 * referenced by two checkpoints; each timed round then registers every key for a new checkpoint (by
 * placeholder) and unregisters it from the oldest one, as subsumption does, so the live key count stays
 * constant. Each register and each unregister counts as one operation.
 */
export async function benchRegistry(): Promise<{ liveKeys: number; opsPerSecond: number }> {
  let discarded = 0;
  const registry = new SharedStateRegistry(() => { discarded++; });
  const keys: SharedStateRegistryKey[] = new Array<SharedStateRegistryKey>(LIVE_KEYS);
  const keyGroupsPerBackend = 128;
  for (let i = 0; i < LIVE_KEYS; i++) {
    const backend = i % BACKENDS;
    const range = { start: backend * keyGroupsPerBackend, end: (backend + 1) * keyGroupsPerBackend - 1 };
    const key = sharedStateRegistryKey(`6f1c2e0a-0000-4000-8000-${backend.toString().padStart(12, '0')}`, range, `sst-${i}`);
    keys[i] = key;
    const handle: FileStateHandle = { kind: 'file', path: `job-1/shared/${i}.sst`, size: 4096, checksum: 'ab'.repeat(32) };
    registry.register(key, handle, asCheckpointId(1));
    registry.register(key, handle, asCheckpointId(2));
  }
  const placeholder: PlaceholderStreamStateHandle = { kind: 'placeholder', size: 4096 };

  let operations = 0;
  const startedAt = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    const added = asCheckpointId(3 + round);
    const subsumed = asCheckpointId(1 + round);
    for (let i = 0; i < LIVE_KEYS; i++) {
      const key = keys[i] as SharedStateRegistryKey;
      registry.register(key, placeholder, added);
      registry.unregister(key, subsumed);
    }
    operations += 2 * LIVE_KEYS;
  }
  const elapsedMs = performance.now() - startedAt;

  if (registry.size !== LIVE_KEYS || discarded !== 0) {
    throw new Error(`registry bench broke its own setup: ${registry.size} live keys, ${discarded} discarded`);
  }
  return { liveKeys: registry.size, opsPerSecond: Math.round(operations / (elapsedMs / 1000)) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { liveKeys, opsPerSecond } = await benchRegistry();
  console.log(`registry ops/s live=${liveKeys} ${opsPerSecond}`);
}
