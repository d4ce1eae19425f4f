/**
 * A separate process using the filesystem mode, for specs that need a real other process:
 *   lead <directory> <scope>                      becomes the scope's leader, prints its session as JSON, then SIGKILLs itself
 *   increment <directory> <session-json> <count>  hands out `count` checkpoint ids of job-1 with that session, prints them as JSON
 */
import { createHighAvailabilityServices } from '../../../src/ha/high-availability-services.js';
import type { LeaderSession } from '../../../src/ha/leader-session.js';

const [command, directory, argument, count] = process.argv.slice(2);
if (directory === undefined || argument === undefined) throw new Error('usage: lead <directory> <scope> | increment <directory> <session-json> <count>');
const services = await createHighAvailabilityServices({ mode: 'filesystem', directory, leaseDuration: 60_000, renewInterval: 20_000 });

if (command === 'lead') {
  const election = services.createLeaderElection(argument);
  await election.start({ grantLeadership: () => undefined, revokeLeadership: () => undefined });
  process.stdout.write(`${JSON.stringify(election.currentSession())}\n`, () => process.kill(process.pid, 'SIGKILL'));
} else if (command === 'increment') {
  const session = JSON.parse(argument) as LeaderSession;
  const counter = services.checkpointRecovery('job-1').createCheckpointIDCounter(session);
  const ids: number[] = [];
  for (let index = 0; index < Number(count); index++) ids.push(await counter.getAndIncrement());
  process.stdout.write(`${JSON.stringify(ids)}\n`);
  await services.close();
} else {
  throw new Error(`unknown command ${String(command)}`);
}
