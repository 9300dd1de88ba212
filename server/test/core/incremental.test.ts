// An editor's document is re-parsed incrementally (AnalysisCache keeps the
// last tree): after any edit the tree and the analysis must be exactly what a
// fresh parse gives. Edits are seeded pseudo-random insertions and deletions,
// including ones inside kernel macros the preprocessor rewrites.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { AnalysisCache, analyseSource } from '../../src/core/analyse';
import { parse } from '../../src/core/syntax';
import { loadParser } from '../../src/host/treesitter';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const FILES = ['leaked-pages/loop_iterations.c', 'mismatched-release/fields.c', 'release-without-reference/kernel_iter.c', 'double-release/loops_helpers.c'];
const EDITS = ['', ' ', '\n', ';', '{', '}', 'x', 'for_each_sg(', '(', ')', '/*', '*/', '"', 'unpin_user_page(p);', 'put_page(p);\n'];

describe('incremental re-parse', function () {
  this.timeout(60_000);
  let parser: Parser;
  before(async () => { parser = await loadParser(); });

  it('gives the fresh parse\'s tree and findings after every edit', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (const f of FILES) {
      let text = fs.readFileSync(path.join(FIXTURES, f), 'utf8');
      const cache = new AnalysisCache();
      try {
        for (let i = 0; i < 40; i++) {
          const at = rand(text.length + 1);
          const del = rand(3) === 0 ? rand(12) : 0;
          text = text.slice(0, at) + EDITS[rand(EDITS.length)] + text.slice(Math.min(text.length, at + del));
          const inc = analyseSource(parser, text, {}, undefined, cache);
          const fresh = parse(parser, text)!;
          try {
            assert.strictEqual(cache.last!.tree.rootNode.toString(), fresh.rootNode.toString(), `${f}: tree after edit ${i}`);
          } finally {
            fresh.delete();
          }
          const plain = analyseSource(parser, text, {});
          assert.deepStrictEqual(JSON.parse(JSON.stringify(inc.findings)), JSON.parse(JSON.stringify(plain.findings)), `${f}: findings after edit ${i}`);
        }
      } finally {
        cache.dispose();
      }
      assert.strictEqual(cache.last, undefined);
    }
  });
});
