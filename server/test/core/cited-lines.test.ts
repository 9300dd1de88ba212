// The lines a finding's message cites are data (Finding.cited): an editor's
// cached function results, moved after an edit above them, must cite the
// lines a fresh analysis of the edited text cites — every one of them, in
// the message and in the data — while lines above the edit stay put.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { AnalysisCache, analyseSource } from '../../src/core/analyse';
import { renderCited } from '../../src/core/cite';
import type { FileAnalysis } from '../../src/core/types';
import { loadParser } from '../../src/host/treesitter';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap(e =>
  e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.c') ? [path.join(dir, e.name)] : []);

describe('lines cited by messages', function () {
  this.timeout(120_000);
  let parser: Parser;
  before(async () => { parser = await loadParser(); });

  /**
   * The analysis of `edited` from a cache filled with `text`'s, and whether
   * every function came from the cache (a function judged again by its
   * callers' modes is not: the words that name them cite their lines).
   */
  function cachedAfterEdit(text: string, edited: string): { first: FileAnalysis; cached: FileAnalysis; hits: boolean } {
    const cache = new AnalysisCache(false);
    const first = analyseSource(parser, text, {}, undefined, cache);
    const stored = new Set(cache.values());
    const cached = analyseSource(parser, edited, {}, undefined, cache);
    return { first, cached, hits: [...cache.values()].every(v => stored.has(v)) };
  }

  it('an edit above a finding moves every line its message cites, as a fresh analysis has them', () => {
    let moved = 0, reused = 0;
    for (const file of walk(FIXTURES)) {
      const name = path.relative(FIXTURES, file);
      const text = fs.readFileSync(file, 'utf8');
      const edited = '/* three lines\n * added above\n */\n' + text;
      const { first, cached, hits } = cachedAfterEdit(text, edited);
      if (hits) reused++;
      const fresh = analyseSource(parser, edited);
      assert.deepStrictEqual(cached.findings, fresh.findings, name);
      assert.deepStrictEqual(cached.callSites, fresh.callSites, name);
      for (const f of cached.findings) if (f.cited) assert.strictEqual(f.message, renderCited(f.cited), `${name}: message rendered from its lines`);
      const before = first.findings.filter(f => f.cited);
      const after = cached.findings.filter(f => f.cited);
      assert.strictEqual(after.length, before.length, name);
      before.forEach((f, i) => {
        assert.deepStrictEqual(after[i].cited!.lines, f.cited!.lines.map(l => l + 3), `${name}: ${f.message}`);
        moved += f.cited!.lines.length;
      });
    }
    assert.ok(moved >= 50, `only ${moved} cited lines in the fixtures`);
    assert.ok(reused >= 20, `only ${reused} files analysed again wholly from the cache`);
  });

  it('an edit between functions moves the lines cited below it and keeps those above', () => {
    let kept = 0, files = 0;
    for (const file of walk(FIXTURES)) {
      const name = path.relative(FIXTURES, file);
      const text = fs.readFileSync(file, 'utf8');
      const lines = text.split('\n');
      const first = analyseSource(parser, text).findings.filter(f => f.cited);
      if (first.length < 2) continue;
      // after the closing brace of a function, between the first and the last finding that cite lines
      const lo = first[0].range.start.line, hi = first[first.length - 1].range.start.line;
      const at = lines.findIndex((l, i) => i > lo && i < hi && l === '}');
      if (at < 0) continue;
      const edited = [...lines.slice(0, at + 1), '', '/* added between functions */', ...lines.slice(at + 1)].join('\n');
      const { cached } = cachedAfterEdit(text, edited);
      const fresh = analyseSource(parser, edited);
      assert.deepStrictEqual(cached.findings, fresh.findings, name);
      for (const f of cached.findings) {
        if (f.cited && f.range.start.line < at) kept += f.cited.lines.filter(l => l < at).length;
      }
      files++;
    }
    assert.ok(files >= 5 && kept >= 5, `${files} files, ${kept} cited lines above the edit`);
  });
});
