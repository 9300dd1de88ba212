// `pinlens check --jobs N` through the built CLI: the worker threads give the
// sequential run's output (same order, same findings, notes and exit code),
// with and without --tree, and bad values of --jobs are usage errors.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'out', 'cli.js');

const HEAD = '// SPDX-License-Identifier: GPL-2.0\n#include <linux/mm.h>\n#include <linux/slab.h>\n\n';

/** Kernel-style C: some right, some wrong, one helper released in another file. */
const FILES: Record<string, string> = {
  'drivers/pdev/pin_put.c': `${HEAD}int pdev_pin_put(unsigned long uaddr, int nr, struct page **pages)
{
	int i, ret;

	ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (ret <= 0)
		return ret ? ret : -EFAULT;
	for (i = 0; i < ret; i++)
		put_page(pages[i]);
	return 0;
}
`,
  'drivers/pdev/pin_unpin.c': `${HEAD}int pdev_pin_unpin(unsigned long uaddr, int nr, struct page **pages)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE | FOLL_LONGTERM, pages);
	if (ret <= 0)
		return ret ? ret : -EFAULT;
	unpin_user_pages_dirty_lock(pages, ret, true);
	return 0;
}
`,
  'drivers/pdev/get_leak.c': `${HEAD}int pdev_get_leak(unsigned long uaddr, int nr, void *dst)
{
	struct page **pages;
	int i, ret;

	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	ret = get_user_pages_fast(uaddr, nr, 0, pages);
	if (ret != nr) {
		kvfree(pages);
		return -EFAULT;
	}
	for (i = 0; i < ret; i++)
		put_page(pages[i]);
	kvfree(pages);
	return 0;
}
`,
  'drivers/pdev/double.c': `${HEAD}int pdev_double(unsigned long uaddr, int nr, struct page **pages, bool fail)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return -EFAULT;
	if (fail) {
		unpin_user_pages(pages, ret);
		goto out;
	}
	return 0;
out:
	unpin_user_pages(pages, ret);
	return -EIO;
}
`,
  'drivers/pdev/count.c': `${HEAD}int pdev_count(unsigned long uaddr, int nr, struct page **pages)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (ret <= 0)
		return -EFAULT;
	unpin_user_pages(pages, nr);
	return 0;
}
`,
  'drivers/pdev/flags.c': `${HEAD}long pdev_flags(unsigned long uaddr, int nr, struct page **pages)
{
	long ret;

	ret = pin_user_pages(uaddr, nr, FOLL_GET | FOLL_WRITE, pages);
	if (ret > 0)
		unpin_user_pages(pages, ret);
	return ret;
}
`,
  'drivers/qdev/qdev_helpers.c': `${HEAD}void qdev_drop_pages(struct page **pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		put_page(pages[i]);
}
`,
  'drivers/qdev/qdev_main.c': `${HEAD}void qdev_drop_pages(struct page **pages, int n);

int qdev_map(unsigned long uaddr, int nr, struct page **pages)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);
	if (ret <= 0)
		return -EFAULT;
	qdev_drop_pages(pages, ret);
	return 0;
}
`,
  'drivers/qdev/qdev_get.c': `${HEAD}void qdev_drop_pages(struct page **pages, int n);

int qdev_get(unsigned long uaddr, int nr, struct page **pages)
{
	int ret;

	ret = get_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return -EFAULT;
	qdev_drop_pages(pages, ret);
	return 0;
}
`,
  'drivers/rdev/rdev_fill.c': `${HEAD}struct rdev_ctx { struct page **pages; int nr; };

int rdev_fill(struct rdev_ctx *c, unsigned long uaddr)
{
	int ret = pin_user_pages_fast(uaddr, c->nr, FOLL_WRITE, c->pages);

	if (ret != c->nr) {
		if (ret > 0)
			unpin_user_pages(c->pages, ret);
		return -EFAULT;
	}
	return 0;
}
`,
  'drivers/rdev/rdev_release.c': `${HEAD}struct rdev_ctx { struct page **pages; int nr; };

void rdev_release(struct rdev_ctx *c)
{
	int i;

	for (i = 0; i < c->nr; i++)
		put_page(c->pages[i]);
	kfree(c->pages);
}
`,
  'lib/plain.c': `${HEAD}int plain_sum(const int *v, int n)
{
	int i, s = 0;

	for (i = 0; i < n; i++)
		s += v[i];
	return s;
}
`,
};

