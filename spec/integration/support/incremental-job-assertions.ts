import { expect } from 'chai';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompletedCheckpoint } from '../../../src/checkpoint/completed-checkpoint.js';
import type { CheckpointOutcome } from '../../../src/protocol/checkpoint-outcome.js';
import type { AcknowledgeCheckpoint } from '../../../src/protocol/task-protocol.js';
import type { StateFileReference } from '../../../src/state/state-handles.js';
import type { IncrementalJob } from './incremental-job.js';

/** The checkpoint of a completed outcome; fails the spec with the outcome's message otherwise. */
export function completed(outcome: CheckpointOutcome): CompletedCheckpoint {
  if (outcome.status !== 'completed') throw new Error(`expected a completed checkpoint, got: ${outcome.message}`);
  return outcome.checkpoint;
}

/** Every shared-state reference of incremental keyed handles in `states`. */
export function sharedReferences(states: Iterable<{ readonly keyedState: AcknowledgeCheckpoint['state']['keyedState'] }>): StateFileReference[] {
  const references: StateFileReference[] = [];
  for (const state of states) for (const keyed of state.keyedState) if (keyed.kind === 'incremental') references.push(...keyed.sharedState);
  return references;
}

/** Paths of the shared files a completed checkpoint references. */
export function sharedFilesOf(checkpoint: CompletedCheckpoint): string[] {
  return sharedReferences(Object.values(checkpoint.taskStates)).flatMap(({ handle }) => (handle.kind === 'file' ? [handle.path] : [])).sort();
}

/** The acknowledgement `taskId` sent for `checkpointId` (the relay saw every one). */
export function ackOf(job: IncrementalJob, taskId: string, checkpointId: number): AcknowledgeCheckpoint {
  const ack = job.relay.acks.find((candidate) => candidate.taskId === taskId && candidate.checkpointId === checkpointId);
  if (ack === undefined) throw new Error(`task ${taskId} never acknowledged checkpoint ${checkpointId}`);
  return ack;
}

/** Paths of the shared files an acknowledgement carries as files (not placeholders). */
export function uploadsIn(ack: AcknowledgeCheckpoint): string[] {
  return sharedReferences([ack.state]).flatMap(({ handle }) => (handle.kind === 'file' ? [handle.path] : []));
}

export async function exists(job: IncrementalJob, path: string): Promise<boolean> {
  return access(join(job.directory, path)).then(() => true, () => false);
}

/** Waits for every deletion, then audits: nothing missing, nothing corrupt, no orphan. */
export async function expectClean(job: IncrementalJob): Promise<void> {
  await job.settle();
  expect(await job.deletionsSettled()).to.equal(true);
  const report = await job.audit();
  expect({ missing: report.missing, corrupt: report.corrupt, orphans: report.orphans.map((orphan) => orphan.path) }).to.deep.equal({ missing: [], corrupt: [], orphans: [] });
}
