import { expect } from 'chai';
import { join } from 'node:path';
import type { JobDefinition } from '../../src/jobmanager/job-definition.js';
import { EMPTY_DIGEST, type JobManagerChildConfig } from '../jobmanager/support/job-manager-child-protocol.js';
import { JobManagerProcess, type ChildLine } from '../jobmanager/support/job-manager-process.js';
import { auditRetainedCheckpoints } from './support/retained-checkpoint-audit.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

/** Kill points per run: 50 in CI; NACT_CHECKPOINT_CRASH_KILLS=1000 for a soak. NACT_CHECKPOINT_CRASH_SEED replays a run. */
const KILLS = Number(process.env.NACT_CHECKPOINT_CRASH_KILLS ?? 50);
const SEED = Number(process.env.NACT_CHECKPOINT_CRASH_SEED ?? 20_260_611);
const JOB_ID = 'crash';

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** What every child before the current one did, as far as its output tells. */
class History {
  /** Digest of each task's state as snapshotted for each checkpoint: `<task>@<id>`. */
  readonly snapshots = new Map<string, string>();
  /** The latest checkpoint whose completion a child reported. */
  latestCompleted = 0;
  /** The highest checkpoint id a child triggered. */
  highestTriggered = 0;
  recoveryKills = 0;
  runningKills = 0;

  /** Checks what child `index` printed against the history, then adds it. */
  check(child: JobManagerProcess, index: number): void {
    const where = `child ${index} (seed ${SEED})`;
    let ownLowest = Number.POSITIVE_INFINITY;
    let started = false;
    for (const line of child.lines) {
      switch (line.e) {
        case 'job-started':
          started = true;
          if (this.latestCompleted > 0) {
            expect(line.restoredCheckpointId as number, `${where}: restored checkpoint >= the latest completion seen`).to.be.at.least(this.latestCompleted);
          }
          expect(line.sweepSkipped, `${where}: the recovery swept`).to.equal(null);
          break;
        case 'restored': {
          const expected = line.id === null ? EMPTY_DIGEST : this.snapshots.get(`${String(line.task)}@${String(line.id)}`);
          expect(expected, `${where}: task ${String(line.task)} restored checkpoint ${String(line.id)}, which no child snapshotted`).to.not.equal(undefined);
          expect(line.digest, `${where}: state of task ${String(line.task)} restored from checkpoint ${String(line.id)}`).to.equal(expected);
          break;
        }
        case 'triggered':
          ownLowest = Math.min(ownLowest, line.id as number);
          break;
        case 'job-start-failed':
        case 'submit-failed':
          expect.fail(`${where}: ${JSON.stringify(line)}`);
      }
    }
    if (ownLowest !== Number.POSITIVE_INFINITY) expect(ownLowest, `${where}: first id above every id used before`).to.be.greaterThan(this.highestTriggered);
    for (const line of child.lines) {
      if (line.e === 'snapshot') this.snapshots.set(`${String(line.task)}@${String(line.id)}`, line.digest as string);
      if (line.e === 'completed') this.latestCompleted = Math.max(this.latestCompleted, line.id as number);
      if (line.e === 'triggered') this.highestTriggered = Math.max(this.highestTriggered, line.id as number);
    }
    if (!started) this.recoveryKills += 1;
    else this.runningKills += 1;
  }
}

describe(`job manager crashes: ${KILLS} SIGKILLs at seeded random moments, also during recovery (filesystem HA, incremental state)`, function () {
  this.timeout(60_000 + KILLS * 15_000);
  let directory: string;
  beforeEach(async () => { directory = await createTemporaryDirectory(); });
  afterEach(async () => removeTemporaryDirectory(directory));

  it('recovers every time: the latest completed checkpoint or a newer one, its exact state, ids above every id used, nothing missing, corrupt or orphaned', async () => {
    const next = random(SEED);
    const checkpoints = join(directory, 'checkpoints');
    const config = (name: string, submit: JobDefinition | null): JobManagerChildConfig => ({
      name,
      ha: { mode: 'filesystem', directory: join(directory, 'ha'), checkpointDirectory: checkpoints, leaseDuration: 2_000, renewInterval: 200, pollInterval: 100 },
      submit,
    });
    const job: JobDefinition = {
      jobId: JOB_ID,
      tasks: [{ taskId: 'g0', operator: 'generator' }, { taskId: 'g1', operator: 'generator' }],
      checkpointing: { interval: 15, timeout: 10_000, retained: 2, maxConcurrent: 2, tolerableFailures: null, restartStrategy: { kind: 'fixed-delay', attempts: null, delay: 0 } },
      storage: { baseDirectory: checkpoints },
    };
    const history = new History();
    for (let index = 0; index < KILLS; index += 1) {
      const child = new JobManagerProcess(config(`child-${index}`, index === 0 ? job : null));
      try {
        await killAtARandomMoment(child, next, index === 0);
        history.check(child, index);
      } finally {
        await child.kill();
      }
    }
    // A last one recovers, completes a checkpoint and leaves cleanly (its job suspended, every checkpoint kept).
    const last = new JobManagerProcess(config('last', null));
    try {
      await last.next('completed', 'the last child completes a checkpoint', 30_000, 0);
      last.send({ cmd: 'close' });
      await last.next('closed', 'the last child closes', 30_000, 0);
      history.check(last, KILLS);
    } finally {
      await last.kill();
    }
    expect(history.recoveryKills, 'kills during recovery').to.be.greaterThan(0);
    expect(history.runningKills, 'kills while running').to.be.greaterThan(0);
    // With nothing running, the job's retained checkpoints reference only intact files, and nothing else is stored.
    const report = await auditRetainedCheckpoints({ mode: 'filesystem', directory: join(directory, 'ha') }, JOB_ID, checkpoints);
    expect({ missing: report.missing, corrupt: report.corrupt, orphans: report.orphans.map((orphan) => orphan.path) }).to.deep.equal({ missing: [], corrupt: [], orphans: [] });
  });
});

/**
 * Kills the child at a seeded random moment: about a third of the time a few milliseconds after it is ready (while it
 * recovers the job), otherwise after its n-th snapshot, completion or trigger line and a short random delay.
 */
async function killAtARandomMoment(child: JobManagerProcess, next: () => number, first: boolean): Promise<void> {
  const duringRecovery = !first && next() < 0.35;
  const delayMs = Math.floor(next() * (duringRecovery ? 30 : 15));
  if (duringRecovery) {
    await child.next('ready', 'it started', 30_000, 0);
  } else {
    const kinds = ['snapshot', 'completed', 'triggered'];
    const kind = kinds[Math.floor(next() * kinds.length)] as string;
    const count = 1 + Math.floor(next() * 4);
    let seen = 0;
    await child.waitFor(`its ${count}th ${kind} line`, (line: ChildLine) => line.e === kind && ++seen === count, 30_000);
  }
  await new Promise<void>((resolve) => setTimeout(resolve, delayMs));
  await child.kill();
}
