import type { Ref } from 'nact';
import { freshSystem, ManualClock } from '../../src/testing/index.js';
import { ask } from '../../src/actor/typed-ref.js';
import type { CheckpointCoordinatorRef } from '../../src/coordinator/checkpoint-coordinator.js';
import type { CheckpointOutcome, RestoreOutcome } from '../../src/protocol/checkpoint-outcome.js';
import type { CheckpointStats } from '../../src/protocol/checkpoint-stats.js';
import type { CoordinatorEvent, CoordinatorEventBody, CoordinatorEventEnvelope } from '../../src/coordinator/coordinator-event.js';
import { asJobId } from '../../src/core/ids.js';
import type { CheckpointCoordinatorOptions } from '../../src/coordinator/coordinator-options.js';
import { spawnCheckpointCoordinator } from '../../src/coordinator/spawn-checkpoint-coordinator.js';
import { JobStatus } from '../../src/core/job-status.js';
import type { Done } from '../../src/protocol/coordinator-protocol.js';
import { RecordingTasks } from '../../src/testing/recording-tasks.js';

/** A fresh actor system, manual clock, recording tasks and a coordinator: everything a coordinator spec needs. */
export class CoordinatorHarness {
  private readonly fresh = freshSystem();
  readonly system: Ref<unknown> = this.fresh.system;
  readonly clock = new ManualClock(1_000);
  readonly tasks = new RecordingTasks(this.system);
  readonly events: CoordinatorEvent[] = [];
  coordinator!: CheckpointCoordinatorRef;

  /** Spawns the coordinator with recording tasks and waits until it has started. */
  async spawn(options: Partial<CheckpointCoordinatorOptions> & { readonly taskIds?: readonly string[] } = {}): Promise<CheckpointCoordinatorRef> {
    const { taskIds = ['source', 'sink'], ...rest } = options;
    this.coordinator = spawnCheckpointCoordinator(this.system, {
      jobId: 'job-1',
      interval: 100,
      clock: this.clock,
      tasks: taskIds.map((id) => this.tasks.task(id)),
      onEvent: (event) => this.events.push(event),
      // Restarts at once, without limit, unless a spec says otherwise: most specs are not about restart strategies.
      restartStrategy: { kind: 'fixed-delay', attempts: Number.POSITIVE_INFINITY, delay: 0 },
      ...rest,
    });
    await this.settle();
    return this.coordinator;
  }

  /** An event as the coordinator reports it: `body` stamped with this harness's job and the manual clock's time (now, unless given). */
  stamped<E extends CoordinatorEventBody>(body: E, timestamp = this.clock.now()): E & CoordinatorEventEnvelope {
    return { ...body, jobId: asJobId('job-1'), timestamp };
  }

  stats(): Promise<CheckpointStats> {
    return ask(this.coordinator, { type: 'GetCheckpointStats' });
  }

  triggerNow(): Promise<CheckpointOutcome> {
    return ask(this.coordinator, { type: 'TriggerCheckpointNow' });
  }

  savepoint(): Promise<CheckpointOutcome> {
    return ask(this.coordinator, { type: 'TriggerSavepoint' });
  }

  restore(): Promise<RestoreOutcome> {
    return ask(this.coordinator, { type: 'RestoreLatestCheckpoint' });
  }

  shutdown(jobStatus: JobStatus = JobStatus.CANCELED): Promise<Done> {
    return ask(this.coordinator, { type: 'ShutdownCoordinator', jobStatus });
  }

  /**
   * Mailbox barrier: alternately queries the coordinator and pings every task until neither the protocol
   * log nor the stats change for two rounds. No time passes on the manual clock.
   */
  async settle(): Promise<CheckpointStats> {
    let previous = '';
    let stableRounds = 0;
    for (let round = 0; round < 100; round += 1) {
      const stats = await this.stats();
      await this.tasks.barrier();
      const fingerprint = `${this.tasks.log.length}|${JSON.stringify(stats.counts)}|${this.events.length}`;
      stableRounds = fingerprint === previous ? stableRounds + 1 : 0;
      if (stableRounds >= 2) return stats;
      previous = fingerprint;
    }
    throw new Error('the coordinator and its tasks did not settle within 100 barrier rounds');
  }

  /** Moves the manual clock and waits for everything it set off. */
  async advance(ms: number): Promise<CheckpointStats> {
    this.clock.advance(ms);
    return this.settle();
  }

  dispose(): void {
    this.fresh.dispose();
  }
}
