import { expect } from 'chai';
import pg from 'pg';
import { ManualClock } from '../../../src/testing/index.js';
import { createHighAvailabilityServices, type HighAvailabilityServices } from '../../../src/ha/high-availability-services.js';
import { HighAvailabilityStorageError } from '../../../src/ha/high-availability-storage-error.js';
import { UnsupportedSchemaVersionError } from '../../../src/ha/postgres/unsupported-schema-version-error.js';
import { CorruptStateError } from '../../../src/storage/corrupt-state-error.js';
import { aCheckpoint } from '../../support/checkpoint-fixtures.js';
import { createSpecSchema, TEST_PG_URL, type SpecSchema } from '../../support/postgres-schema.js';
import { RecordingDiscarder } from '../../support/recording-discarder.js';
import { rejectionOf } from '../../support/rejection-of.js';
import { eventually } from '../support/eventually.js';
import { LEASE, terminateBackendsOf } from '../support/ha-modes.js';
import { RecordingContender } from '../support/recording-contender.js';

describe('the postgres high-availability mode', () => {
  let spec: SpecSchema;
  let prefix: string;
  let tests = 0;
  let opened: { services: HighAvailabilityServices; pool: pg.Pool }[];

  before(async () => { spec = await createSpecSchema('hapg'); });
  after(async () => { await spec.drop(); });
  beforeEach(() => {
    tests += 1;
    prefix = `p${tests}_`;
    opened = [];
  });
  afterEach(async () => {
    for (const { services, pool } of opened) {
      await services.close();
      await pool.end();
    }
  });

  /** Services on a pool of their own, named so that a spec can find (and terminate) exactly its sessions. */
  async function instance(clock = new ManualClock()): Promise<{ services: HighAvailabilityServices; pool: pg.Pool; clock: ManualClock; applicationName: string }> {
    const applicationName = `nact-spec-pg-${process.pid}-${tests}-${opened.length}`;
    const pool = new pg.Pool({ connectionString: TEST_PG_URL, max: 3, application_name: applicationName });
    pool.on('error', () => undefined);
    const services = await createHighAvailabilityServices({ mode: 'postgres', pool, schema: spec.schema, tablePrefix: prefix, clock, ...LEASE });
    opened.push({ services, pool });
    return { services, pool, clock, applicationName };
  }

  async function lead(services: HighAvailabilityServices): Promise<{ contender: RecordingContender; election: ReturnType<HighAvailabilityServices['createLeaderElection']> }> {
    const contender = new RecordingContender();
    const election = services.createLeaderElection('cluster');
    await election.start(contender);
    return { contender, election };
  }

  const table = (name: string): string => `"${spec.schema}"."${prefix}${name}"`;

  it('creates its tables in the configured schema under the prefix, with a schema version row, from a connection string', async () => {
    const services = await createHighAvailabilityServices({ mode: 'postgres', connectionString: TEST_PG_URL, schema: spec.schema, tablePrefix: prefix });
    try {
      expect(services.description).to.match(new RegExp(`^postgres:\\w+/"${spec.schema}"\\."${prefix}\\*"$`));
      const { rows } = await spec.pool.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE $2 ORDER BY table_name',
        [spec.schema, `${prefix}%`],
      );
      expect(rows.map((row) => row.table_name)).to.deep.equal(
        ['checkpoint_id_counters', 'checkpoint_locks', 'completed_checkpoints', 'job_graphs', 'leases', 'schema_version'].map((name) => `${prefix}${name}`),
      );
      expect((await spec.pool.query(`SELECT version FROM ${table('schema_version')}`)).rows).to.deep.equal([{ version: 1 }]);
    } finally {
      await services.close();
    }
  });

  it('refuses tables of a newer schema version, changing nothing', async () => {
    (await instance()).services;
    await spec.pool.query(`UPDATE ${table('schema_version')} SET version = 2`);
    const error = await rejectionOf(createHighAvailabilityServices({ mode: 'postgres', connectionString: TEST_PG_URL, schema: spec.schema, tablePrefix: prefix }));
    expect(error).to.be.instanceOf(UnsupportedSchemaVersionError);
    expect(error.message).to.equal(
      `the high-availability tables "${spec.schema}"."${prefix}*" have schema version 2, but this build of nact-checkpoint supports version 1 at most; ` +
        'upgrade nact-checkpoint in every process, or point this one at another schema or table prefix',
    );
  });

  it('says which server it could not reach', async () => {
    const error = await rejectionOf(createHighAvailabilityServices({ mode: 'postgres', connectionString: 'postgres://postgres@127.0.0.1:1/test', schema: spec.schema }));
    expect(error).to.be.instanceOf(HighAvailabilityStorageError);
    expect(error.message).to.match(/^setting up the high-availability tables failed in postgres:"\w+"\."nact_checkpoint_\*": .*ECONNREFUSED/);
  });

  it('refuses a corrupted checkpoint row and a corrupted job graph row, naming the row', async () => {
    const { services } = await instance();
    const { contender } = await lead(services);
    const session = contender.session!;
    const store = await services.checkpointRecovery('job-1').createCompletedCheckpointStore({ session, maxRetained: 2 });
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
    await services.jobGraphStore.putJobGraph(session, 'job-1', { tasks: ['a'] });
    await spec.pool.query(`UPDATE ${table('completed_checkpoints')} SET payload = replace(payload, '"checkpointId":1', '"checkpointId":7')`);
    await spec.pool.query(`UPDATE ${table('job_graphs')} SET format_version = 9`);

    const recovery = await rejectionOf(services.checkpointRecovery('job-1').createCompletedCheckpointStore({ session, maxRetained: 2 }));
    expect(recovery).to.be.instanceOf(CorruptStateError);
    expect(recovery.message).to.match(new RegExp(`"${prefix}completed_checkpoints" row of job 'job-1' checkpoint 1: the high-availability record failed its checksum`));
    const graph = await rejectionOf(services.jobGraphStore.recoverJobGraph('job-1'));
    expect(graph).to.be.instanceOf(CorruptStateError);
    expect(graph.message).to.match(new RegExp(`"${prefix}job_graphs" row of job 'job-1': unsupported high-availability record format version 9`));
  });

  describe('a lost connection', () => {
    /** Holds a row lock in another session so that the instance's next statement waits, then terminates the waiting backend. */
    async function terminateWhileWaitingOn(lockSql: string, applicationName: string, call: () => Promise<unknown>): Promise<Error> {
      const blocker = new pg.Client({ connectionString: TEST_PG_URL });
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query(lockSql);
        const outcome = rejectionOf(call());
        let waiting: number | undefined;
        await eventually('the call waits for the row lock', async () => {
          const { rows } = await blocker.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
            [applicationName],
          );
          waiting = rows[0]?.pid;
          return waiting !== undefined;
        });
        await blocker.query('SELECT pg_terminate_backend($1)', [waiting]);
        return await outcome;
      } finally {
        await blocker.query('ROLLBACK').catch(() => undefined);
        await blocker.end();
      }
    }

    it('fails a counter call clearly, and the next call reconnects without handing out an id twice', async () => {
      const { services, applicationName } = await instance();
      const { contender } = await lead(services);
      const counter = services.checkpointRecovery('job-1').createCheckpointIDCounter(contender.session!);
      expect(await counter.getAndIncrement()).to.equal(1);
      const error = await terminateWhileWaitingOn(`SELECT * FROM ${table('checkpoint_id_counters')} WHERE job_id = 'job-1' FOR UPDATE`, applicationName, () => counter.getAndIncrement());
      expect(error).to.be.instanceOf(HighAvailabilityStorageError);
      expect(error.message).to.match(/^checkpoint id counter getAndIncrement for job 'job-1' failed in postgres:.*terminat.*The next call tries again \(and reconnects\)$/s);
      expect(await counter.getAndIncrement()).to.equal(2);
    });

    it('fails a store add as not applied (the new checkpoint is the caller\'s to discard), and the next add reconnects', async () => {
      const { services, applicationName } = await instance();
      const { contender } = await lead(services);
      const discarder = new RecordingDiscarder();
      const store = await services.checkpointRecovery('job-1').createCompletedCheckpointStore({ session: contender.session!, maxRetained: 1, discarder });
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
      const error = await terminateWhileWaitingOn(`SELECT * FROM ${table('leases')} FOR UPDATE`, applicationName, () => store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2)));
      expect(error).to.be.instanceOf(HighAvailabilityStorageError).with.property('outcome', 'not-applied');
      expect(discarder.calls).to.deep.equal([]);
      expect(store.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId)).to.deep.equal([1]);
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3));
      expect(discarder.calls).to.deep.equal(['subsumed(1)']);
    });

    it('of the leader is survived when nobody took over: it reconnects and renews with the same generation', async () => {
      const first = await instance();
      const { contender, election } = await lead(first.services);
      const { rows } = await spec.pool.query<{ backend_pid: number }>(`SELECT backend_pid FROM ${table('leases')} WHERE scope = 'cluster'`);
      expect(rows[0]?.backend_pid, 'the lease records the leader\'s backend').to.be.a('number');
      await terminateBackendsOf(first.pool);
      first.clock.advance(LEASE.renewInterval);
      await election.settled();
      expect(contender.calls).to.deep.equal(['grant(1)']);
      expect(election.currentSession()?.generation).to.equal(1);
      const counter = first.services.checkpointRecovery('job-1').createCheckpointIDCounter(contender.session!);
      expect(await counter.getAndIncrement()).to.equal(1);
    });

    it('of the leader makes a standby take over at once; the old leader steps down at its next check and its writes are rejected', async () => {
      const first = await instance();
      const second = await instance();
      const old = await lead(first.services);
      const standby = await lead(second.services);
      const oldCounter = first.services.checkpointRecovery('job-1').createCheckpointIDCounter(old.contender.session!);
      await terminateBackendsOf(first.pool);
      second.clock.advance(LEASE.renewInterval);
      await standby.election.settled();
      expect(standby.contender.calls).to.deep.equal(['grant(2)']);
      first.clock.advance(LEASE.renewInterval);
      await old.election.settled();
      expect(old.contender.calls).to.deep.equal(['grant(1)', 'revoke(1, superseded)']);
      expect((await rejectionOf(oldCounter.getAndIncrement())).name).to.equal('StaleLeaderError');
    });
  });
});
