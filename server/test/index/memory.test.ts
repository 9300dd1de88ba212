// The bounds that keep a long run's memory small: the per-function result
// cache the index shares across the helper slices and folder files it
// analyses (entries and key characters, oldest out first), and strings copied out of what V8 would
// keep for them.
import * as assert from 'assert';
import type { Parser } from 'web-tree-sitter';
import { AnalysisCache, analyseSource } from '../../src/core/analyse';
import { ownString } from '../../src/host/memory';
import { loadParser } from '../../src/host/treesitter';

/** A file of `n` functions that take and release pages, each of its own text. */
const file = (n: number, from = 0) => Array.from({ length: n }, (_, k) => `int f${from + k}(unsigned long addr)
{
\tstruct page *pages[${from + k + 1}];
\tint got = pin_user_pages_fast(addr, ${from + k + 1}, FOLL_WRITE, pages);
\tif (got <= 0)
\t\treturn got;
\tunpin_user_pages(pages, got);
\treturn 0;
}
`).join('\n');

describe('index: memory bounds', function () {
  this.timeout(60_000);
  let parser: Parser;
  before(async () => { parser = await loadParser(); });

  it('a shared function cache keeps at most its entries, the newest', () => {
    const cache = new AnalysisCache(false, { entries: 5, steps: 1_000_000, chars: 1_000_000 });
    const first = analyseSource(parser, file(12), {}, undefined, cache);
    assert.strictEqual(first.functions, 12);
    assert.strictEqual(cache.size, 5, 'five of twelve kept');
    const kept = [...cache.keys()].map(k => /^int (f\d+)/.exec(k)?.[1]);
    assert.deepStrictEqual(kept, ['f7', 'f8', 'f9', 'f10', 'f11'], 'the oldest went first');
    // the functions kept, in another text, and one more: the oldest goes for it
    const stored = new Set(cache.values());
    analyseSource(parser, `${file(5, 7)}\n${file(1, 40)}`, {}, undefined, cache);
    assert.strictEqual([...cache.values()].filter(v => stored.has(v)).length, 4);
    assert.deepStrictEqual([...cache.keys()].map(k => /^int (f\d+)/.exec(k)?.[1]), ['f8', 'f9', 'f10', 'f11', 'f40']);
  });

  it('a shared function cache keeps at most its key characters', () => {
    const one = new AnalysisCache(false, { entries: 1000, steps: 1_000_000, chars: 1_000_000 });
    analyseSource(parser, file(1), {}, undefined, one);
    const keyChars = [...one.keys()][0].length;
    // (a key longer than an eighth of the bound is never kept)
    const bound = Math.floor(keyChars * 8.5);
    const cache = new AnalysisCache(false, { entries: 1000, steps: 1_000_000, chars: bound });
    analyseSource(parser, file(12), {}, undefined, cache);
    const chars = [...cache.keys()].reduce((n, k) => n + k.length, 0);
    assert.ok(cache.size >= 7 && cache.size <= 8, `${cache.size} entries kept`);
    assert.ok(chars <= bound, `${chars} key characters kept, bound ${bound}`);
  });

  it('a string of its own is the same string', () => {
    const made = ['/tmp', 'linux', 'drivers', 'infiniband', 'core', 'umem.c'].reduce((a, b) => `${a}/${b}`);
    for (const s of [made, 'é/ü/ファイル.c', '', 'x']) assert.strictEqual(ownString(s), s);
    // a lone surrogate cannot go through UTF-8: the string stays as it was
    const lone = 'a\ud800b';
    assert.strictEqual(ownString(lone), lone);
  });
});
