import { expect } from 'chai';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import type { JobGraphChange } from '../../src/ha/job-graph-change.js';
import { StaleLeaderError } from '../../src/ha/stale-leader-error.js';
import { rejectionOf } from '../support/rejection-of.js';
import { haModes, useMode } from './support/ha-modes.js';
import { sessionOf, startContender, takeOverFromPausedLeader } from './support/leader.js';

const describeChange = (change: JobGraphChange): string => (change.type === 'added' ? `added(${change.jobId}@${change.revision})` : `removed(${change.jobId})`);

for (const mode of haModes()) {
  describe(`JobGraphStore (${mode.mode} mode)`, () => {
    useMode(mode);

    it('stores, replaces, lists, recovers and removes job graphs', async () => {
      const leader = await startContender(await mode.instance());
      const store = leader.instance.services.jobGraphStore;
      const session = sessionOf(leader);
      expect(await store.putJobGraph(session, 'orders', { tasks: ['parse'], parallelism: 2 })).to.deep.equal({ jobId: 'orders', revision: 1, graph: { tasks: ['parse'], parallelism: 2 } });
      await store.putJobGraph(session, 'billing', { tasks: [] });
      expect((await store.putJobGraph(session, 'orders', { tasks: ['parse', 'sum'], parallelism: 4 })).revision).to.equal(2);
      expect(await store.jobIds()).to.deep.equal(['billing', 'orders']);
      expect(await store.recoverJobGraph('orders')).to.deep.equal({ jobId: 'orders', revision: 2, graph: { tasks: ['parse', 'sum'], parallelism: 4 } });
      expect(await store.recoverJobGraph('missing')).to.equal(null);
      expect((await store.recoverJobGraphs()).map((stored) => stored.jobId)).to.deep.equal(['billing', 'orders']);
      expect(await store.removeJobGraph(session, 'orders')).to.equal(true);
      expect(await store.removeJobGraph(session, 'orders')).to.equal(false);
      expect(await store.jobIds()).to.deep.equal(['billing']);
    });

    it('lets another instance hear of graphs added, replaced and removed', async () => {
      const leader = await startContender(await mode.instance());
      const listener = await mode.instance();
      const heard: string[] = [];
      const watch = await listener.services.jobGraphStore.watch((change) => heard.push(describeChange(change)));
      const store = leader.instance.services.jobGraphStore;
      await store.putJobGraph(sessionOf(leader), 'orders', { version: 1 });
      await mode.letWatchHear(listener, watch, () => heard.length === 1);
      await store.putJobGraph(sessionOf(leader), 'orders', { version: 2 });
      await mode.letWatchHear(listener, watch, () => heard.length === 2);
      await store.removeJobGraph(sessionOf(leader), 'orders');
      await mode.letWatchHear(listener, watch, () => heard.length === 3);
      expect(heard).to.deep.equal(['added(orders@1)', 'added(orders@2)', 'removed(orders)']);
      watch.close();
    });

    it('reports only changes made after the watch started', async () => {
      const leader = await startContender(await mode.instance());
      await leader.instance.services.jobGraphStore.putJobGraph(sessionOf(leader), 'before', {});
      const listener = await mode.instance();
      const heard: string[] = [];
      const watch = await listener.services.jobGraphStore.watch((change) => heard.push(describeChange(change)));
      await leader.instance.services.jobGraphStore.putJobGraph(sessionOf(leader), 'after', {});
      await mode.letWatchHear(listener, watch, () => heard.length > 0);
      expect(heard).to.deep.equal(['added(after@1)']);
    });

    it('rejects the writes of a stale leader and keeps what the new leader stored', async () => {
      const leader = await startContender(await mode.instance());
      const standby = await startContender(await mode.instance());
      const oldSession = sessionOf(leader);
      await leader.instance.services.jobGraphStore.putJobGraph(oldSession, 'orders', { owner: 'old' });
      const newSession = await takeOverFromPausedLeader(standby);
      await standby.instance.services.jobGraphStore.putJobGraph(newSession, 'orders', { owner: 'new' });
      expect(await rejectionOf(leader.instance.services.jobGraphStore.putJobGraph(oldSession, 'orders', { owner: 'old again' }))).to.be.instanceOf(StaleLeaderError);
      expect(await rejectionOf(leader.instance.services.jobGraphStore.removeJobGraph(oldSession, 'orders'))).to.be.instanceOf(StaleLeaderError);
      expect((await standby.instance.services.jobGraphStore.recoverJobGraph('orders'))?.graph).to.deep.equal({ owner: 'new' });
    });

    it('refuses a graph JSON cannot hold and a job id that cannot name it, storing nothing', async () => {
      const leader = await startContender(await mode.instance());
      const store = leader.instance.services.jobGraphStore;
      const notJson = await rejectionOf(store.putJobGraph(sessionOf(leader), 'orders', { vertices: [{ parallelism: Number.NaN }] }));
      expect(notJson).to.be.instanceOf(TypeError).with.property('message', 'graph.vertices[0].parallelism is NaN, which JSON cannot hold as it is');
      const badId = await rejectionOf(store.putJobGraph(sessionOf(leader), 'a/b', {}));
      expect(badId).to.be.instanceOf(InvalidOptionError);
      expect(await store.jobIds()).to.deep.equal([]);
    });
  });
}
