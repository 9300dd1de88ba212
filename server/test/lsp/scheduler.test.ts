// The scheduler alone (no server): when results are published, and which.
import * as assert from 'assert';
import { Scheduler, Snapshot, Stamped } from '../../src/lsp/scheduler';

/** A runner whose runs end when the test says so, and the results published, in order. */
function harness() {
  const ends: (() => void)[] = [];
  const published: string[] = [];
  let runs = 0;
  const sched = new Scheduler<string>(
    snap => new Promise<string>(resolve => { const n = ++runs; ends.push(() => resolve(`${snap.uri}@${snap.version}#${n}`)); }),
    (_uri: string, r: Stamped<string>) => { published.push(r.value); },
    // no debounce: every start is two setImmediate turns away
    { idleMs: 0, burstMs: 0 },
  );
  /** ends the oldest run still going, and lets its result through */
  const endRun = async (): Promise<void> => { ends.shift()?.(); await settle(); };
  return { sched, published, endRun, pending: () => ends.length };
}

/** the deferred starts (two setImmediate turns) and the promise chains after a run */
async function settle(): Promise<void> {
  for (let i = 0; i < 6; i++) await new Promise(r => setImmediate(r));
}

const doc = (version: number): Snapshot => ({ uri: 'file:///t/a.c', version, text: `v${version}` });

describe('lsp: the scheduler', function () {
  it('publishes the result of a run', async function () {
    const h = harness();
    h.sched.changed(doc(1));
    await settle();
    await h.endRun();
    assert.deepStrictEqual(h.published, ['file:///t/a.c@1#1']);
  });

  it('does not publish a first result that went stale during its run (an index ready meanwhile); its rerun is published', async function () {
    const h = harness();
    h.sched.changed(doc(1));
    await settle();
    h.sched.stale(doc(1));
    await h.endRun();
    assert.deepStrictEqual(h.published, []);
    assert.strictEqual(h.pending(), 1, 'the document runs again');
    await h.endRun();
    assert.deepStrictEqual(h.published, ['file:///t/a.c@1#2']);
  });

  it('still publishes a later result that went stale during its run (the best so far), and runs again', async function () {
    const h = harness();
    h.sched.changed(doc(1));
    await settle();
    await h.endRun();
    h.sched.changed(doc(2));
    await settle();
    h.sched.stale(doc(2));
    await h.endRun();
    assert.deepStrictEqual(h.published, ['file:///t/a.c@1#1', 'file:///t/a.c@2#2']);
    await h.endRun();
    assert.deepStrictEqual(h.published, ['file:///t/a.c@1#1', 'file:///t/a.c@2#2', 'file:///t/a.c@2#3']);
  });

  it('never publishes a run overtaken by an edit', async function () {
    const h = harness();
    h.sched.changed(doc(1));
    await settle();
    h.sched.changed(doc(2));
    await h.endRun();
    assert.deepStrictEqual(h.published, []);
    await h.endRun();
    assert.deepStrictEqual(h.published, ['file:///t/a.c@2#2']);
  });
});
