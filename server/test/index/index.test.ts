// The --tree index: definitions found by the text scan, summaries of helpers in
// other files (two files deep), the disk cache (reused, never trusted when
// corrupt or foreign), and trees with bad entries.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { analyseSource } from '../../src/core/analyse';
import type { Finding } from '../../src/core/types';
import { loadParser } from '../../src/host/treesitter';
import { CACHE_FORMAT, SCAN_FORMAT, ScanFileStore } from '../../src/index/cache';
import { definers, hashName, mergeScans, scanBuffer, scanTree } from '../../src/index/scan';
import { definitions, NOT_NAMES } from '../../src/index/definitions';
import { calledNames } from '../../src/index/text';
import { TreeIndex, type TreeIndexOptions } from '../../src/index/tree';

const ROOT = path.join(__dirname, '..', '..', '..');
const BASIC = path.join(__dirname, 'trees', 'basic');
const MAIN = path.join(BASIC, 'drivers', 'xdev', 'xdev_main.c');

const lineOf = (text: string, needle: string) => text.split('\n').findIndex(l => l.includes(needle));

describe('tree index', function () {
  this.timeout(120_000);
  let parser: Parser;
  let tmp: string;
  before(async () => { parser = await loadParser(); });
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-index-')); });
  afterEach(() => {
    for (const f of walkAll(tmp)) try { fs.chmodSync(f, 0o700); } catch { /* link */ }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const check = (file: string, opts: TreeIndexOptions = {}, tree = BASIC) => {
    const text = fs.readFileSync(file, 'utf8');
    const index = new TreeIndex(tree, parser, {}, { cacheDir: path.join(tmp, 'cache'), ...opts });
    const external = index.summariesFor(text, file);
    return { text, index, external, findings: analyseSource(parser, text, {}, external).findings };
  };
  const errorsIn = (fs_: Finding[], fn: string) => fs_.filter(f => f.function === fn && (f.severity === 'error' || f.severity === 'warning'));

  describe('definition scan', () => {
    it('finds non-static column-0 definitions, with the return type on the same or the line above', () => {
      const src = Buffer.from([
        'static int hidden(void)', '{', '}',
        'int shown(int a)', '{', '}',
        'void', 'two_lines(struct page **p)', '{', '}',
        'static void', 'hidden_too(void)', '{', '}',
        'int proto(int a);', 'EXPORT_SYMBOL(shown);', 'x = call(y)', 'if (a)',
      ].join('\n'));
      const names: number[] = [];
      scanBuffer(src, src.length, h => names.push(h));
      const scan = { files: ['f.c'], keys: new Float64Array(names.map(h => h * 2 ** 21)).sort(), classes: new Uint8Array(1), notes: [], bytes: 0, reused: 0, ms: 0 };
      assert.deepStrictEqual(['hidden', 'shown', 'two_lines', 'hidden_too', 'proto', 'EXPORT_SYMBOL', 'call', 'if'].filter(n => definers(scan, n).length),
        ['shown', 'two_lines']);
    });

    it('maps names to the files that define them; statics stay private to their file', () => {
      const scan = scanTree(BASIC);
      const rel = (n: string) => definers(scan, n).map(f => path.relative(BASIC, f)).sort();
      assert.deepStrictEqual(rel('xdev_drop_pages'), ['drivers/xdev/xdev_pages.c']);
      assert.deepStrictEqual(rel('xdev_release'), ['drivers/xdev/xdev_pages.c']);
      assert.deepStrictEqual(rel('xdev_unpin_all'), ['drivers/xdev/xdev_pages.c'], 'the static copy in ydev.c is not a definition for others');
      assert.deepStrictEqual(rel('arch_flush_user_pages').length, 4);
      assert.deepStrictEqual(rel('no_such_function'), []);
    });

    it('a word that names no function is no definition for the scan or the text, and no callee', () => {
      for (const w of NOT_NAMES) {
        const text = `int ${w}(void)\n{\n\tg();\n}\nint\n${w}(int a)\n{\n}\nvoid f(void)\n{\n\t${w}(x);\n}\n`;
        const hashes: number[] = [];
        scanBuffer(Buffer.from(text, 'latin1'), text.length, h => hashes.push(h));
        assert.deepStrictEqual(hashes, [hashName('f')], w);
        assert.deepStrictEqual([...definitions(text).keys()], ['f'], w);
        assert.deepStrictEqual([...calledNames(text)].sort(), ['f', 'g'], w);
      }
    });

    it('text definitions carry the return type line and end at the closing brace', () => {
      const text = 'void\nxdev_release(struct xdev *x)\n{\n\tf(x);\n}\nint g(void);\n';
      const d = definitions(text).get('xdev_release')!;
      assert.strictEqual(text.slice(d.start, d.end), 'void\nxdev_release(struct xdev *x)\n{\n\tf(x);\n}');
      assert.ok(!definitions(text).has('g'), 'a prototype is no definition');
    });
  });

  describe('summaries across files', () => {
    it('without the index a helper in another file is unknown: no finding', () => {
      const text = fs.readFileSync(MAIN, 'utf8');
      const f = analyseSource(parser, text, {}).findings.filter(x => x.severity === 'error' || x.severity === 'warning');
      assert.deepStrictEqual(f.map(x => `${x.function}:${x.code}`), []);
    });

    it('reports put_page() in a helper of another file on pinned pages, at the call, naming the helper', () => {
      const { text, findings } = check(MAIN);
      const f = errorsIn(findings, 'xdev_map_user');
      assert.strictEqual(f.length, 1, JSON.stringify(findings.map(x => x.message)));
      assert.strictEqual(f[0].code, 'mismatched-release');
      assert.strictEqual(f[0].helper, 'xdev_drop_pages');
      assert.strictEqual(f[0].range.start.line, lineOf(text, 'xdev_drop_pages(pages, ret);'));
      assert.match(f[0].message, /xdev_drop_pages/);
    });

    it('follows a helper of a helper (two files away)', () => {
      const { text, findings, external } = check(MAIN);
      assert.match(external!.get('xdev_release')!.text, /releases pages with put_page\(\)/);
      const f = errorsIn(findings, 'xdev_read_user');
      assert.deepStrictEqual(f.map(x => [x.code, x.helper, x.range.start.line]), [['mismatched-release', 'xdev_release', lineOf(text, 'xdev_release(x, pages, ret);')]]);
    });

    it('stops at the depth bound: with depth 1 the helper of the helper is not read', () => {
      const { findings, external } = check(MAIN, { maxDepth: 1 });
      assert.ok(!external?.has('xdev_release'));
      assert.deepStrictEqual(errorsIn(findings, 'xdev_read_user'), []);
      assert.strictEqual(errorsIn(findings, 'xdev_map_user').length, 1);
    });

    it('a helper that stores the pages in a struct takes them: no leaked-pages; the right release is clean', () => {
      const { findings, external } = check(MAIN);
      assert.match(external!.get('xdev_keep_pages')!.text, /takes pages/);
      assert.deepStrictEqual(errorsIn(findings, 'xdev_attach_user'), []);
      assert.deepStrictEqual(errorsIn(findings, 'xdev_map_user_ok'), [], 'unpin in the helper is right; the static put_page copy in ydev.c is not used');
    });

    it('a name defined in more than three files is ambiguous: no summary', () => {
      const { index, findings, external } = check(MAIN);
      assert.ok(!external?.has('arch_flush_user_pages'));
      assert.ok(index.stats.ambiguous >= 1);
      assert.deepStrictEqual(errorsIn(findings, 'xdev_flush_user'), []);
    });

    it('prefers the definition in the same folder, then the same subsystem', () => {
      const tree = path.join(tmp, 't');
      const helper = (body: string) => `#include <linux/mm.h>\n\nvoid near_put(struct page **pages, int nr)\n{\n\tint i;\n\n\tfor (i = 0; i < nr; i++)\n\t\t${body}(pages[i]);\n}\n`;
      write(tree, 'drivers/a/near.c', helper('unpin_user_page'));
      write(tree, 'fs/b/near.c', helper('put_page'));
      const main = write(tree, 'drivers/a/main.c', fs.readFileSync(MAIN, 'utf8').replace(/xdev_drop_pages/g, 'near_put'));
      const { external } = check(main, {}, tree);
      assert.match(external!.get('near_put')!.text, /unpin_user_page/);
    });

    it('ignores callees whose definitions cannot touch pages (nothing analysed for them)', () => {
      const tree = path.join(tmp, 't');
      fs.cpSync(BASIC, tree, { recursive: true });
      write(tree, 'lib/counter.c', 'void bump(int *c)\n{\n\t(*c)++;\n}\n');
      const main = path.join(tree, 'drivers', 'xdev', 'xdev_main.c');
      fs.writeFileSync(main, fs.readFileSync(MAIN, 'utf8').replace('xdev_copy_from(x, pages, ret);', 'bump(&x->copied);'));
      const seen: string[] = [];
      check(main, { onAnalyse: (_f, n) => seen.push(n) }, tree);
      assert.ok(seen.includes('xdev_drop_pages'), seen.join());
      assert.ok(!seen.includes('bump'), seen.join());
    });
  });

  describe('cache', () => {
    it('a second run with the same disk cache analyses nothing and gives the same summaries', () => {
      let analysed = 0;
      const first = check(MAIN, { onAnalyse: () => analysed++ });
      assert.ok(analysed >= 3, `first run analysed ${analysed}`);
      assert.strictEqual(first.index.stats.diskHits, 0);
      const files = fs.readdirSync(path.join(tmp, 'cache', 'summaries'));
      assert.strictEqual(files.length, analysed);
      analysed = 0;
      const second = check(MAIN, { onAnalyse: () => analysed++ });
      assert.strictEqual(analysed, 0);
      assert.strictEqual(second.index.stats.diskHits, files.length);
      assert.deepStrictEqual([...second.external!].sort(), [...first.external!].sort());
      assert.deepStrictEqual(second.findings, first.findings);
    });

    it('the same file changed is analysed again (content hash)', () => {
      const tree = path.join(tmp, 't');
      fs.cpSync(BASIC, tree, { recursive: true });
      const main = path.join(tree, 'drivers', 'xdev', 'xdev_main.c');
      check(main, {}, tree);
      const helper = path.join(tree, 'drivers', 'xdev', 'xdev_pages.c');
      fs.writeFileSync(helper, fs.readFileSync(helper, 'utf8').replace('put_page(pages[i]);\n}\n\nvoid xdev_unpin_all', 'unpin_user_page(pages[i]);\n}\n\nvoid xdev_unpin_all'));
      const seen: string[] = [];
      const again = check(main, { onAnalyse: (_f, n) => seen.push(n) }, tree);
      assert.ok(seen.includes('xdev_drop_pages'));
      assert.deepStrictEqual(errorsIn(again.findings, 'xdev_map_user'), []);
    });

    it('a long-lived index (the server) sees a helper edited on disk after invalidate()', () => {
      const tree = path.join(tmp, 't');
      fs.cpSync(BASIC, tree, { recursive: true });
      const main = path.join(tree, 'drivers', 'xdev', 'xdev_main.c');
      const helper = path.join(tree, 'drivers', 'xdev', 'xdev_pages.c');
      const text = fs.readFileSync(main, 'utf8');
      const index = new TreeIndex(tree, parser, {}, { cacheDir: null });
      assert.match(index.summariesFor(text, main)!.get('xdev_drop_pages')!.text, /put_page/);
      fs.writeFileSync(helper, fs.readFileSync(helper, 'utf8').replace(/put_page\(pages\[i\]\);\n}\n\nvoid xdev_unpin_all/, 'unpin_user_page(pages[i]);\n}\n\nvoid xdev_unpin_all'));
      index.invalidate();
      assert.match(index.summariesFor(text, main)!.get('xdev_drop_pages')!.text, /unpin_user_page/);
    });

    it('discards corrupt and foreign cache files and analyses again', () => {
      const first = check(MAIN);
      const dir = path.join(tmp, 'cache', 'summaries');
      const files = fs.readdirSync(dir).sort();
      assert.ok(files.length >= 3);
      const key = (f: string) => path.basename(f, '.json');
      // truncated JSON; a valid document for another key; a summary of the wrong shape; another program's file
      fs.writeFileSync(path.join(dir, files[0]), '{"format":"' + CACHE_FORMAT + '","key":"');
      fs.writeFileSync(path.join(dir, files[1]), JSON.stringify({ format: CACHE_FORMAT, key: '0'.repeat(64), summaries: [] }));
      fs.writeFileSync(path.join(dir, files[2]), JSON.stringify({ format: CACHE_FORMAT, key: key(files[2]), summaries: [{ name: 'xdev_drop_pages', params: [{ index: 'zero', effect: 'releases' }] }] }));
      for (const f of files.slice(3)) fs.writeFileSync(path.join(dir, f), JSON.stringify({ hello: 'world' }));
      let analysed = 0;
      const second = check(MAIN, { onAnalyse: () => analysed++ });
      assert.strictEqual(analysed, files.length, 'every damaged entry analysed again');
      assert.strictEqual(second.index.stats.diskHits, 0);
      assert.strictEqual(second.index.stats.discarded, files.length);
      assert.ok(second.index.notes.some(n => /discarded a corrupt or foreign cache file/.test(n)));
      assert.deepStrictEqual(second.findings, first.findings);
      // and rewritten well-formed
      for (const f of fs.readdirSync(dir)) assert.strictEqual(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).format, CACHE_FORMAT);
    });

    it('the definition scan is remembered by file stamp: unchanged files are not read again, changed ones are', () => {
      const tree = path.join(tmp, 't');
      fs.cpSync(BASIC, tree, { recursive: true });
      // stamps from the past (a file written in the last seconds is never remembered)
      const old = new Date(Date.now() - 3600_000);
      for (const f of walkAll(tree)) if (f.endsWith('.c') && fs.statSync(f).isFile()) fs.utimesSync(f, old, old);
      const notes: string[] = [];
      const store = new ScanFileStore(path.join(tmp, 'cache', 'scan'), m => notes.push(m));
      const plain = scanTree(tree);
      const first = scanTree(tree, store);
      assert.strictEqual(first.reused, 0);
      assert.deepStrictEqual(Array.from(first.keys), Array.from(plain.keys));
      const second = scanTree(tree, store);
      assert.strictEqual(second.reused, second.files.length, 'nothing read again');
      assert.strictEqual(second.bytes, 0);
      assert.deepStrictEqual(Array.from(second.keys), Array.from(plain.keys));
      // a helper gains a definition: its stamp changes, it alone is read again
      const helper = path.join(tree, 'drivers', 'xdev', 'xdev_pages.c');
      fs.appendFileSync(helper, '\nint xdev_new_helper(struct page **p)\n{\n\treturn 0;\n}\n');
      fs.utimesSync(helper, old, new Date(Date.now() - 60_000));
      const third = scanTree(tree, store);
      assert.strictEqual(third.reused, third.files.length - 1);
      assert.deepStrictEqual(definers(third, 'xdev_new_helper'), [helper]);
      assert.deepStrictEqual(notes, []);
      // a corrupt document, then one naming another root: discarded or ignored, the scan is right
      const [doc] = fs.readdirSync(path.join(tmp, 'cache', 'scan'));
      const file = path.join(tmp, 'cache', 'scan', doc);
      const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.strictEqual(saved.format, SCAN_FORMAT);
      fs.writeFileSync(file, JSON.stringify({ ...saved, counts: saved.counts.map((c: number) => c + 1) }));
      const fourth = scanTree(tree, store);
      assert.strictEqual(fourth.reused, 0);
      assert.deepStrictEqual(definers(fourth, 'xdev_new_helper'), [helper]);
      assert.ok(notes.some(n => /discarded a corrupt or foreign scan cache file/.test(n)), notes.join('\n'));
      fs.writeFileSync(file, JSON.stringify({ ...saved, root: '/elsewhere' }));
      assert.strictEqual(scanTree(tree, store).reused, 0);
    });

    it('a saved scan is taken for the tree unchecked (trustFor) only when whole: never one that lacks files being written, nor a damaged one', () => {
      const tree = path.join(tmp, 't');
      fs.cpSync(BASIC, tree, { recursive: true });
      const old = new Date(Date.now() - 3600_000);
      for (const f of walkAll(tree)) if (f.endsWith('.c') && fs.statSync(f).isFile()) fs.utimesSync(f, old, old);
      const helper = path.join(tree, 'drivers', 'xdev', 'xdev_pages.c');
      // the helpers' file was just written (a stamp ahead of the clock is recent whatever the machine's speed)
      const soon = new Date(Date.now() + 3600_000);
      fs.utimesSync(helper, soon, soon);
      const notes: string[] = [];
      const store = new ScanFileStore(path.join(tmp, 'cache', 'scan'), m => notes.push(m));
      const trust = { trustFor: 600_000 };
      const plain = scanTree(tree);
      const first = scanTree(tree, store, undefined, trust);
      assert.deepStrictEqual(definers(first, 'xdev_drop_pages'), [helper]);
      const [doc] = fs.readdirSync(path.join(tmp, 'cache', 'scan'));
      const file = path.join(tmp, 'cache', 'scan', doc);
      const partial = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.strictEqual(partial.complete, false);
      assert.ok(!partial.files.includes(path.relative(tree, helper)), 'a file written in the last seconds is not remembered');
      assert.strictEqual(store.trusted(tree, '', trust.trustFor), undefined);
      // the next process does not take it for the tree: it lists and stats, reads what is missing
      const second = scanTree(tree, store, undefined, trust);
      assert.deepStrictEqual(definers(second, 'xdev_drop_pages'), [helper]);
      assert.deepStrictEqual(Array.from(second.keys), Array.from(plain.keys));
      assert.strictEqual(second.reused, second.files.length - 1);
      // once the file has settled, the scan is saved whole and trusted: the tree is not even listed
      fs.utimesSync(helper, old, old);
      const third = scanTree(tree, store, undefined, trust);
      assert.strictEqual(JSON.parse(fs.readFileSync(file, 'utf8')).complete, true);
      assert.ok(store.trusted(tree, '', trust.trustFor));
      assert.strictEqual(store.trusted(tree, '', 0), undefined, 'too old');
      fs.writeFileSync(path.join(tree, 'drivers', 'xdev', 'late.c'), 'int late_helper(void)\n{\n\treturn 0;\n}\n');
      const fourth = scanTree(tree, store, undefined, trust);
      assert.deepStrictEqual(Array.from(fourth.keys), Array.from(third.keys));
      assert.deepStrictEqual(definers(fourth, 'late_helper'), [], 'trusted as saved (a build does not add sources)');
      fs.rmSync(path.join(tree, 'drivers', 'xdev', 'late.c'));
      assert.deepStrictEqual(notes, []);
      // cut short, empty, emptied by another process, or of the format before `complete`: never trusted, the tree is scanned
      const whole = fs.readFileSync(file, 'utf8');
      const { format, key, root } = JSON.parse(whole);
      const head = { format, key, root };
      for (const damaged of [whole.slice(0, whole.length >> 1), '',
        JSON.stringify({ ...head, complete: false, files: [], stamps: [], counts: [], classes: [], hashes: '' }),
        JSON.stringify({ ...head, complete: undefined, files: [], stamps: [], counts: [], classes: [], hashes: '' })]) {
        fs.writeFileSync(file, damaged);
        const again = scanTree(tree, store, undefined, trust);
        assert.deepStrictEqual(Array.from(again.keys), Array.from(plain.keys), JSON.stringify(damaged));
        assert.strictEqual(fs.readFileSync(file, 'utf8'), whole, 'saved whole again');
      }
      assert.ok(notes.some(n => /discarded a corrupt or foreign scan cache file/.test(n)), notes.join('\n'));
    });

    it('a scan split in shares across threads joins into the whole scan; each share is remembered apart', () => {
      const tree = path.join(tmp, 't');
      fs.cpSync(BASIC, tree, { recursive: true });
      const old = new Date(Date.now() - 3600_000);
      for (const f of walkAll(tree)) if (f.endsWith('.c') && fs.statSync(f).isFile()) fs.utimesSync(f, old, old);
      const whole = scanTree(tree);
      const store = new ScanFileStore(path.join(tmp, 'cache', 'scan'), () => undefined);
      const shares = [0, 1, 2].map(index => scanTree(tree, store, { index, count: 3 }));
      assert.ok(shares.every(p => p.keys.length < whole.keys.length));
      const merged = mergeScans(shares)!;
      assert.deepStrictEqual(merged.files, whole.files);
      assert.deepStrictEqual(Array.from(merged.keys), Array.from(whole.keys));
      assert.strictEqual(merged.bytes, whole.bytes);
      // each share from its own memory the second time
      const again = mergeScans([0, 1, 2].map(index => scanTree(tree, store, { index, count: 3 })))!;
      assert.strictEqual(again.reused, whole.files.length);
      assert.deepStrictEqual(Array.from(again.keys), Array.from(whole.keys));
      // listings that differ cannot be joined
      assert.strictEqual(mergeScans([shares[0], { ...shares[1], files: shares[1].files.slice(1) }]), undefined);
    });

    it('a checked file\'s analysis is reused for the same text, settings and helpers, and redone when a helper changes', () => {
      const tree = path.join(tmp, 't');
      fs.cpSync(BASIC, tree, { recursive: true });
      const main = path.join(tree, 'drivers', 'xdev', 'xdev_main.c');
      const text = fs.readFileSync(main, 'utf8');
      let computed = 0;
      const analyse = () => {
        const index = new TreeIndex(tree, parser, {}, { cacheDir: path.join(tmp, 'cache') });
        const external = index.summariesFor(text, main);
        const r = index.analysis(text, {}, external, [], () => { computed++; return analyseSource(parser, text, {}, external); });
        return { r, index };
      };
      const first = analyse();
      assert.strictEqual(computed, 1);
      const second = analyse();
      assert.strictEqual(computed, 1, 'the second run reads the result');
      assert.strictEqual(second.index.stats.resultHits, 1);
      const plain = (x: unknown) => JSON.parse(JSON.stringify(x));
      assert.deepStrictEqual(second.r, plain(first.r));
      assert.ok(first.r.findings.some(f => f.function === 'xdev_map_user'));
      // other settings: another entry
      const index = new TreeIndex(tree, parser, {}, { cacheDir: path.join(tmp, 'cache') });
      index.analysis(text, { kernelVersion: '6.1' }, index.summariesFor(text, main), [], () => { computed++; return analyseSource(parser, text, {}); });
      assert.strictEqual(computed, 2);
      // the helper in the other file now unpins: the summaries differ, so does the key
      const helper = path.join(tree, 'drivers', 'xdev', 'xdev_pages.c');
      fs.writeFileSync(helper, fs.readFileSync(helper, 'utf8').replace('put_page(pages[i]);\n}\n\nvoid xdev_unpin_all', 'unpin_user_page(pages[i]);\n}\n\nvoid xdev_unpin_all'));
      const third = analyse();
      assert.strictEqual(computed, 3);
      assert.ok(!third.r.findings.some(f => f.function === 'xdev_map_user' && f.severity === 'error'));
      // a damaged entry is discarded and computed again
      const dir = path.join(tmp, 'cache', 'results');
      for (const f of fs.readdirSync(dir)) {
        const doc = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
        doc.value.findings = [{ code: 'no-such-code' }];
        fs.writeFileSync(path.join(dir, f), JSON.stringify(doc));
      }
      const fourth = analyse();
      assert.strictEqual(computed, 4);
      assert.deepStrictEqual(plain(fourth.r), plain(third.r));
      assert.ok(fourth.index.stats.discarded >= 1);
    });

    it('never writes the cache inside the checked tree', () => {
      const tree = path.join(tmp, 't');
      fs.cpSync(BASIC, tree, { recursive: true });
      const main = path.join(tree, 'drivers', 'xdev', 'xdev_main.c');
      const { index, findings } = check(main, { cacheDir: path.join(tree, '.cache') }, tree);
      assert.ok(!fs.existsSync(path.join(tree, '.cache')));
      assert.ok(index.notes.some(n => /inside the tree/.test(n)));
      assert.strictEqual(errorsIn(findings, 'xdev_map_user').length, 1, 'the index still works, in memory');
    });
  });

  describe('bad trees', () => {
    it('symlink loops, unreadable, oversized, binary and Latin-1 files: skipped or read, never a crash', () => {
      const tree = path.join(tmp, 't');
      fs.cpSync(BASIC, tree, { recursive: true });
      fs.symlinkSync('..', path.join(tree, 'drivers', 'up'));
      fs.symlinkSync('self.c', path.join(tree, 'drivers', 'self.c'));
      fs.symlinkSync('missing.c', path.join(tree, 'drivers', 'dangling.c'));
      write(tree, 'drivers/locked.c', 'void locked_fn(struct page **p)\n{\n\tput_page(p[0]);\n}\n');
      fs.chmodSync(path.join(tree, 'drivers', 'locked.c'), 0);
      fs.mkdirSync(path.join(tree, 'drivers', 'closed'));
      write(tree, 'drivers/closed/inner.c', 'int inner(void)\n{\n\treturn 0;\n}\n');
      fs.chmodSync(path.join(tree, 'drivers', 'closed'), 0);
      write(tree, 'drivers/huge.c', '/* generated */\n' + 'int table_entry_0(void);\n'.repeat(120_000));
      fs.writeFileSync(path.join(tree, 'drivers', 'blob.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 10, 0x69, 0x6e, 0x74]));
      // the helper lives in a Latin-1 file (a name in a comment): read as Latin-1
      fs.writeFileSync(path.join(tree, 'drivers', 'xdev', 'xdev_pages.c'),
        Buffer.concat([Buffer.from('/* (c) J\xf6rg */\n', 'latin1'), fs.readFileSync(path.join(BASIC, 'drivers', 'xdev', 'xdev_pages.c'))]));
      const main = path.join(tree, 'drivers', 'xdev', 'xdev_main.c');
      const { index, text, findings } = check(main, {}, tree);
      const f = errorsIn(findings, 'xdev_map_user');
      assert.deepStrictEqual(f.map(x => [x.helper, x.range.start.line]), [['xdev_drop_pages', lineOf(text, 'xdev_drop_pages(pages, ret);')]]);
      assert.ok(index.notes.some(n => /huge\.c: skipped by the index/.test(n)), index.notes.join('\n'));
      if (process.getuid?.() !== 0) {
        assert.ok(index.notes.some(n => /locked\.c: unreadable/.test(n)), index.notes.join('\n'));
        assert.ok(index.notes.some(n => /closed: unreadable folder|unreadable folder .*closed/.test(n)), index.notes.join('\n'));
      }
      const scan = scanTree(tree);
      assert.strictEqual(new Set(scan.files.map(x => fs.realpathSync(x))).size, scan.files.length, 'each file once despite the loop');
      assert.strictEqual(index.stats.scannedFiles, scan.files.length);
    });

    it('an empty tree or a missing one gives no summaries and no exception', () => {
      fs.mkdirSync(path.join(tmp, 'empty'));
      const a = check(MAIN, {}, path.join(tmp, 'empty'));
      assert.strictEqual(a.external, undefined);
      const b = check(MAIN, {}, path.join(tmp, 'missing'));
      assert.strictEqual(b.external, undefined);
      assert.ok(b.index.notes.some(n => /unreadable folder/.test(n)));
    });
  });

  describe('the built CLI with --tree', () => {
    const CLI = path.join(ROOT, 'out', 'cli.js');
    before(function () {
      const b = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, encoding: 'utf8' });
      assert.strictEqual(b.status, 0, b.stderr);
    });
    const run = (args: string[], cwd: string, cache: string) =>
      spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache }, timeout: 60_000 });

    it('pinlens check --tree T T/drivers/x.c reports the helper finding; without --tree it does not', () => {
      const tree = path.join(tmp, 'T');
      fs.cpSync(BASIC, tree, { recursive: true });
      fs.renameSync(path.join(tree, 'drivers', 'xdev', 'xdev_main.c'), path.join(tree, 'drivers', 'x.c'));
      const cache = path.join(tmp, 'xdg');
      const withTree = run(['check', '--tree', 'T', 'T/drivers/x.c'], tmp, cache);
      assert.strictEqual(withTree.status, 1, withTree.stderr + withTree.stdout);
      const lines = withTree.stdout.split('\n').filter(l => / (error|warning): /.test(l));
      assert.strictEqual(lines.length, 2, withTree.stdout);
      assert.match(lines[0], /^T\/drivers\/x\.c:16:\d+: error: put_page\(\) via xdev_drop_pages\(\) .*\[mismatched-release\]/);
      assert.match(lines[1], /via xdev_release\(\)/);
      assert.ok(fs.readdirSync(path.join(cache, 'pinlens', 'summaries')).length > 0, 'the cache is under XDG_CACHE_HOME');
      assert.ok(!walkAll(tree).some(f => f.endsWith('.json')), 'nothing written into the tree');
      const warm = run(['check', '--format', 'json', '--tree', 'T', 'T/drivers/x.c'], tmp, cache);
      const text = fs.readFileSync(path.join(tree, 'drivers', 'x.c'), 'utf8');
      assert.deepStrictEqual(JSON.parse(warm.stdout).findings.map((f: { line: number }) => f.line), [16, lineOf(text, 'xdev_release(x, pages, ret);') + 1]);
      const without = run(['check', 'T/drivers/x.c'], tmp, cache);
      assert.strictEqual(without.status, 0, without.stdout);
    });
  });
});

function write(root: string, rel: string, text: string): string {
  const f = path.join(root, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
  return f;
}

function walkAll(dir: string): string[] {
  const out: string[] = [];
  let es: fs.Dirent[];
  try { es = fs.readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of es) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...walkAll(p));
  }
  return out;
}
