import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { ManualClock } from '../../../src/testing/index.js';
import { JobStatus } from '../../../src/core/job-status.js';
import { asJobId } from '../../../src/core/ids.js';
import { FileLockTimeoutError } from '../../../src/ha/filesystem/file-lock-timeout-error.js';
import { createHighAvailabilityServices, type HighAvailabilityServices } from '../../../src/ha/high-availability-services.js';
import { HighAvailabilityStorageError } from '../../../src/ha/high-availability-storage-error.js';
import type { LeaderSession } from '../../../src/ha/leader-session.js';
import { StaleLeaderError } from '../../../src/ha/stale-leader-error.js';
import { CorruptStateError } from '../../../src/storage/corrupt-state-error.js';
import { FileSystemCheckpointStorage } from '../../../src/storage/filesystem-checkpoint-storage.js';
import { aCheckpoint } from '../../support/checkpoint-fixtures.js';
import { rejectionOf } from '../../support/rejection-of.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../../support/temporary-directory.js';
import { LEASE } from '../support/ha-modes.js';
import { RecordingContender } from '../support/recording-contender.js';
import { runFileSystemChild } from '../support/run-child.js';

describe('the filesystem high-availability mode', () => {
  let directory: string;
  let opened: HighAvailabilityServices[];

  beforeEach(async () => {
    directory = await createTemporaryDirectory();
    opened = [];
  });
  afterEach(async () => {
    for (const services of opened) await services.close();
    await removeTemporaryDirectory(directory);
  });

  async function services(options: { checkpointDirectory?: string; lockTimeout?: number } = {}): Promise<HighAvailabilityServices> {
    const created = await createHighAvailabilityServices({ mode: 'filesystem', directory: join(directory, 'ha'), clock: new ManualClock(), ...LEASE, ...options });
    opened.push(created);
    return created;
  }

  async function leaderOf(instance: HighAvailabilityServices, scope = 'cluster'): Promise<LeaderSession> {
    const contender = new RecordingContender();
    await instance.createLeaderElection(scope).start(contender);
    if (contender.session === null) throw new Error('expected to lead');
    return contender.session;
  }

  it('keeps its records where the layout says, with no temporary file left behind', async () => {
    const instance = await services();
    const session = await leaderOf(instance);
    await instance.checkpointRecovery('job-1').createCheckpointIDCounter(session).getAndIncrement();
    const store = await instance.checkpointRecovery('job-1').createCompletedCheckpointStore({ session, maxRetained: 1 });
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
    await instance.jobGraphStore.putJobGraph(session, 'job-1', {});
    const ha = join(directory, 'ha');
    expect((await readdir(join(ha, 'leases'))).sort()).to.deep.equal(['cluster.lease']);
    expect((await readdir(join(ha, 'jobs', 'job-1'))).sort()).to.deep.equal(['checkpoint-id-counter', 'completed-checkpoints']);
    expect((await readdir(join(ha, 'jobs', 'job-1', 'completed-checkpoints'))).sort()).to.deep.equal(['1.checkpoint', 'index']);
    expect(await readdir(join(ha, 'job-graphs'))).to.deep.equal(['job-1.graph']);
  });

  describe('refuses damaged records, naming the file', () => {
    async function withRecords() {
      const instance = await services();
      const session = await leaderOf(instance);
      const store = await instance.checkpointRecovery('job-1').createCompletedCheckpointStore({ session, maxRetained: 2 });
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
      await instance.jobGraphStore.putJobGraph(session, 'job-1', { tasks: ['a'] });
      return { instance, session };
    }

    async function flipAByte(path: string, marker: string): Promise<void> {
      const text = await readFile(path, 'utf8');
      const at = text.indexOf(marker);
      if (at < 0) throw new Error(`${marker} not found in ${path}`);
      await writeFile(path, `${text.slice(0, at)}${marker.toUpperCase()}${text.slice(at + marker.length)}`);
    }

    it('a completed checkpoint entry whose bytes changed', async () => {
      const { instance, session } = await withRecords();
      const path = join(directory, 'ha', 'jobs', 'job-1', 'completed-checkpoints', '1.checkpoint');
      await flipAByte(path, 'checkpoint');
      const error = await rejectionOf(instance.checkpointRecovery('job-1').createCompletedCheckpointStore({ session, maxRetained: 2 }));
      expect(error).to.be.instanceOf(CorruptStateError).with.property('path', path);
      expect(error.message).to.include('the entry file does not match the checksum the index recorded for checkpoint 1');
    });

    it('a truncated completed checkpoint index', async () => {
      const { instance, session } = await withRecords();
      const path = join(directory, 'ha', 'jobs', 'job-1', 'completed-checkpoints', 'index');
      await writeFile(path, (await readFile(path, 'utf8')).slice(0, 30));
      const error = await rejectionOf(instance.checkpointRecovery('job-1').createCompletedCheckpointStore({ session, maxRetained: 2 }));
      expect(error).to.be.instanceOf(CorruptStateError).with.property('path', path);
      expect(error.message).to.include('is not valid JSON (truncated?)');
    });

    it('a job graph whose payload no longer matches its checksum', async () => {
      const { instance } = await withRecords();
      const path = join(directory, 'ha', 'job-graphs', 'job-1.graph');
      await flipAByte(path, 'tasks');
      const error = await rejectionOf(instance.jobGraphStore.recoverJobGraph('job-1'));
      expect(error).to.be.instanceOf(CorruptStateError).with.property('path', path);
      expect(error.message).to.include('the high-availability record failed its checksum');
    });

    it('a lease of an unknown format version (the election reports it and takes nothing over)', async () => {
      const { instance } = await withRecords();
      const path = join(directory, 'ha', 'leases', 'cluster.lease');
      await writeFile(path, (await readFile(path, 'utf8')).replace('"formatVersion":1', '"formatVersion":7'));
      const contender = new RecordingContender();
      await instance.createLeaderElection('cluster').start(contender);
      expect(contender.calls).to.deep.equal([]);
      const reported = contender.errors[0];
      expect(reported).to.be.instanceOf(CorruptStateError).with.property('path', path);
      expect((reported as Error).message).to.include('unsupported high-availability record format version 7; this build reads version 1');
    });
  });

  it('never recovers a checkpoint a stale leader completed after losing leadership, even with its metadata on disk', async () => {
    const storage = new FileSystemCheckpointStorage(join(directory, 'checkpoints'));
    const oldInstance = await services();
    const oldSession = await leaderOf(oldInstance);
    const oldStore = await oldInstance.checkpointRecovery('job-1').createCompletedCheckpointStore({ session: oldSession, maxRetained: 2 });
    for (const id of [1, 2]) await oldStore.addCheckpointAndSubsumeOldestOne(aCheckpoint(id, { externalPointer: await storage.writeMetadata(aCheckpoint(id)) }));

    const newInstance = await services();
    const newContender = new RecordingContender();
    const newElection = newInstance.createLeaderElection('cluster');
    await newElection.start(newContender);
    await oldInstance.close(); // releases: the new contender takes over at its next check
    await newElection.checkNow();
    const newSession = newContender.session!;

    // The old leader wakes up and completes checkpoint 3: its metadata reaches the checkpoint directory, its add is fenced off.
    const pointer = await storage.writeMetadata(aCheckpoint(3));
    expect(await rejectionOf(oldStore.addCheckpointAndSubsumeOldestOne(aCheckpoint(3, { externalPointer: pointer })))).to.be.instanceOf(StaleLeaderError);
    expect(await storage.listMetadata(asJobId('job-1'))).to.deep.equal(['job-1/chk-1/_metadata', 'job-1/chk-2/_metadata', 'job-1/chk-3/_metadata']);

    const recovered = await newInstance.checkpointRecovery('job-1').createCompletedCheckpointStore({ session: newSession, maxRetained: 2 });
    expect(recovered.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId)).to.deep.equal([1, 2]);
  });

  it('continues the id counter above every chk-<id> directory of the checkpoint directory', async () => {
    const checkpointDirectory = join(directory, 'checkpoints');
    await mkdir(join(checkpointDirectory, 'job-1', 'chk-41'), { recursive: true });
    await mkdir(join(checkpointDirectory, 'job-1', 'chk-7'), { recursive: true });
    const instance = await services({ checkpointDirectory });
    const session = await leaderOf(instance);
    const counter = instance.checkpointRecovery('job-1').createCheckpointIDCounter(session);
    expect(await counter.get()).to.equal(42);
    expect(await counter.getAndIncrement()).to.equal(42);
    await counter.shutdown(JobStatus.FINISHED);
    await mkdir(join(checkpointDirectory, 'job-1', 'chk-42'), { recursive: true });
    expect(await instance.checkpointRecovery('job-1').createCheckpointIDCounter(session).getAndIncrement()).to.equal(43);
  });

  it('takes over at once from a leader whose process died, without waiting for the lease', async () => {
    const child = await runFileSystemChild(['lead', join(directory, 'ha'), 'cluster']);
    expect(child.signal).to.equal('SIGKILL');
    expect(JSON.parse(child.stdout)).to.deep.include({ scope: 'cluster', generation: 1 });
    const contender = new RecordingContender();
    await (await services()).createLeaderElection('cluster').start(contender);
    expect(contender.calls).to.deep.equal(['grant(2)']);
  });

  it('never hands out an id twice to several processes incrementing at once', async () => {
    const instance = await services();
    const session = await leaderOf(instance);
    const runs = await Promise.all([1, 2, 3].map(() => runFileSystemChild(['increment', join(directory, 'ha'), JSON.stringify(session), '10'])));
    for (const run of runs) expect(run.code, run.stderr).to.equal(0);
    const ids = runs.flatMap((run) => JSON.parse(run.stdout) as number[]).sort((a, b) => a - b);
    expect(ids).to.deep.equal(Array.from({ length: 30 }, (_, index) => index + 1));
  });

  describe('lock files', () => {
    const lockPath = (): string => join(directory, 'ha', 'leases', 'cluster.lock');
    const lockOf = (pid: number, startTime: string | null): string =>
      JSON.stringify({ holder: { pid, startTime, bootId: null, instanceId: 'elsewhere' }, nonce: 'seen' });

    it('breaks a lock left by a process that died', async () => {
      const instance = await services();
      const dead = await runFileSystemChild(['increment', join(directory, 'other'), JSON.stringify({ scope: 'x', generation: 1, contenderId: 'y' }), '0']);
      await writeFile(lockPath(), lockOf(dead.pid, null));
      const contender = new RecordingContender();
      await instance.createLeaderElection('cluster').start(contender);
      expect(contender.calls).to.deep.equal(['grant(1)']);
    });

    it('never breaks a lock whose holder lives: the write fails after lockTimeout, naming the holder', async () => {
      const instance = await services({ lockTimeout: 50 });
      await writeFile(lockPath(), lockOf(process.ppid, null));
      const contender = new RecordingContender();
      await instance.createLeaderElection('cluster').start(contender);
      expect(contender.calls).to.deep.equal([]);
      const error = contender.errors[0];
      expect(error).to.be.instanceOf(HighAvailabilityStorageError);
      const cause = (error as HighAvailabilityStorageError).cause;
      expect(cause).to.be.instanceOf(FileLockTimeoutError);
      expect((cause as Error).message).to.equal(
        `the lock file ${lockPath()} is still held by live process ${process.ppid} after 50 ms; it is never broken while its holder lives (a stopped process blocks it): resume or end that process`,
      );
    });
  });
});