function run(args: string[], env: NodeJS.ProcessEnv = {}, node: string[] = []) {
  const r = spawnSync(process.execPath, [...node, CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The JSON report without its timing and the index's cache statistics. */
function report(out: string) {
  const doc = JSON.parse(out);
  delete doc.stats.ms;
  delete doc.stats.index;
  return doc;
}

describe('pinlens check --jobs (worker threads)', function () {
  this.timeout(180_000);
  let dir: string;
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-par-'));
    dir = path.join(tmp, 'tree');
    for (const [name, text] of Object.entries(FILES)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    // problems that become notes, not errors
    fs.writeFileSync(path.join(dir, 'drivers', 'pdev', 'blob.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 0, 3]));
    fs.writeFileSync(path.join(dir, 'drivers', 'pdev', 'latin1.c'), Buffer.from(
      FILES['drivers/pdev/pin_put.c'].replace('pdev_pin_put', 'pdev_latin1').replace('SPDX', '(c) J\u00fcrgen SPDX'), 'latin1'));
    fs.writeFileSync(path.join(dir, 'drivers', 'pdev', 'empty.c'), '');
    fs.writeFileSync(path.join(dir, 'lib', 'huge.c'), Buffer.alloc(9 * 1024 * 1024, 0x20));
    fs.writeFileSync(path.join(dir, 'README'), 'not C\n');
    // records, from inside each thread, that a worker thread ran the bundle
    fs.writeFileSync(path.join(tmp, 'mark.cjs'),
      `if (!require('worker_threads').isMainThread) require('fs').appendFileSync(${JSON.stringify(path.join(tmp, 'workers.log'))}, 'worker\\n');\n`);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const workersSeen = (fn: () => void): number => {
    const log = path.join(tmp, 'workers.log');
    fs.rmSync(log, { force: true });
    fn();
    return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
  };

  it('gives the sequential JSON, text and SARIF output and exit code with --jobs 2', () => {
    let one!: ReturnType<typeof run>, two!: ReturnType<typeof run>;
    assert.strictEqual(workersSeen(() => { one = run(['check', '--format', 'json', '--jobs', '1', dir], {}, ['--require', path.join(tmp, 'mark.cjs')]); }), 0);
    assert.strictEqual(workersSeen(() => { two = run(['check', '--format', 'json', '--jobs', '2', dir], {}, ['--require', path.join(tmp, 'mark.cjs')]); }), 2, 'two worker threads ran');
    assert.strictEqual(one.code, 1, one.err);
    assert.strictEqual(two.code, one.code, two.err);
    const a = report(one.out), b = report(two.out);
    assert.deepStrictEqual(b, a);
    assert.strictEqual(a.stats.files, 16);
    const codes = new Set(a.findings.map((f: { code: string }) => f.code));
    for (const c of ['mismatched-release', 'leaked-pages', 'double-release', 'release-count-mismatch', 'invalid-gup-flags']) assert.ok(codes.has(c), `${c} in ${[...codes]}`);
    // findings in input (walk) order, not in the order the workers finished
    const files = a.findings.map((f: { file: string }) => f.file);
    assert.deepStrictEqual(files, [...files].sort((x: string, y: string) => x.localeCompare(y)));
    const notes = a.notes.map((n: { file: string; note: string }) => `${path.basename(n.file)}: ${n.note}`);
    assert.ok(notes.some((n: string) => /^blob\.c: skipped: binary file/.test(n)), notes.join('\n'));
    assert.ok(notes.some((n: string) => /^latin1\.c: not valid UTF-8/.test(n)), notes.join('\n'));
    assert.ok(notes.some((n: string) => /^huge\.c: skipped: \d+ bytes is over/.test(n)), notes.join('\n'));
    assert.ok(a.findings.some((f: { file: string; code: string }) => f.file.endsWith('latin1.c') && f.code === 'mismatched-release'));

    for (const format of ['text', 'sarif']) {
      const s = run(['check', '--format', format, '--jobs', '1', dir]), p = run(['check', '--format', format, '--jobs', '2', dir]);
      const strip = (t: string) => t.replace(/ in \d+ ms$/m, '');
      assert.strictEqual(p.code, s.code);
      assert.strictEqual(strip(p.out), strip(s.out), format);
    }
  });

  it('gives the sequential output with --tree: helpers in other files and struct fields, cold and warm cache', () => {
    const args = (jobs: string) => ['check', '--format', 'json', '--tree', dir, '--jobs', jobs, dir];
    const one = run(args('1'), { XDG_CACHE_HOME: path.join(tmp, 'cache-1') });
    const cold = run(args('2'), { XDG_CACHE_HOME: path.join(tmp, 'cache-2') });
    const warm = run(args('2'), { XDG_CACHE_HOME: path.join(tmp, 'cache-2') });
    assert.strictEqual(one.code, 1, one.err);
    const a = report(one.out);
    // what the index did is said in the stats: the warm run analysed nothing again
    const index = (out: string) => JSON.parse(out).stats.index;
    const c = index(cold.out), w = index(warm.out);
    assert.ok(c.helpersAnalysed > 0 && c.resultsReused === 0, JSON.stringify(c));
    assert.strictEqual(w.helpersAnalysed, 0, JSON.stringify(w));
    // (every file but those skipped unread: binary, oversized; a file whose field
    // teardowns are judged by another file's fills has a second analysis)
    const skipped = new Set(a.notes.filter((n: { note: string }) => /^skipped/.test(n.note)).map((n: { file: string }) => n.file)).size;
    assert.ok(w.resultsReused >= a.stats.files - skipped - (a.stats.selection?.skipped ?? 0), JSON.stringify([w, a.stats, skipped]));
    assert.strictEqual(w.scannedFiles, c.scannedFiles);
    assert.deepStrictEqual(report(cold.out), a);
    assert.deepStrictEqual(report(warm.out), a);
    assert.strictEqual(cold.code, one.code);
    assert.strictEqual(warm.code, one.code);
    // the index took part: qdev_map()'s pins are put_page()d by the helper in qdev_helpers.c
    const plain = report(run(['check', '--format', 'json', '--jobs', '2', dir]).out);
    const at = (d: { findings: { file: string; code: string }[] }) => d.findings.filter(f => f.file.endsWith('qdev_main.c')).map(f => f.code);
    assert.deepStrictEqual(at(plain), []);
    assert.ok(at(a).length > 0, JSON.stringify(a.findings.map((f: { file: string; code: string }) => [f.file, f.code])));
    // and rdev_release()'s put_page() of a field rdev_fill.c fills with pins
    assert.ok(a.findings.some((f: { file: string; message: string }) => f.file.endsWith('rdev_release.c') && /rdev_fill\(\) in drivers\/rdev\/rdev_fill\.c/.test(f.message)));
    // both workers wrote into one cache folder: every entry whole, no temp file left
    const entries = fs.readdirSync(path.join(tmp, 'cache-2', 'pinlens', 'summaries'));
    assert.ok(entries.length > 0);
    assert.deepStrictEqual(entries.filter(e => !e.endsWith('.json')), []);
    for (const e of entries) JSON.parse(fs.readFileSync(path.join(tmp, 'cache-2', 'pinlens', 'summaries', e), 'utf8'));
  });

  it('a worker that runs out of its heap is replaced and its file checked on the main thread, with a note', () => {
    // a 2 MB file of 5000 functions needs more than a 16 MB heap; the small ones do not
    const big = path.join(tmp, 'oom');
    fs.mkdirSync(big, { recursive: true });
    const fn = (i: number) => FILES['drivers/pdev/pin_put.c'].replace(/pdev_pin_put/g, `pdev_pin_put_${i}`);
    fs.writeFileSync(path.join(big, 'big.c'), Array.from({ length: 5000 }, (_, i) => fn(i)).join('\n'));
    for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(big, `small${i}.c`), fn(i));
    const one = report(run(['check', '--format', 'json', '--jobs', '1', big]).out);
    const two = run(['check', '--format', 'json', '--jobs', '2', big], { PINLENS_WORKER_HEAP_MB: '16' });
    assert.strictEqual(two.code, 1, two.err);
    const b = report(two.out);
    assert.deepStrictEqual(b.findings, one.findings);
    assert.strictEqual(b.findings.filter((f: { file: string }) => f.file.endsWith('big.c')).length, 5000);
    const notes = b.notes.map((n: { file: string; note: string }) => `${path.basename(n.file)}: ${n.note}`);
    assert.ok(notes.includes('big.c: checked on the main thread: its worker thread ran out of its 16 MB heap'), notes.join('\n'));
  });

  it('checks few files on the main thread, whatever --jobs says', () => {
    const file = path.join(dir, 'drivers', 'pdev', 'pin_put.c');
    let r!: ReturnType<typeof run>;
    assert.strictEqual(workersSeen(() => { r = run(['check', '--jobs', '4', file], {}, ['--require', path.join(tmp, 'mark.cjs')]); }), 0);
    assert.strictEqual(r.code, 1);
    assert.match(r.out, /pin_put\.c:13:3: error: .*\[mismatched-release\]/);
  });

  it('rejects a bad --jobs and documents it', () => {
    for (const v of ['0', '-1', 'two', '1.5']) {
      const r = run(['check', '--jobs', v, dir]);
      assert.strictEqual(r.code, 2, v);
      assert.match(r.err, /--jobs needs a whole number/);
    }
    assert.strictEqual(run(['check', '--jobs']).code, 2);
    assert.strictEqual(run(['check', '-j', '2', '--jobs=1', path.join(dir, 'lib', 'plain.c')]).code, 0);
    assert.match(run(['--help']).out, /--jobs N/);
  });
});
