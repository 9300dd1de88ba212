// Field keys through embedded struct members whose definitions are in
// headers: a message's atomic op filled through the message in one file
// (`rm->atomic.op_sg`) and released by a teardown given the op in another
// (`ao->op_sg`, `struct em_atomic_op *ao`); an sg table embedded in a
// request, filled with extracted pages and the flag beside them. The
// structs are defined in a local header and in include/, found through the
// files' #include lines.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyseSource } from '../../src/core/analyse';
import { loadParser } from '../../src/host/treesitter';
import { analyseInTree } from '../../src/index/facts';
import { TreeIndex } from '../../src/index/tree';

const TREE = path.join(__dirname, 'trees', 'embed');
const FREE = path.join(TREE, 'drivers', 'em', 'em_free.c');

describe('index: struct fields through embedded members defined in headers', () => {
  let cacheDir: string;
  before(() => { cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-embed-')); });
  after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  it('judges a teardown given the inner struct by the fill through the outer one, in another file', async () => {
    const parser = await loadParser();
    const text = fs.readFileSync(FREE, 'utf8');
    const lines = text.split('\n');
    const line = (s: string, from = 0) => lines.findIndex((l, i) => i >= from && l.includes(s));
    // alone, the file does not know what em_sgl's members are: it asks
    const alone = analyseSource(parser, text, {});
    assert.deepStrictEqual(alone.structsWanted, ['em_sgl']);
    const index = new TreeIndex(TREE, parser, {}, { cacheDir });
    const r = analyseInTree(parser, text, FREE, {}, { index });
    assert.deepStrictEqual(r.facts.structs, { em_sgl: { sgt: 'sg_table', sgl: 'scatterlist[]' } });
    assert.deepStrictEqual(r.facts.fills.map(f => [f.key, f.mode, f.flag?.key, f.file]), [
      ['struct em_atomic_op.op_sg', 'PIN', undefined, path.join('drivers', 'em', 'em_send.c')],
      ['struct em_sgl.sgt', 'EXTRACT', 'struct em_sgl.need_unpin', path.join('drivers', 'em', 'em_send.c')],
    ]);
    // put_page() of the pinned entry is wrong, the unpins of it are right; the extracted pages'
    // unpin is right under the flag, and unpins pages that may hold nothing without it
    assert.deepStrictEqual(r.analysis.findings.map(f => [f.code, f.range.start.line]), [
      ['mismatched-release', line('put_page(sg_page(ao->op_sg))')],
      ['release-without-reference', line('unpin_user_page(sg_page(&sgl->sgt.sgl[i]))', line('em_free_sg_unguarded'))],
    ]);
    assert.match(r.analysis.findings[0].message, /em_atomic_args\(\) in drivers\/em\/em_send\.c .*pin_user_pages_fast/);
    const sites = (r.analysis.releaseSites ?? []).map(s => [s.function, s.provenance, s.modes.join()]);
    assert.deepStrictEqual(sites, [
      ['em_atomic_op_put', 'field', 'PIN'], ['em_atomic_op_unpin', 'field', 'PIN'],
      ['em_free_sg', 'field', 'EXTRACT'], ['em_free_sg_unguarded', 'field', 'EXTRACT'],
    ]);
  });

  it('does not resolve a struct two headers define differently, and says so', async () => {
    const parser = await loadParser();
    const file = path.join(TREE, 'drivers', 'et', 'et.c');
    const text = fs.readFileSync(file, 'utf8');
    const index = new TreeIndex(TREE, parser, {}, { cacheDir: null });
    const r = analyseInTree(parser, text, file, {}, { index });
    assert.deepStrictEqual(r.facts.structs, { et_box: null });
    assert.deepStrictEqual(r.analysis.findings.map(f => f.code), ['analysis-incomplete']);
    assert.match(r.analysis.findings[0].message, /struct et_box is defined more than once in the tree, differently/);
  });

  it('a cached result is not used once a header changes what a member is', async () => {
    const parser = await loadParser();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-embed-tree-'));
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-embed-cache-'));
    try {
      fs.cpSync(TREE, root, { recursive: true });
      const free = path.join(root, 'drivers', 'em', 'em_free.c');
      const text = fs.readFileSync(free, 'utf8');
      const check = () => {
        const index = new TreeIndex(root, parser, {}, { cacheDir: cache });
        const r = analyseInTree(parser, text, free, {}, { index, resultCache: true });
        return { codes: r.analysis.findings.map(f => f.code).sort(), hits: index.stats.resultHits };
      };
      assert.deepStrictEqual(check(), { codes: ['mismatched-release', 'release-without-reference'], hits: 0 });
      assert.deepStrictEqual(check().hits > 0, true, 'the unchanged tree is answered from the cache');
      // the request's list becomes a pointer: `sgl->sgt` is no longer the table em_send.c fills through `rsgl->sgl.sgt`
      const h = path.join(root, 'include', 'linux', 'em_sgl.h');
      fs.writeFileSync(h, fs.readFileSync(h, 'utf8').replace('struct em_sgl sgl;', 'struct em_other *sgl;'));
      assert.deepStrictEqual(check().codes, ['mismatched-release']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});
