import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobCorruptedError } from '../../src/blob/blob-corrupted-error.js';
import { BlobFetchFailedError } from '../../src/blob/blob-fetch-failed-error.js';
import { BlobHaCopyWriteError } from '../../src/blob/blob-ha-copy-write-error.js';
import { BlobJobRunningError } from '../../src/blob/blob-job-running-error.js';
import { BlobNotFoundError } from '../../src/blob/blob-not-found-error.js';
import { BlobStore } from '../../src/blob/blob-store.js';
import type { BlobStoreEvent } from '../../src/blob/blob-store-event.js';
import type { BlobStoreOptions } from '../../src/blob/blob-store-options.js';
import { InvalidBlobKeyError } from '../../src/blob/invalid-blob-key-error.js';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { rejectionOf } from '../support/rejection-of.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { blobHaModes, type BlobHaUnderTest } from './support/blob-modes.js';
import { RecordingManualClock } from './support/clock-driver.js';
import { FailingWriteBlobHaCopy } from './support/failing-write-blob-ha-copy.js';
import { FlakyReadBlobHaCopy } from './support/flaky-read-blob-ha-copy.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const CONFIG = text('{"windowSize": 60, "threshold": 0.25}');
const MISSING = 'f'.repeat(64);

/** A content stream that delivers some bytes and then fails, like a client whose upload broke off. */
async function* breaksOffAfter(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
  throw new Error('the uploading client went away');
}

/** Every file under a directory, relative to it (temporary files included). */
async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(directory.length + 1)).sort();
}

