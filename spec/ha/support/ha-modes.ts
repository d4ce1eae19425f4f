import pg from 'pg';
import { ManualClock } from '../../../src/testing/index.js';
import { markInstanceOpen } from '../../../src/ha/filesystem/process-identity.js';
import { createHighAvailabilityServices, type HighAvailabilityServices } from '../../../src/ha/high-availability-services.js';
import { HighAvailabilityMode } from '../../../src/ha/high-availability-mode.js';
import type { JobGraphWatch } from '../../../src/ha/job-graph-watch.js';
import { InMemoryHighAvailabilityData } from '../../../src/ha/memory/in-memory-high-availability-data.js';
import { createSpecSchema, TEST_PG_URL, type SpecSchema } from '../../support/postgres-schema.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../../support/temporary-directory.js';
import { eventually } from './eventually.js';

/** Lease timing of every spec: a lease of 3 s, renewed (and looked at) every second. */
export const LEASE = { leaseDuration: 3_000, renewInterval: 1_000 } as const;
/** How often the filesystem mode looks for job graph changes in specs. */
export const POLL_INTERVAL = 500;

/** An instance under test: the services of one simulated process, with its own manual clock. */
export interface SpecInstance {
  readonly services: HighAvailabilityServices;
  readonly clock: ManualClock;
  /** Makes the instance look dead to the others, as the death of its process would (it does nothing more itself). */
  kill(): Promise<void>;
}

/**
 * One mode, driven the same way by the shared behavioural suites. Each test gets fresh storage (a fresh in-memory data
 * object, a temporary directory, or fresh tables under a new prefix in the spec file's own PostgreSQL schema), and
 * several instances on it behave like several processes.
 */
export interface HaModeUnderTest {
  readonly mode: HighAvailabilityMode;
  beforeAll(): Promise<void>;
  afterAll(): Promise<void>;
  beforeEach(): Promise<void>;
  /** Closes every instance the test created. */
  afterEach(): Promise<void>;
  /** Another instance on the test's storage. */
  instance(): Promise<SpecInstance>;
  /** Lets a watch owned by `instance` hear of changes made elsewhere, and waits until `heard` holds. */
  letWatchHear(instance: SpecInstance, watch: JobGraphWatch, heard: () => boolean): Promise<void>;
}

interface Created {
  readonly services: HighAvailabilityServices;
  readonly kill: () => Promise<void>;
  readonly cleanUp?: () => Promise<void>;
}

abstract class ModeUnderTest implements HaModeUnderTest {
  abstract readonly mode: HighAvailabilityMode;
  private created: Created[] = [];
  async beforeAll(): Promise<void> {}
  async afterAll(): Promise<void> {}
  async beforeEach(): Promise<void> {}

  async afterEach(): Promise<void> {
    for (const created of this.created.splice(0)) {
      await created.services.close();
      await created.cleanUp?.();
    }
  }

  async instance(): Promise<SpecInstance> {
    const clock = new ManualClock(1_000_000);
    const created = await this.create(clock);
    this.created.push(created);
    return { services: created.services, clock, kill: created.kill };
  }

  abstract letWatchHear(instance: SpecInstance, watch: JobGraphWatch, heard: () => boolean): Promise<void>;
  protected abstract create(clock: ManualClock): Promise<Created>;
}

class NoneModeUnderTest extends ModeUnderTest {
  readonly mode = HighAvailabilityMode.NONE;
  private data = new InMemoryHighAvailabilityData();

  override async beforeEach(): Promise<void> {
    this.data = new InMemoryHighAvailabilityData();
  }

  protected async create(clock: ManualClock): Promise<Created> {
    const data = this.data;
    const services = await createHighAvailabilityServices({ mode: 'none', data, clock, ...LEASE });
    return { services, kill: async () => data.simulateCrash(services.instanceId) };
  }

