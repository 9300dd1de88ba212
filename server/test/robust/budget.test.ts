// The core under hostile shapes: nesting the stack cannot take by recursion
// and single functions whose states or findings grow without bound end
// quickly, with what was found so far and an analysis-incomplete note.
import * as assert from 'assert';
import { analyseSource } from '../../src/core/analyse';
import { loadParser } from '../../src/host/treesitter';
import { BIG, DEEP, NEAR_LIMIT, NESTED_OK } from './shapes';

const incomplete = (fs: { code: string; message: string }[]) => fs.filter(f => f.code === 'analysis-incomplete').map(f => f.message);

describe('robustness: depth and work budgets of the core', function () {
  this.timeout(60_000);

  for (const [name, src] of Object.entries(DEEP)) {
    it(`${name}: no stack overflow, an analysis-incomplete note for the function`, async () => {
      const a = analyseSource(await loadParser(), src, {});
      const notes = incomplete(a.findings);
      // parentheses the grammar may fold differently: either the depth limit or a clean analysis, never a throw
      assert.ok(notes.length === 1 && /nests more than \d+ levels deep/.test(notes[0]), JSON.stringify(a.findings.map(f => f.message)));
      assert.ok(a.notes.every(n => !/not analysed \(/.test(n)), a.notes.join('\n'));
    });
  }

  for (const [name, src] of Object.entries(NEAR_LIMIT)) {
    it(`${name} just under the depth limit: analysed in bounded time`, async () => {
      const t = Date.now();
      const a = analyseSource(await loadParser(), src, {});
      assert.ok(!incomplete(a.findings).some(m => /nests more than/.test(m)), JSON.stringify(incomplete(a.findings)));
      assert.ok(Date.now() - t < 10_000, `took ${Date.now() - t} ms`);
    });
  }

  it('analyses nesting under the depth limit as usual', async () => {
    const a = analyseSource(await loadParser(), NESTED_OK, {});
    assert.deepStrictEqual(incomplete(a.findings), []);
    assert.ok(a.findings.some(f => f.code === 'mismatched-release'), JSON.stringify(a.findings.map(f => f.code)));
  });

  for (const [name, src] of Object.entries(BIG)) {
    it(`${name}: ends within seconds with a budget note`, async () => {
      const parser = await loadParser();
      const t = Date.now();
      const a = analyseSource(parser, src, {});
      const ms = Date.now() - t;
      const notes = incomplete(a.findings);
      assert.strictEqual(notes.length, 1, JSON.stringify(notes));
      assert.match(notes[0], /budget ran out|paths grew past/);
      // ~1 s on an idle 2-core machine; generous for a shared one
      assert.ok(ms < 15_000, `took ${ms} ms`);
    });
  }

  it('keeps the findings found before the budget ran out', async () => {
    const a = analyseSource(await loadParser(), BIG['releases-10000'], {});
    const doubles = a.findings.filter(f => f.code === 'double-release');
    assert.ok(doubles.length > 100, `${doubles.length} double releases kept`);
    // and what they carry stays bounded (the paths of all findings together)
    assert.ok(doubles.reduce((n, f) => n + f.path.length, 0) <= 200_000 + doubles.length);
  });

  it('the same function gives the same answer every run (the budget has no clock)', async () => {
    const parser = await loadParser();
    const once = JSON.stringify(analyseSource(parser, BIG['ifs-200-around-acquires'], {}).findings);
    assert.strictEqual(JSON.stringify(analyseSource(parser, BIG['ifs-200-around-acquires'], {}).findings), once);
  });
});