describe('BlobStore', () => {
  let directory: string;
  const stores: BlobStore[] = [];
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
  });
  afterEach(async () => {
    stores.length = 0;
    await removeTemporaryDirectory(directory);
  });

  async function openStore(options: Partial<BlobStoreOptions> = {}, name = 'jm-a'): Promise<BlobStore> {
    const store = await BlobStore.open({ localDirectory: join(directory, name), fetchRetries: 0, ...options });
    stores.push(store);
    return store;
  }

  describe('in every mode (none, filesystem, postgres)', () => {
    for (const mode of ['none', ...blobHaModes.map((candidate) => candidate.name)] as const) {
      describe(`mode ${mode}`, () => {
        let ha: BlobHaUnderTest | null;
        beforeEach(async () => {
          ha = mode === 'none' ? null : await (blobHaModes.find((candidate) => candidate.name === mode) as (typeof blobHaModes)[number]).create(directory);
        });
        afterEach(async () => ha?.dispose());

        const open = async (options: Partial<BlobStoreOptions> = {}, name = 'jm-a'): Promise<BlobStore> => openStore({ haCopy: ha === null ? null : await ha.open(), ...options }, name);

        it('put returns the SHA-256 of the content as key; get returns a verified file with the content, getBytes the bytes', async () => {
          const store = await open();
          const key = await store.put('job-1', CONFIG);
          expect(key).to.equal(sha256(CONFIG));
          const path = await store.get('job-1', key);
          expect(path).to.equal(join(store.localDirectory, 'jobs', 'job-1', key));
          expect(new Uint8Array(await readFile(path))).to.deep.equal(CONFIG);
          expect(await store.getBytes('job-1', key)).to.deep.equal(CONFIG);
          if (ha !== null) expect(await ha.holds('job-1', key)).to.equal(true);
        });

        it('streams content given as an async iterable, and a file', async () => {
          const store = await open();
          const chunks = async function* () {
            yield text('{"windowSize": 60, ');
            yield '"threshold": 0.25}';
          };
          expect(await store.put('job-1', chunks())).to.equal(sha256(CONFIG));
          const file = join(directory, 'reference.json');
          await writeFile(file, CONFIG);
          expect(await store.putFile('job-1', file)).to.equal(sha256(CONFIG));
        });

        it('scopes blobs by job: the same content in two jobs is two entries, and cleaning up one job leaves the other', async () => {
          const store = await open();
          const key = await store.put('job-1', CONFIG);
          expect(await store.put('job-2', CONFIG)).to.equal(key);
          await store.cleanupJob('job-1');
          expect(await rejectionOf(store.get('job-1', key))).to.be.instanceOf(BlobNotFoundError);
          expect(await store.getBytes('job-2', key)).to.deep.equal(CONFIG);
          if (ha !== null) expect([await ha.holds('job-1', key), await ha.holds('job-2', key)]).to.deep.equal([false, true]);
        });

        it('gives a not-found error naming the key and where it looked for a blob never put', async () => {
          const store = await open();
          const error = await rejectionOf(store.get('job-1', MISSING));
          expect(error).to.be.instanceOf(BlobNotFoundError);
          expect(error.message).to.include(`blob ${MISSING} of job job-1 not found (looked in ${store.localDirectory}`);
          if (ha !== null) expect(error.message).to.include(` and ${store.haCopy?.description})`);
        });

        it('refuses malformed keys and job ids, naming them', async () => {
          const store = await open();
          expect(await rejectionOf(store.get('job-1', '../../etc/passwd'))).to.be.instanceOf(InvalidBlobKeyError)
            .and.to.have.property('message').that.includes('invalid blob key "../../etc/passwd"');
          const error = await rejectionOf(store.put('../job', CONFIG));
          expect(error).to.be.instanceOf(InvalidOptionError);
          expect(error.message).to.include('BlobStore.put: jobId must be letters');
        });

        it('delete is idempotent and removes the blob everywhere', async () => {
          const store = await open();
          const key = await store.put('job-1', CONFIG);
          await store.delete('job-1', key);
          await store.delete('job-1', key);
          await store.delete('job-1', MISSING);
          expect(await rejectionOf(store.get('job-1', key))).to.be.instanceOf(BlobNotFoundError);
          if (ha !== null) expect(await ha.holds('job-1', key)).to.equal(false);
        });

        it('never removes a blob of a running job', async () => {
          const store = await open();
          const key = await store.put('job-1', CONFIG);
          store.markJobRunning('job-1');
          const refused = await rejectionOf(store.delete('job-1', key));
          expect(refused).to.be.instanceOf(BlobJobRunningError);
          expect(refused.message).to.equal('BlobStore.delete: job job-1 is running, and the blobs of a running job are never removed; mark it stopped (markJobStopped) once it has ended');
          expect(await rejectionOf(store.cleanupJob('job-1'))).to.be.instanceOf(BlobJobRunningError);
          expect(await store.getBytes('job-1', key)).to.deep.equal(CONFIG);
          store.markJobStopped('job-1');
          await store.cleanupJob('job-1');
          expect(await rejectionOf(store.get('job-1', key))).to.be.instanceOf(BlobNotFoundError);
        });

        it('asks isJobRunning before removing, for jobs running elsewhere', async () => {
          const running = new Set(['job-1']);
          const store = await open({ isJobRunning: async (jobId) => running.has(jobId) });
          const key = await store.put('job-1', CONFIG);
          expect(await rejectionOf(store.cleanupJob('job-1'))).to.be.instanceOf(BlobJobRunningError);
          running.clear();
          await store.cleanupJob('job-1');
          expect(await rejectionOf(store.get('job-1', key))).to.be.instanceOf(BlobNotFoundError);
        });

        it('a put whose content breaks off leaves no file anywhere', async () => {
          const store = await open();
          const error = await rejectionOf(store.put('job-1', breaksOffAfter(CONFIG)));
          expect(error.message).to.equal('the uploading client went away');
          expect(await filesUnder(join(store.localDirectory, 'jobs'))).to.deep.equal([]);
          if (ha !== null) expect(await ha.holds('job-1', sha256(CONFIG))).to.equal(false);
        });

        it('a store reopened over the same directory (a restarted process) finds its blobs and drops interrupted writes', async () => {
          const before = await open();
          const key = await before.put('job-1', CONFIG);
          await writeFile(join(before.localDirectory, 'jobs', 'job-1', '.tmp-0123abcd'), 'half a blob');
          const after = await open();
          expect(await after.getBytes('job-1', key)).to.deep.equal(CONFIG);
          expect(await filesUnder(join(after.localDirectory, 'jobs'))).to.deep.equal([join('job-1', key)]);
        });
      });
    }
  });

  describe('without an HA copy', () => {
    it('deletes a corrupted local copy and reports data corruption naming the key, as there is nothing to fetch it from', async () => {
      const store = await openStore();
      const key = await store.put('job-1', CONFIG);
      const path = join(store.localDirectory, 'jobs', 'job-1', key);
      await writeFile(path, 'bit rot');
      const error = await rejectionOf(store.get('job-1', key));
      expect(error).to.be.instanceOf(BlobCorruptedError);
      expect(error).to.deep.include({ key, copy: 'local', location: path });
      expect(error.message).to.include(`data corruption: the local copy of blob ${key} of job job-1`);
      expect(await stat(path).then(() => true, () => false)).to.equal(false);
    });
  });

  for (const mode of blobHaModes) {
    describe(`with an HA copy (${mode.name})`, () => {
      let ha: BlobHaUnderTest;
      let events: BlobStoreEvent[];
      beforeEach(async () => {
        ha = await mode.create(directory);
        events = [];
      });
      afterEach(() => ha.dispose());

      const open = async (options: Partial<BlobStoreOptions> = {}, name = 'jm-a'): Promise<BlobStore> =>
        openStore({ haCopy: await ha.open(), onEvent: (event) => events.push(event), ...options }, name);

      it('a put succeeds only once the HA copy is written: a failed HA write fails the put and leaves no copy anywhere', async () => {
        const failing = new FailingWriteBlobHaCopy(await ha.open());
        const store = await open({ haCopy: failing });
        const error = await rejectionOf(store.put('job-1', CONFIG));
        expect(error).to.be.instanceOf(BlobHaCopyWriteError);
        expect(error.message).to.equal(
          `blob ${sha256(CONFIG)} of job job-1 was not stored: its HA copy in ${failing.description} could not be written ` +
            '(ECONNRESET: the connection to the HA copy was lost mid-upload); no copy was kept locally either, so retry the put',
        );
        expect(await filesUnder(join(store.localDirectory, 'jobs'))).to.deep.equal([]);
        expect(await ha.holds('job-1', sha256(CONFIG))).to.equal(false);
        if (mode.name === 'filesystem') expect(await filesUnder(join(directory, 'ha', 'jobs'))).to.deep.equal([]);
        failing.failing = false;
        expect(await store.put('job-1', CONFIG)).to.equal(sha256(CONFIG));
        expect(await ha.holds('job-1', sha256(CONFIG))).to.equal(true);
      });

      it('a corrupted local copy is detected, deleted, fetched again from the HA copy and reported', async () => {
        const store = await open();
        const key = await store.put('job-1', CONFIG);
        const path = join(store.localDirectory, 'jobs', 'job-1', key);
        await writeFile(path, 'bit rot');
        expect(await store.get('job-1', key)).to.equal(path);
        expect(new Uint8Array(await readFile(path))).to.deep.equal(CONFIG);
        expect(events).to.deep.equal([{ type: 'local-copy-repaired', jobId: 'job-1', key, path, problem: `its 7 bytes hash to ${sha256(text('bit rot'))}` }]);
        expect(store.stats).to.deep.include({ localCopiesRepaired: 1, fetches: 1 });
      });

      it('a missing local copy (a lost disk) is fetched from the HA copy', async () => {
        const store = await open();
        const key = await store.put('job-1', CONFIG);
        await rm(join(store.localDirectory, 'jobs'), { recursive: true });
        await mkdir(join(store.localDirectory, 'jobs'));
        expect(await store.getBytes('job-1', key)).to.deep.equal(CONFIG);
      });

      it('a corrupted HA copy gives a data-corruption error naming the key, and nothing is kept locally', async () => {
        const store = await open();
        const key = await store.put('job-1', CONFIG);
        await ha.corrupt('job-1', key);
        await rm(join(store.localDirectory, 'jobs', 'job-1', key));
        const error = await rejectionOf(store.get('job-1', key));
        expect(error).to.be.instanceOf(BlobCorruptedError);
        expect(error).to.deep.include({ key, copy: 'ha', location: store.haCopy?.description });
        expect(error.message).to.match(new RegExp(`^data corruption: the HA copy of blob ${key} of job job-1 in .* is corrupted \\(its ${CONFIG.byteLength} bytes hash to [0-9a-f]{64}\\); put the content again or restore the HA copy from a backup$`));
        expect(await filesUnder(join(store.localDirectory, 'jobs'))).to.deep.equal([]);
      });

      it('retries failed fetches with exponential backoff on the injected clock, then serves the blob', async () => {
        const clock = new RecordingManualClock();
        const flaky = new FlakyReadBlobHaCopy(await ha.open(), 3);
        const store = await open({ haCopy: flaky, clock, fetchRetries: 3, initialRetryBackoff: 100, maxRetryBackoff: 250 });
        const key = await store.put('job-1', CONFIG);
        await rm(join(store.localDirectory, 'jobs', 'job-1', key));
        expect(new Uint8Array(await readFile(await clock.drive(store.get('job-1', key))))).to.deep.equal(CONFIG);
        expect(clock.delays).to.deep.equal([100, 200, 250]);
        expect(flaky.reads).to.equal(4);
        expect(events.map((event) => event.type === 'fetch-retry' && [event.attempt, event.backoffMs])).to.deep.equal([[1, 100], [2, 200], [3, 250]]);
        expect(store.stats).to.deep.include({ fetches: 1, failedFetchAttempts: 3 });
        expect(await filesUnder(join(store.localDirectory, 'jobs'))).to.deep.equal([join('job-1', key)]);
      });

      it('gives up after the configured retries with an error saying how many attempts were made and the last cause', async () => {
        const clock = new RecordingManualClock();
        const flaky = new FlakyReadBlobHaCopy(await ha.open(), 10);
        const store = await open({ haCopy: flaky, clock, fetchRetries: 2, initialRetryBackoff: 10 });
        const key = await store.put('job-1', CONFIG);
        await rm(join(store.localDirectory, 'jobs', 'job-1', key));
        const error = await rejectionOf(clock.drive(store.get('job-1', key)));
        expect(error).to.be.instanceOf(BlobFetchFailedError);
        expect(error).to.deep.include({ attempts: 3, key });
        expect(error.message).to.equal(`fetching blob ${key} of job job-1 from ${flaky.description} failed after 3 attempts; last cause: ECONNREFUSED: read 3 of blob ${key} could not reach the HA copy`);
        expect(await filesUnder(join(store.localDirectory, 'jobs'))).to.deep.equal([]);
      });

      it('two job managers sharing one HA copy each serve the other\'s blobs', async () => {
        const first = await open({}, 'jm-a');
        const second = await open({}, 'jm-b');
        const fromFirst = await first.put('job-1', CONFIG);
        const fromSecond = await second.put('job-2', text('reference data'));
        expect(await second.getBytes('job-1', fromFirst)).to.deep.equal(CONFIG);
        expect(await first.getBytes('job-2', fromSecond)).to.deep.equal(text('reference data'));
      });

      it('keeps the HA copy when a job manager gives a job up (keepHaCopy), so another can take it over', async () => {
        const first = await open({}, 'jm-a');
        const key = await first.put('job-1', CONFIG);
        await first.cleanupJob('job-1', { keepHaCopy: true });
        expect(await filesUnder(join(first.localDirectory, 'jobs'))).to.deep.equal([]);
        const standby = await open({}, 'jm-b');
        expect(await standby.getBytes('job-1', key)).to.deep.equal(CONFIG);
      });
    });
  }
});
