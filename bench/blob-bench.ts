import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BlobStore } from '../src/blob/blob-store.js';
import { FileSystemBlobHaCopy } from '../src/blob/filesystem-blob-ha-copy.js';
import { QUICK_BENCH } from './quick-mode.js';

const MIB = 1024 * 1024;
const ROUNDS = 3;

export interface BlobBenchResult {
  readonly sizeMiB: number;
  /** Plain copy time divided by the blob operation's time: the blob operation's throughput relative to a copy (higher is better). */
  readonly putRatio: number;
  readonly getRatio: number;
  readonly fetchRatio: number;
  readonly copyMBps: number;
  readonly putMBps: number;
  readonly getMBps: number;
  readonly fetchMBps: number;
}

/**
 * Blob store throughput against a plain durable file copy (`copyFile` + fsync) of the same bytes, on this machine's
 * disk, with the filesystem HA copy: `put` (hash, temporary file, HA copy, both fsynced, rename), `get` of a local
 * copy (read and verify the SHA-256), and a fetch (get after the local copy was lost: stream from the HA copy, hash,
 * fsync, rename). Median of {@link ROUNDS}.
 */
export async function benchBlobStore(sizeMiB = QUICK_BENCH ? 16 : 256): Promise<BlobBenchResult> {
  const directory = await mkdtemp(join(tmpdir(), 'nact-checkpoint-blob-bench-'));
  try {
    const source = join(directory, 'source.bin');
    await writeFile(source, randomBytes(sizeMiB * MIB));
    const store = await BlobStore.open({ localDirectory: join(directory, 'local'), haCopy: await FileSystemBlobHaCopy.open(join(directory, 'ha')) });
    const copies: number[] = [];
    const puts: number[] = [];
    const gets: number[] = [];
    const fetches: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const target = join(directory, `copy-${round}.bin`);
      copies.push(await timed(async () => {
        await copyFile(source, target);
        const handle = await open(target, 'r+');
        await handle.sync();
        await handle.close();
      }));
      await rm(target);
      const job = `job-${round}`;
      let key = '';
      puts.push(await timed(async () => {
        key = await store.putFile(job, source);
      }));
      gets.push(await timed(() => store.get(job, key)));
      await rm(join(store.localDirectory, 'jobs', job, key));
      fetches.push(await timed(() => store.get(job, key)));
      await store.cleanupJob(job);
    }
    const copy = median(copies);
    const mbps = (ms: number): number => (sizeMiB * MIB) / 1e6 / (ms / 1000);
    return {
      sizeMiB,
      putRatio: copy / median(puts),
      getRatio: copy / median(gets),
      fetchRatio: copy / median(fetches),
      copyMBps: mbps(copy),
      putMBps: mbps(median(puts)),
      getMBps: mbps(median(gets)),
      fetchMBps: mbps(median(fetches)),
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchBlobStore();
  console.log(JSON.stringify(result, null, 2));
}
