import { asJobId } from '../../../src/core/ids.js';
import { JobStatus } from '../../../src/core/job-status.js';
import type { HighAvailabilityOptions } from '../../../src/ha/high-availability-options.js';
import { createHighAvailabilityServices } from '../../../src/ha/high-availability-services.js';
import { jobScopeOf } from '../../../src/jobmanager/job-contender.js';
import { verifyCheckpoints, type CheckpointAuditReport } from '../../../src/storage/checkpoint-audit.js';
import { FileSystemCheckpointStorage } from '../../../src/storage/filesystem-checkpoint-storage.js';

/**
 * Once every job manager has left: takes the job's leadership on the HA services, reads every checkpoint the HA store
 * retains (pinned ones too) and audits their files in `checkpointDirectory`. Throws when the job is still led or no
 * checkpoint is retained, so a spec cannot pass over an empty store.
 */
export async function auditRetainedCheckpoints(ha: HighAvailabilityOptions, jobId: string, checkpointDirectory: string): Promise<CheckpointAuditReport> {
  const services = await createHighAvailabilityServices(ha);
  try {
    const election = services.createLeaderElection(jobScopeOf(jobId));
    await election.start({ grantLeadership: () => undefined, revokeLeadership: () => undefined });
    const session = election.currentSession();
    if (session === null) throw new Error(`job ${jobId} is still led: the audit needs every job manager gone`);
    const store = await services.checkpointRecovery(jobId).createCompletedCheckpointStore({ session, maxRetained: 1_000 });
    try {
      const retained = [...store.getAllCheckpoints(), ...store.pinnedCheckpoints()];
      if (retained.length === 0) throw new Error(`the HA store retains no checkpoint of job ${jobId}`);
      return await verifyCheckpoints({ jobId: asJobId(jobId), storage: new FileSystemCheckpointStorage(checkpointDirectory), checkpoints: retained });
    } finally {
      await store.shutdown(JobStatus.SUSPENDED);
    }
  } finally {
    await services.close();
  }
}
