// The built CLI under hostile input and a hostile filesystem: deep nesting
// gives the same answer on the main thread and in workers, unreadable paths
// named on the command line are input errors (exit 2), cache folders that
// cannot be used are skipped with a note, never waited on.
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BIG, DEEP } from './shapes';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'out', 'cli.js');

function run(args: string[], opts: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; input?: string } = {}) {
  const t = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...opts.env }, input: opts.input,
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
  });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: Date.now() - t, signal: r.signal };
}

const GOOD = 'int f(unsigned long a, int n, struct page **pages)\n{\n\tint ret = pin_user_pages_fast(a, n, FOLL_WRITE, pages);\n\tif (ret > 0)\n\t\tunpin_user_pages(pages, ret);\n\treturn ret;\n}\n';

/** Runs as another user where we are root (permissions mean nothing to root). */
const NOBODY = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

describe('robustness: the CLI', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-robust-'));
    fs.chmodSync(dir, 0o755);
  });
  after(() => {
    for (const d of ['locked', 'walked/locked']) try { fs.chmodSync(path.join(dir, d), 0o755); } catch { /* not made */ }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deeply nested files: the same output with --jobs 1 and with worker threads, no internal error', () => {
    const deep = path.join(dir, 'deep');
    fs.mkdirSync(deep);
    for (const [name, src] of Object.entries(DEEP)) fs.writeFileSync(path.join(deep, `${name}.c`), src);
    const seq = run(['check', '--format', 'json', '--jobs', '1', deep]);
    const par = run(['check', '--format', 'json', '--jobs', '2', deep]);
    for (const r of [seq, par]) {
      assert.ok(r.code === 0 || r.code === 1, r.err);
      assert.doesNotMatch(r.err, /internal error/);
    }
    const strip = (out: string) => { const d = JSON.parse(out); delete d.stats.ms; return d; };
    assert.deepStrictEqual(strip(par.out), strip(seq.out));
    const notes = strip(seq.out).findings.filter((f: { code: string }) => f.code === 'analysis-incomplete');
    assert.strictEqual(notes.length, Object.keys(DEEP).length);
  });

  it('a big single function ends in bounded time with an incomplete note', () => {
    const f = path.join(dir, 'big.c');
    fs.writeFileSync(f, BIG['releases-10000']);
    const r = run(['check', '-q', f]);
    assert.strictEqual(r.code, 1, r.err);
    assert.match(r.out, /information: f\(\): the findings' paths grew past/);
    assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
  });

  it('exits 2 with a message for a FIFO, a link to a device, a dangling link named on the command line', () => {
    const fifo = path.join(dir, 'fifo.c');
    execFileSync('mkfifo', [fifo]);
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.c'));
    fs.symlinkSync(path.join(dir, 'nowhere.c'), path.join(dir, 'dangling.c'));
    const want: Record<string, RegExp> = { 'fifo.c': /a FIFO/, 'zero.c': /a character device/, 'dangling.c': /dangling/ };
    for (const [name, re] of Object.entries(want)) {
      const r = run(['check', path.join(dir, name)]);
      assert.strictEqual(r.code, 2, `${name}: ${r.out}${r.err}`);
      assert.match(r.err, /^pinlens: cannot read /);
      assert.match(r.err, re);
      assert.strictEqual(r.out, '');
    }
  });

  it('exits 2 for a file or folder it may not read (as a user without the permission), notes them inside a walked folder', function () {
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked);
    fs.writeFileSync(path.join(locked, 'x.c'), GOOD);
    const secret = path.join(dir, 'secret.c');
    fs.writeFileSync(secret, GOOD);
    fs.chmodSync(secret, 0);
    fs.chmodSync(locked, 0);
    const probe = spawnSync(process.execPath, ['-e', `require('fs').readFileSync(${JSON.stringify(secret)})`], NOBODY);
    if (probe.status === 0) {
      console.log('      skipped: file permissions are not enforced here (no unprivileged user to run as)');
      // skipped only where permissions are not enforced for us (root without another user to run as)
      this.skip();
      return;
    }
    for (const p of [secret, locked]) {
      const r = run(['check', p], NOBODY);
      assert.strictEqual(r.code, 2, `${p}: ${r.out}${r.err}`);
      assert.match(r.err, /^pinlens: cannot read .*permission denied/);
    }
    // inside a folder it walks: notes, and the readable files are checked
    const walked = path.join(dir, 'walked');
    fs.mkdirSync(walked);
    fs.writeFileSync(path.join(walked, 'ok.c'), GOOD);
    fs.renameSync(secret, path.join(walked, 'secret.c'));
    fs.renameSync(locked, path.join(walked, 'locked'));
    const r = run(['check', '--format', 'json', walked], NOBODY);
    assert.strictEqual(r.code, 0, r.err);
    const doc = JSON.parse(r.out);
    const notes = doc.notes.map((n: { file: string; note: string }) => `${path.basename(n.file)}: ${n.note}`).join('\n');
    assert.match(notes, /secret\.c: unreadable: EACCES/);
    assert.match(notes, /locked: unreadable folder/);
    assert.strictEqual(doc.stats.files, 3);
  });

  it('skips a cache folder it cannot create (no endless mkdir) and a FIFO where a cache file is, with one note', () => {
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(tree);
    fs.writeFileSync(path.join(tree, 'x.c'), GOOD);
    const plainFile = path.join(dir, 'plain-file');
    fs.writeFileSync(plainFile, '');
    // /proc refuses new folders with ENOENT although the parent exists: mkdir -p loops on that
    for (const cache of ['/proc/1/pinlens-cache', path.join(plainFile, 'under-a-file')]) {
      const r = run(['check', '-q', '--tree', tree, path.join(tree, 'x.c')], { env: { XDG_CACHE_HOME: cache } });
      assert.strictEqual(r.signal, null, `${cache}: killed after ${r.ms} ms`);
      assert.strictEqual(r.code, 0, r.err);
      assert.match(r.err, /pinlens: note: cache .* cannot be used/);
      assert.strictEqual(r.err.trim().split('\n').length, 1, r.err);
    }
    // a run that fills the cache, then every entry replaced by a FIFO (which would block a read)
    // (x.c an hour old: its stamp is trusted by every run, so each writes the same cache files)
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(path.join(tree, 'x.c'), old, old);
    const cache = path.join(dir, 'cache');
    assert.strictEqual(run(['check', '-q', '--tree', tree, path.join(tree, 'x.c')], { env: { XDG_CACHE_HOME: cache } }).code, 0);
    const entries: string[] = [];
    const walk = (d: string) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk : (f: string) => entries.push(f))(path.join(d, e.name)); };
    walk(cache);
    assert.ok(entries.length >= 1);
    for (const f of entries) { fs.rmSync(f); execFileSync('mkfifo', [f]); }
    const r = run(['check', '-q', '--tree', tree, path.join(tree, 'x.c')], { env: { XDG_CACHE_HOME: cache } });
    assert.strictEqual(r.signal, null, `killed after ${r.ms} ms`);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.err, /^pinlens: note: (scan )?cache not used: .* is not a regular file\n$/);
    // the FIFOs are left alone
    assert.ok(entries.every(f => fs.lstatSync(f).isFIFO()));
  });

  it('refuses a hunk with a huge start line at once, naming the hunk', () => {
    const tree = path.join(dir, 'ptree');
    fs.mkdirSync(tree);
    fs.writeFileSync(path.join(tree, 'x.c'), GOOD);
    for (const start of ['4294967296', '9007199254740993', '18446744073709551616']) {
      const patch = `--- a/x.c\n+++ b/x.c\n@@ -${start},3 +${start},3 @@\n {\n-\tint ret = pin_user_pages_fast(a, n, FOLL_WRITE, pages);\n+\tint ret = get_user_pages_fast(a, n, FOLL_WRITE, pages);\n \tif (ret > 0)\n`;
      const r = run(['check', '--tree', tree, '--patch', '-'], { input: patch });
      assert.strictEqual(r.code, 2, r.out);
      assert.ok(r.err.includes(`hunk 1 (@@ -${start},3 +${start},3 @@) has line numbers past`), r.err);
      assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
    }
    // a start past the end of a small file, below the absurd: searched from the end, applied with an offset
    const far = `--- a/x.c\n+++ b/x.c\n@@ -5000,3 +5000,3 @@\n {\n-\tint ret = pin_user_pages_fast(a, n, FOLL_WRITE, pages);\n+\tint ret = get_user_pages_fast(a, n, FOLL_WRITE, pages);\n \tif (ret > 0)\n`;
    const r = run(['check', '-q', '--tree', tree, '--patch', '-'], { input: far });
    assert.strictEqual(r.code, 1, r.err);
    assert.match(r.out, /x\.c:5:\d+: error: .*\(introduced\)/);
  });
});
