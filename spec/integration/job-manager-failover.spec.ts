import { expect } from 'chai';
import pg from 'pg';
import { join } from 'node:path';
import { LeadershipLossReason } from '../../src/ha/leadership-loss-reason.js';
import type { JobDefinition } from '../../src/jobmanager/job-definition.js';
import type { JobManagerChildConfig } from '../jobmanager/support/job-manager-child-protocol.js';
import { JobManagerProcess, type ChildLine } from '../jobmanager/support/job-manager-process.js';
import { auditRetainedCheckpoints } from './support/retained-checkpoint-audit.js';
import { createSpecSchema, TEST_PG_URL, type SpecSchema } from '../support/postgres-schema.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

const JOB_ID = 'payments';
const LEASE = { leaseDuration: 1_500, renewInterval: 250 } as const;

describe('job manager failover on PostgreSQL: job manager processes, the leader killed, paused or cut off', function () {
  this.timeout(120_000);
  let schema: SpecSchema;
  let directory: string;
  let tablePrefix: string;
  let tests = 0;
  const processes: JobManagerProcess[] = [];

  before(async () => { schema = await createSpecSchema('jmfailover'); });
  after(async () => schema?.drop());
  beforeEach(async () => {
    tests += 1;
    tablePrefix = `f${tests}_`;
    directory = await createTemporaryDirectory();
  });
  afterEach(async () => {
    for (const child of processes.splice(0)) {
      child.signal('SIGCONT');
      await child.kill();
    }
    await removeTemporaryDirectory(directory);
  });

  const haOptions = () => ({ mode: 'postgres' as const, connectionString: TEST_PG_URL, schema: schema.schema, tablePrefix, ...LEASE });
  const applicationName = (name: string): string => `nact-jm-${process.pid}-${tests}-${name}`;
  const job = (): JobDefinition => ({
    jobId: JOB_ID,
    tasks: [{ taskId: 'g0', operator: 'generator' }, { taskId: 'g1', operator: 'generator' }],
    checkpointing: { interval: 30, timeout: 10_000, retained: 2, tolerableFailures: null, restartStrategy: { kind: 'fixed-delay', attempts: null, delay: 0 } },
    storage: { baseDirectory: join(directory, 'checkpoints') },
  });
  const start = (name: string, submit: JobDefinition | null): JobManagerProcess => {
    const config: JobManagerChildConfig = { name, ha: { ...haOptions(), applicationName: applicationName(name) }, submit };
    const child = new JobManagerProcess(config);
    processes.push(child);
    return child;
  };
  const completions = (child: JobManagerProcess, from = 0): number[] => child.lines.slice(from).filter((line) => line.e === 'completed').map((line) => line.id as number);
  /** Waits until the child printed its n-th `completed` line. */
  const completedTimes = (child: JobManagerProcess, n: number): Promise<ChildLine> => {
    let seen = 0;
    return child.waitFor(`its ${n}th completed checkpoint`, (line) => line.e === 'completed' && ++seen === n);
  };
  /** Every restored state equals the state some child snapshotted for that checkpoint. */
  const expectRestoredAsSnapshotted = (restoring: JobManagerProcess, ...before: JobManagerProcess[]): void => {
    const snapshots = new Map(before.flatMap((child) => child.all('snapshot').map((line) => [`${String(line.task)}@${String(line.id)}`, line.digest] as const)));
    const restored = restoring.all('restored');
    expect(restored).to.have.length(2);
    for (const line of restored) expect(line.digest, `task ${String(line.task)} restored from ${String(line.id)}`).to.equal(snapshots.get(`${String(line.task)}@${String(line.id)}`));
  };

  it('SIGKILL of the leader: a standby takes over, recovers the job from the job graph store, restores the latest checkpoint and continues with higher ids', async () => {
    const leader = start('jm-1', job());
    await completedTimes(leader, 3);
    const standbys = [start('jm-2', null), start('jm-3', null)];
    await Promise.all(standbys.map((standby) => standby.next('ready', 'standby up', 30_000, 0)));
    const latest = Math.max(...completions(leader));
    const triggered = Math.max(...leader.all('triggered').map((line) => line.id as number));
    await leader.kill();

    const winner = await Promise.race(standbys.map((standby) => standby.next('job-started', 'a standby takes over', 30_000, 0).then(() => standby)));
    const started = winner.all('job-started')[0]!;
    expect(started.restoredCheckpointId as number).to.be.at.least(latest);
    const first = await winner.next('completed', 'the new leader completes a checkpoint', 30_000, 0);
    expect(first.id as number).to.be.greaterThan(triggered);
    expectRestoredAsSnapshotted(winner, leader);
    const other = standbys.find((standby) => standby !== winner)!;
    expect(other.all('job-started'), 'only one standby leads the job').to.deep.equal([]);
  });

  it('SIGSTOP of the leader until its lease lapses: the standby takes over; woken by SIGCONT, the old leader\'s writes are rejected, it suspends, and nothing it held is lost', async () => {
    const leader = start('jm-1', job());
    await completedTimes(leader, 3);
    const standby = start('jm-2', null);
    await standby.next('ready', 'standby up', 30_000, 0);
    const stoppedAt = Date.now();
    leader.signal('SIGSTOP');
    const started = await standby.next('job-started', 'the standby takes over once the lease lapsed', 30_000, 0);
    // Lines the leader printed before it stopped may reach us later: its clock tells them apart.
    const beforePause = (line: ChildLine): boolean => line.at < stoppedAt;
    const latest = Math.max(...leader.lines.filter((line) => line.e === 'completed' && beforePause(line)).map((line) => line.id as number));
    expect(started.restoredCheckpointId as number).to.be.at.least(latest);
    await standby.next('completed', 'the new leader completes a checkpoint', 30_000, 0);

    // Queued while the old leader is stopped and handled as soon as it wakes; whether it then still ran the job or had
    // already learnt that it was superseded, the savepoint must fail.
    leader.send({ cmd: 'savepoint', jobId: JOB_ID });
    leader.signal('SIGCONT');
    const outcome = await leader.next('savepoint-outcome', 'the old leader\'s savepoint request', 30_000, 0);
    expect(outcome.status, JSON.stringify(outcome)).to.be.oneOf(['failed', 'refused']);
    const suspended = await leader.next('job-suspended', 'the old leader steps down', 30_000, 0);
    expect([LeadershipLossReason.SUPERSEDED, LeadershipLossReason.RENEWAL_FAILED]).to.include(suspended.reason);
    // A completion it reports after waking was committed before it paused: the standby recovered it. None came later.
    const reportedAfterWaking = leader.lines.filter((line) => !beforePause(line) && line.e === 'completed').map((line) => line.id as number);
    for (const id of reportedAfterWaking) expect(id, 'a completion of the old leader after the takeover').to.be.at.most(started.restoredCheckpointId as number);
    // A write with the leadership it held before the pause is rejected: the standby's generation is current.
    leader.send({ cmd: 'write-with-last-session', jobId: JOB_ID });
    const write = await leader.next('write-outcome', 'the old leader writes with its old session');
    expect(write).to.deep.include({ status: 'rejected', name: 'StaleLeaderError' });
    expect(write.message as string).to.include(`leader session generation ${String((leader.all('job-started')[0]!.session as { generation: number }).generation)} of scope 'job-payments' is no longer current (the current generation is ${String((started.session as { generation: number }).generation)})`);

    const newer = await standby.next('completed', 'the new leader goes on');
    expect(newer.id as number).to.be.greaterThan(Math.max(...leader.all('triggered').map((line) => line.id as number)));
    leader.send({ cmd: 'close' });
    standby.send({ cmd: 'close' });
    await Promise.all([leader.next('closed', 'closing', 30_000, 0), standby.next('closed', 'closing', 30_000, 0)]);
    // Every retained checkpoint of the job (as the HA store holds them) references only intact files.
    const report = await auditRetainedCheckpoints(haOptions(), JOB_ID, join(directory, 'checkpoints'));
    expect({ missing: report.missing, corrupt: report.corrupt }).to.deep.equal({ missing: [], corrupt: [] });
  });

  it('pg_terminate_backend on the leader\'s connections: it recovers, or steps down cleanly for a standby; ids never repeat', async () => {
    const leader = start('jm-1', job());
    await completedTimes(leader, 3);
    const standby = start('jm-2', null);
    await standby.next('ready', 'standby up', 30_000, 0);
    const cutAt = leader.lines.length;
    const before = Math.max(...leader.all('triggered').map((line) => line.id as number));
    await terminateBackends(applicationName('jm-1'));

    const survived = leader.waitFor('a new checkpoint completes after the cut', (line) => line.e === 'completed' && (line.id as number) > before, 30_000, cutAt).then(() => 'leader' as const);
    const tookOver = standby.next('job-started', 'the standby takes over', 30_000, 0).then(() => 'standby' as const);
    const outcome = await Promise.race([survived, tookOver]);
    if (outcome === 'standby') {
      const suspended = await leader.next('job-suspended', 'the cut-off leader steps down', 30_000, cutAt);
      expect([LeadershipLossReason.SUPERSEDED, LeadershipLossReason.RENEWAL_FAILED]).to.include(suspended.reason);
      await standby.next('completed', 'the new leader completes a checkpoint', 30_000, 0);
      expectRestoredAsSnapshotted(standby, leader);
    } else {
      // Reconnected before anybody took over: same leadership, checkpoints go on.
      expect(leader.all('job-suspended')).to.deep.equal([]);
    }
    const all = [...completions(leader), ...completions(standby)];
    expect(new Set(all).size, 'no checkpoint id completes twice').to.equal(all.length);
    expect(Math.max(...all)).to.be.greaterThan(before);
  });

  async function terminateBackends(name: string): Promise<void> {
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
      expect(rowCount, `backends of ${name}`).to.be.greaterThan(0);
    } finally {
      await admin.end();
    }
  }
});
