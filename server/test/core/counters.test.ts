// The page-counter model against what mm/gup.c (6.12) does: try_grab_folio()
// and gup_put_folio(), GUP_PIN_COUNTING_BIAS, folio_maybe_dma_pinned().
import * as assert from 'assert';
import { GUP_PIN_COUNTING_BIAS, consequence, contribution, drop, dropPair, freshFolio, grab, maybeDmaPinned, pairFor } from '../../src/core/counters';

describe('page counters', () => {
  it('FOLL_GET adds one reference on small and large folios, put_page drops it', () => {
    for (const large of [false, true]) {
      const f = grab(freshFolio(large), 'GET');
      assert.strictEqual(f.refcount, 2);
      assert.strictEqual(f.pincount, 0);
      assert.strictEqual(maybeDmaPinned(f), false);
      assert.deepStrictEqual(drop(f, 'put'), freshFolio(large));
    }
  });

  it('FOLL_PIN on a small folio adds GUP_PIN_COUNTING_BIAS (1024) to the refcount', () => {
    const f = grab(freshFolio(false), 'PIN');
    assert.strictEqual(GUP_PIN_COUNTING_BIAS, 1024);
    assert.strictEqual(f.refcount, 1 + 1024);
    assert.strictEqual(f.pincount, 0);
    assert.strictEqual(maybeDmaPinned(f), true);
    assert.deepStrictEqual(drop(f, 'unpin'), freshFolio(false));
  });

  it('FOLL_PIN on a large folio adds 1 to the refcount and 1 to _pincount', () => {
    const f = grab(freshFolio(true), 'PIN');
    assert.deepStrictEqual([f.refcount, f.pincount], [2, 1]);
    assert.strictEqual(maybeDmaPinned(f), true);
    assert.deepStrictEqual(drop(f, 'unpin'), freshFolio(true));
  });

  it('put_page on a pinned small folio leaves it looking pinned forever', () => {
    const f = drop(grab(freshFolio(false), 'PIN'), 'put');
    assert.strictEqual(f.refcount, 1024);
    assert.strictEqual(maybeDmaPinned(f), true);
    assert.match(consequence({ small: f, large: drop(grab(freshFolio(true), 'PIN'), 'put') }, 'PIN'), /refcount stays at 1024 .*folio_maybe_dma_pinned\(\) stays true/);
  });

  it('put_page on a pinned large folio drops the reference but keeps _pincount', () => {
    const f = drop(grab(freshFolio(true), 'PIN'), 'put');
    assert.deepStrictEqual([f.refcount, f.pincount], [1, 1]);
    assert.strictEqual(maybeDmaPinned(f), true);
  });

  it('unpin on a referenced small folio underflows the refcount', () => {
    const p = dropPair(pairFor('GET'), 'unpin');
    assert.ok(p.small.refcount < 1);
    assert.strictEqual(p.large.pincount, -1);
    assert.match(consequence(p, 'GET'), /underflows/);
  });

  it('pages from a kernel-backed extraction hold nothing', () => {
    assert.deepStrictEqual(contribution(grab(freshFolio(false), 'NONE')), { refcount: 0, pincount: 0, maybeDmaPinned: false });
  });
});
