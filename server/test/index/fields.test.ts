// Ownership through struct fields across the files of a folder (and, for a
// struct declared in a header, of the tree): a kref release that put_page()s
// a field another file filled with pinned pages.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyseSource } from '../../src/core/analyse';
import { loadParser } from '../../src/host/treesitter';
import { TreeIndex } from '../../src/index/tree';

const TREE = path.join(__dirname, 'trees', 'fields');
const RELEASE = path.join(TREE, 'drivers', 'xr', 'xr_release.c');

describe('index: struct fields filled in another file', () => {
  let cacheDir: string;
  before(() => { cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-fields-')); });
  after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  it('judges a teardown by the file that fills the field', async () => {
    const parser = await loadParser();
    const text = fs.readFileSync(RELEASE, 'utf8');
    const alone = analyseSource(parser, text, {});
    assert.deepStrictEqual(alone.findings.map(f => f.code), [], 'without the folder nothing is known');
    assert.deepStrictEqual(alone.openFieldReleases?.sort(), ['struct xr_ctx.pages', 'struct xr_frames.pages']);
    const index = new TreeIndex(TREE, parser, {}, { cacheDir });
    const fills = index.fieldFillsFor(RELEASE, alone.openFieldReleases!);
    assert.deepStrictEqual(fills.map(f => [f.key, f.mode, f.file]).sort(), [
      ['struct xr_ctx.pages', 'PIN', path.join('drivers', 'xr', 'xr_main.c')],
      ['struct xr_frames.pages', 'GET', path.join('drivers', 'xr', 'xr_frames.c')],
    ]);
    const r = analyseSource(parser, text, {}, undefined, undefined, fills);
    const line = (s: string) => text.split('\n').findIndex(l => l.includes(s));
    // the put_page() of pinned pages is wrong; release_pages() of referenced frames is right
    assert.deepStrictEqual(r.findings.map(f => [f.code, f.range.start.line]), [['mismatched-release', line('put_page(c->pages[i])')]]);
    assert.match(r.findings[0].message, /xr_map\(\) in drivers\/xr\/xr_main\.c .*pin_user_pages_fast/);
  });

  it('judges a teardown of extracted pages by the flag the other file sets beside them', async () => {
    const parser = await loadParser();
    const file = path.join(TREE, 'drivers', 'xf', 'xf_release.c');
    const text = fs.readFileSync(file, 'utf8');
    const alone = analyseSource(parser, text, {});
    assert.deepStrictEqual(alone.findings.map(f => f.code), [], 'without the folder nothing is known');
    assert.deepStrictEqual(alone.openFieldReleases, ['struct xf_req.pages']);
    const index = new TreeIndex(TREE, parser, {}, { cacheDir });
    const fills = index.fieldFillsFor(file, alone.openFieldReleases!);
    // (both files include xf.h: the flag's key is that of the embedded struct it is a member of)
    // (the flag is known for one once the fills name it: then its struct is asked for)
    const structs = index.structsFor(file, text, analyseSource(parser, text, {}, undefined, undefined, fills).structsWanted);
    assert.deepStrictEqual(structs, { xf_req: { ref: 'kref', args: 'xf_args', pages: '*page' }, xf_args: {} });
    assert.deepStrictEqual(fills.map(f => [f.key, f.mode, f.flag?.key, f.flag?.pinned, f.file]), [
      // (the flag is a member of the embedded `struct xf_args args`: its key is that struct's)
      ['struct xf_req.pages', 'EXTRACT', 'struct xf_args.pinned', true, path.join('drivers', 'xf', 'xf_main.c')],
    ]);
    const r = analyseSource(parser, text, {}, undefined, undefined, fills, undefined, structs);
    const line = (s: string) => text.split('\n').findIndex(l => l.includes(s));
    // the unpin under rq->args.pinned is right; unguarded it unpins pages that hold nothing; put_page is wrong either way
    assert.deepStrictEqual(r.findings.map(f => [f.code, f.range.start.line]), [
      ['release-without-reference', line('unpin_user_pages(rq->pages, rq->nr)')],
      ['mismatched-release', line('put_page(rq->pages[i])')],
    ]);
    assert.match(r.findings[0].message, /without testing rq->args\.pinned.*xf_map\(\) in drivers\/xf\/xf_main\.c \(line 11\).*\(line 14\)/);
  });

  it('looks beyond the folder for a struct declared in a header, not for one a file declares itself', async () => {
    const parser = await loadParser();
    const file = path.join(TREE, 'drivers', 'xt', 'release', 'xt_release.c');
    const text = fs.readFileSync(file, 'utf8');
    const alone = analyseSource(parser, text, {});
    assert.deepStrictEqual(alone.openFieldReleases?.sort(), ['struct xt_buf.pages', 'struct xu_own.pages']);
    const index = new TreeIndex(TREE, parser, {}, { cacheDir });
    const fills = index.fieldFillsFor(file, alone.openFieldReleases!);
    // (xu_map.c fills a struct xu_own of its own: not this file's)
    assert.deepStrictEqual(fills.map(f => [f.key, f.mode, f.file]), [['struct xt_buf.pages', 'PIN', path.join('drivers', 'xt', 'core', 'xt_map.c')]]);
    const r = analyseSource(parser, text, {}, undefined, undefined, fills);
    const line = (s: string) => text.split('\n').findIndex(l => l.includes(s));
    assert.deepStrictEqual(r.findings.map(f => [f.code, f.range.start.line]), [['mismatched-release', line('put_page(b->pages[i])')]]);
    assert.match(r.findings[0].message, /xt_map\(\) in drivers\/xt\/core\/xt_map\.c/);
  });

  it('a file that comes to fill the field beyond the folder counts once the index is told it changed', async () => {
    const parser = await loadParser();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-fields-tree-'));
    try {
      fs.cpSync(TREE, root, { recursive: true });
      const file = path.join(root, 'drivers', 'xt', 'release', 'xt_release.c');
      const keys = ['struct xt_buf.pages'];
      const index = new TreeIndex(root, parser, {}, { cacheDir: fs.mkdtempSync(path.join(cacheDir, 'x-')) });
      const modes = () => index.fieldFillsFor(file, keys).map(f => [f.mode, f.file]).sort();
      assert.deepStrictEqual(modes(), [['PIN', path.join('drivers', 'xt', 'core', 'xt_map.c')]]);
      // a new filler in a third folder, taking references
      const extra = path.join(root, 'drivers', 'xt', 'extra', 'xt_more.c');
      fs.mkdirSync(path.dirname(extra), { recursive: true });
      fs.writeFileSync(extra, fs.readFileSync(path.join(root, 'drivers', 'xt', 'core', 'xt_map.c'), 'utf8')
        .replace(/\bxt_map\b/g, 'xt_more').replace('pin_user_pages_fast(', 'get_user_pages_fast(').replace('unpin_user_pages(', 'release_pages('));
      index.filesChanged([extra]);
      assert.deepStrictEqual(modes(), [['GET', path.join('drivers', 'xt', 'extra', 'xt_more.c')], ['PIN', path.join('drivers', 'xt', 'core', 'xt_map.c')]]);
      // and gone again
      fs.rmSync(extra);
      index.filesChanged([extra]);
      assert.deepStrictEqual(modes(), [['PIN', path.join('drivers', 'xt', 'core', 'xt_map.c')]]);
    } finally { fs.rmSync(root, { recursive: true, force: true }); }
  });

  it('a view of the tree (a patch side) sees its own files beyond the folder, and its index the disk', async () => {
    const parser = await loadParser();
    const file = path.join(TREE, 'drivers', 'xt', 'release', 'xt_release.c');
    const map = path.join(TREE, 'drivers', 'xt', 'core', 'xt_map.c');
    const keys = ['struct xt_buf.pages'];
    const index = new TreeIndex(TREE, parser, {}, { cacheDir });
    const modes = (ix: TreeIndex) => ix.fieldFillsFor(file, keys).map(f => [f.mode, f.file]);
    const where = path.join('drivers', 'xt', 'core', 'xt_map.c');
    assert.deepStrictEqual(modes(index), [['PIN', where]]);
    // the patch side where the filler takes references: the view reads that file as the patch has it
    const got = fs.readFileSync(map, 'utf8').replace('pin_user_pages_fast(', 'get_user_pages_fast(').replace('unpin_user_pages(', 'release_pages(');
    assert.deepStrictEqual(modes(index.withFiles(new Map([[map, got]]))), [['GET', where]]);
    // the side where the filler is gone: nothing fills the field
    assert.deepStrictEqual(modes(index.withFiles(new Map([[map, undefined]]))), []);
    // and the index itself still has the disk's
    assert.deepStrictEqual(modes(index), [['PIN', where]]);
  });
});