  async letWatchHear(_instance: SpecInstance, watch: JobGraphWatch, heard: () => boolean): Promise<void> {
    await watch.settled();
    if (!heard()) throw new Error('the watch did not hear of the change');
  }
}

class FileSystemModeUnderTest extends ModeUnderTest {
  readonly mode = HighAvailabilityMode.FILESYSTEM;
  directory = '';

  override async beforeEach(): Promise<void> {
    this.directory = await createTemporaryDirectory();
  }

  override async afterEach(): Promise<void> {
    await super.afterEach();
    await removeTemporaryDirectory(this.directory);
  }

  /** In-process, a killed instance is one whose process identity no longer counts as alive (real child processes are killed in the filesystem specs). */
  protected async create(clock: ManualClock): Promise<Created> {
    const services = await createHighAvailabilityServices({ mode: 'filesystem', directory: this.directory, clock, pollInterval: POLL_INTERVAL, lockTimeout: 5_000, ...LEASE });
    return { services, kill: async () => markInstanceOpen(services.instanceId, false) };
  }

  async letWatchHear(instance: SpecInstance, watch: JobGraphWatch, heard: () => boolean): Promise<void> {
    instance.clock.advance(POLL_INTERVAL);
    await watch.settled();
    if (!heard()) throw new Error('the watch did not hear of the change');
  }
}

class PostgresModeUnderTest extends ModeUnderTest {
  readonly mode = HighAvailabilityMode.POSTGRES;
  private schema: SpecSchema | null = null;
  private tablePrefix = '';
  private tests = 0;

  override async beforeAll(): Promise<void> {
    this.schema = await createSpecSchema('ha');
  }

  override async afterAll(): Promise<void> {
    await this.schema?.drop();
  }

  override async beforeEach(): Promise<void> {
    this.tests += 1;
    this.tablePrefix = `t${this.tests}_`;
  }

  /** One pool per instance, under its own application name, so that killing it terminates exactly its sessions. */
  protected async create(clock: ManualClock): Promise<Created> {
    if (this.schema === null) throw new Error('beforeAll did not run');
    const pool = new pg.Pool({ connectionString: TEST_PG_URL, max: 3, application_name: `nact-spec-${process.pid}-${Math.random().toString(36).slice(2)}` });
    pool.on('error', () => undefined);
    const services = await createHighAvailabilityServices({ mode: 'postgres', pool, schema: this.schema.schema, tablePrefix: this.tablePrefix, clock, ...LEASE });
    return { services, kill: () => terminateBackendsOf(pool), cleanUp: () => pool.end() };
  }

  async letWatchHear(_instance: SpecInstance, _watch: JobGraphWatch, heard: () => boolean): Promise<void> {
    await eventually('the watch heard of the change', heard);
  }
}

/** Terminates every PostgreSQL backend opened through `pool` (found by its application name) and waits until they are gone. */
export async function terminateBackendsOf(pool: pg.Pool): Promise<void> {
  const applicationName = (pool.options as { application_name?: string }).application_name;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    await eventually(`the backends of ${applicationName} are gone`, async () =>
      (await admin.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rowCount === 0);
  } finally {
    await admin.end();
  }
}

/** Every mode, for the shared behavioural suites (fresh drivers for each spec file). */
export function haModes(): HaModeUnderTest[] {
  return [new NoneModeUnderTest(), new FileSystemModeUnderTest(), new PostgresModeUnderTest()];
}

/** Registers the mode's hooks in the enclosing `describe`. */
export function useMode(mode: HaModeUnderTest): void {
  before(() => mode.beforeAll());
  after(() => mode.afterAll());
  beforeEach(() => mode.beforeEach());
  afterEach(() => mode.afterEach());
}

/** Moves an instance's clock by `ms` and waits for the leader election checks that fired. */
export async function advance(instance: SpecInstance, ms: number, ...settling: { settled(): Promise<void> }[]): Promise<void> {
  instance.clock.advance(ms);
  await Promise.all(settling.map((item) => item.settled()));
}
