// The file selection of `pinlens check` (index/select.ts) against the
// exhaustive run: on a sample tree whose files reach pages directly, through
// helpers one and two files away, or not at all, the selective run gives the
// findings and call sites of --all-files, on one thread and on workers, cold
// and warm; and the summary says what was skipped and why.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadParser } from '../../src/host/treesitter';
import { TreeIndex } from '../../src/index/tree';
import { CLASSIFIED, MAY_TAKE_HELPERS, NAMES_API, classifyBytes, classifyText } from '../../src/index/select';
import { scanTree } from '../../src/index/scan';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'out', 'cli.js');
const TREE = path.join(__dirname, '..', 'index', 'trees', 'select');

interface Report {
  findings: { file: string; line: number; code: string; message: string; function: string }[];
  callSites: { file: string; line: number; api: string; mode: string }[];
  stats: { files: number; selection?: Record<string, number> };
}

function check(args: string[], cache: string): Report {
  const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--tree', TREE, ...args, TREE],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, XDG_CACHE_HOME: cache } });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

const what = (r: Report) => ({
  findings: r.findings.map(f => `${f.file}:${f.line}: [${f.code}] ${f.function}: ${f.message}`).sort(),
  callSites: r.callSites.map(c => `${c.file}:${c.line}: ${c.api} ${c.mode}`).sort(),
});

describe('pinlens check: only the files that can have a finding', function () {
  this.timeout(120_000);
  let tmp: string;
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-select-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('gives the findings and call sites of --all-files, on one thread and on workers, cold and warm', () => {
    const all = check(['--all-files', '--jobs', '1'], path.join(tmp, 'a'));
    // the sample reaches pages through helpers: the exhaustive run finds them
    assert.ok(all.findings.some(f => f.file.endsWith('sel_user.c') && f.code === 'mismatched-release'), JSON.stringify(all.findings));
    assert.ok(all.callSites.some(c => c.file.endsWith('sel_list.c') && c.api === 'sel_grab'), JSON.stringify(all.callSites));
    assert.strictEqual(all.stats.selection, undefined);
    for (const args of [['--jobs', '1'], ['--jobs', '2']]) {
      const cache = path.join(tmp, args.join(''));
      for (const run of ['cold', 'warm']) {
        const sel = check(args, cache);
        assert.deepStrictEqual(what(sel), what(all), `${args.join(' ')}, ${run}`);
        assert.deepStrictEqual(sel.stats.selection, {
          checked: 8, namePageApi: 4, callPageHelper: 4, unread: 0,
          skipped: 2, noPageApi: 1, noPageHelper: 1,
        }, `${args.join(' ')}, ${run}`);
        assert.strictEqual(sel.stats.files, 10);
      }
    }
  });

  it('answers an unchanged tree from what the last run learnt, with no worker; a helper edited since is looked up again', () => {
    // a copy whose files are not new (a file written in the last seconds makes no stamp to trust)
    const tree = path.join(tmp, 'tree');
    fs.cpSync(TREE, tree, { recursive: true });
    const old = (Date.now() - 3_600_000) / 1000;
    const age = (d: string) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const f = path.join(d, e.name); if (e.isDirectory()) age(f); else fs.utimesSync(f, old, old); } };
    age(tree);
    const log = path.join(tmp, 'workers.log');
    const mark = path.join(tmp, 'mark.cjs');
    fs.writeFileSync(mark, `if (!require('worker_threads').isMainThread && require('worker_threads').workerData?.kind === 'pinlens-check-worker') require('fs').appendFileSync(${JSON.stringify(log)}, 'worker\\n');\n`);
    const run = (args: string[]) => {
      fs.rmSync(log, { force: true });
      const r = spawnSync(process.execPath, ['--require', mark, CLI, 'check', '--format', 'json', '--tree', tree, ...args, tree],
        { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, XDG_CACHE_HOME: path.join(tmp, 'cache') } });
      assert.ok(r.status === 0 || r.status === 1, r.stderr);
      return { rep: JSON.parse(r.stdout) as Report & { stats: { index: Record<string, number> } }, workers: fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0 };
    };
    const all = run(['--all-files', '--jobs', '1']).rep;
    const cold = run(['--jobs', '2']);
    assert.strictEqual(cold.workers, 2);
    assert.deepStrictEqual(what(cold.rep), what(all));
    const warm = run(['--jobs', '2']);
    assert.strictEqual(warm.workers, 0, 'no worker thread for an unchanged tree');
    assert.deepStrictEqual(what(warm.rep), what(all));
    assert.deepStrictEqual(warm.rep.stats.selection, cold.rep.stats.selection);
    assert.strictEqual(warm.rep.stats.index.resultsReused, 8, JSON.stringify(warm.rep.stats.index));
    assert.strictEqual(warm.rep.stats.index.scannedFiles, cold.rep.stats.index.scannedFiles);
    // sel_drop() now unpins: sel_user.c's mismatch is gone, though sel_user.c itself is unchanged
    const lib = path.join(tree, 'lib', 'sel_lib.c');
    fs.writeFileSync(lib, fs.readFileSync(lib, 'utf8').replace('put_page(pages[i]);', 'unpin_user_page(pages[i]);'));
    fs.utimesSync(lib, old, old);
    const edited = run(['--jobs', '2']);
    const allEdited = run(['--all-files', '--jobs', '1']).rep;
    assert.deepStrictEqual(what(edited.rep), what(allEdited));
    assert.ok(what(all).findings.some(f => /sel_user\.c.*mismatched-release/.test(f)));
    assert.ok(!what(edited.rep).findings.some(f => /sel_user\.c.*mismatched-release/.test(f)), JSON.stringify(what(edited.rep).findings));
  });

  it('says on the summary line how many files were checked and why the others were skipped', () => {
    const r = spawnSync(process.execPath, [CLI, 'check', '--tree', TREE, TREE], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: tmp } });
    assert.match(r.stdout, /8 file\(s\) checked \(4 name a page API, 4 call a helper that handles pages\), 2 skipped: they cannot have a finding \(1 name no page API, page type or hand-off; 1 name page types but call no page API and no helper that handles pages/);
  });

  it('without --tree, checks the files that name a page API and skips the others', () => {
    const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--jobs', '1', TREE], { cwd: ROOT, encoding: 'utf8' });
    const rep = JSON.parse(r.stdout) as Report;
    assert.deepStrictEqual(rep.stats.selection, { checked: 4, namePageApi: 4, callPageHelper: 0, unread: 0, skipped: 6, noPageApi: 1, noPageHelper: 5 });
    const all = JSON.parse(spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--jobs', '1', '--all-files', TREE], { cwd: ROOT, encoding: 'utf8' }).stdout) as Report;
    assert.deepStrictEqual(what(rep), what(all));
  });

  it('classifies text by the catalog names, page types and hand-offs; bytes and text agree', () => {
    const cases: [string, number][] = [
      ['int f(void) { return pin_user_pages_fast(a, n, 0, p); }', NAMES_API],
      ['x = BIO_PAGE_PINNED;', NAMES_API],
      ['static void f(struct  page *p) { g(p); }', MAY_TAKE_HELPERS],
      ['void f(struct bio_vec *bv) {}', MAY_TAKE_HELPERS],
      ['list_add(&a->node, q);', MAY_TAKE_HELPERS],
      ['int my_put_page_count(int a) { return a; }', 0],
      ['struct pagevec pv; int pages;', 0],
      ['int f(int a) { return a + 1; }', 0],
    ];
    for (const [text, cls] of cases) {
      assert.strictEqual(classifyText(text), CLASSIFIED | cls, text);
      assert.strictEqual(classifyBytes(Buffer.from(text), text.length), CLASSIFIED | cls, text);
    }
  });

  it('the scan classifies headers too, and finds helpers two files away through the call graph', async () => {
    const scan = scanTree(TREE, undefined, undefined, { headers: true });
    const cls = (rel: string) => scan.classes[scan.files.indexOf(path.join(TREE, rel))];
    assert.strictEqual(cls('include/sel.h'), CLASSIFIED | NAMES_API);
    assert.strictEqual(cls('drivers/sel/sel_noop.c'), CLASSIFIED);
    assert.strictEqual(cls('drivers/sel/sel_deep.c'), CLASSIFIED | MAY_TAKE_HELPERS);
    const index = new TreeIndex(TREE, await loadParser(), {}, { cacheDir: null });
    const file = (rel: string) => { const abs = path.join(TREE, rel); return [fs.readFileSync(abs, 'utf8'), abs] as const; };
    // sel_mid_grab() names no API: it calls sel_grab() (lib/sel_lib.c), which pins
    assert.match(index.pageHelper(...file('drivers/sel/sel_deep.c')) ?? '', /^sel_mid_(grab|drop)$/);
    assert.strictEqual(index.pageHelper(...file('drivers/sel/sel_noop.c')), undefined);
    // sel_copy()/sel_stash() neither acquire nor release (sel_peek() only says put_page in a comment: passed on to the summaries)
    assert.strictEqual(index.pageHelper(...file('drivers/sel/sel_plain.c')), 'sel_peek');
  });
});
