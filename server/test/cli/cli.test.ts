// The built CLI as users and CI run it: formats, exit codes, bad input.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'out', 'cli.js');

function run(args: string[], opts: { cwd?: string; input?: string } = {}) {
  const t = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, input: opts.input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: Date.now() - t };
}

const BAD = `int f(unsigned long a, int n, struct page **pages)
{
	int i, ret = pin_user_pages_fast(a, n, FOLL_WRITE, pages);
	if (ret <= 0)
		return ret;
	for (i = 0; i < ret; i++)
		put_page(pages[i]);
	return 0;
}
`;

describe('pinlens check (CLI)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-cli-'));
    fs.writeFileSync(path.join(dir, 'bad.c'), BAD);
    fs.writeFileSync(path.join(dir, 'good.c'), BAD.replace('put_page(pages[i])', 'unpin_user_page(pages[i])'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('checks the bundled examples with no PATH and exits 1 on their errors', () => {
    const r = run(['check']);
    assert.strictEqual(r.code, 1, r.err);
    assert.match(r.out, /examples\/drivers\/xpin_dma\.c:\d+:\d+: error: .*\[mismatched-release\]/);
    for (const code of ['release-count-mismatch', 'leaked-pages', 'invalid-gup-flags', 'bio-flag-mismatch', 'double-release', 'release-without-reference', 'should-pin']) {
      assert.ok(r.out.includes(`[${code}]`), `the examples show ${code}`);
    }
    assert.match(r.out.trim().split('\n').pop()!, /^pinlens: \d+ file\(s\)/);
  });

  it('prints gcc-style text lines and exits 0 on clean code', () => {
    const bad = run(['check', path.join(dir, 'bad.c')]);
    assert.strictEqual(bad.code, 1);
    assert.match(bad.out, /bad\.c:7:3: error: put_page\(\) .* \[mismatched-release\]/);
    const good = run(['check', path.join(dir, 'good.c')]);
    assert.strictEqual(good.code, 0, good.out);
    assert.match(good.out, /0 error\(s\)/);
  });

  it('emits one JSON document (version 1) with findings, paths and call sites', () => {
    const r = run(['check', '--format', 'json', path.join(dir, 'bad.c')]);
    const doc = JSON.parse(r.out);
    assert.strictEqual(doc.version, 1);
    const f = doc.findings[0];
    assert.deepStrictEqual([f.code, f.line, f.column, f.severity, f.function], ['mismatched-release', 7, 3, 'error', 'f']);
    assert.deepStrictEqual(f.acquire, { line: 3, api: 'pin_user_pages_fast', mode: 'PIN' });
    assert.ok(f.path.length >= 2 && f.path.every((p: { line: number; note: string }) => p.line > 0 && p.note));
    assert.deepStrictEqual(doc.callSites.map((c: { api: string; mode: string }) => [c.api, c.mode]), [['pin_user_pages_fast', 'PIN']]);
    assert.ok(doc.stats.files === 1 && doc.stats.callSites === 1);
  });

  it('a patch report\'s JSON carries each finding and call site as the plain check writes them (fixes, counters, paths), plus the verdict', () => {
    const r = run(['check', '--format', 'json', '--tree', 'examples/patches/tree', '--patch', 'examples/patches/series.mbox']);
    const doc = JSON.parse(r.out);
    const f = doc.findings.find((x: { patch: string }) => x.patch === 'introduced');
    assert.ok(f, r.out);
    assert.deepStrictEqual([f.code, f.line, f.patchIndex], ['mismatched-release', 108, 4]);
    assert.ok(f.counters?.before && f.counters.after && f.counters.consequence, 'counters');
    assert.ok(f.fixes.length && f.fixes[0].edits.every((e: { line: number; newText: string }) => e.line > 0 && typeof e.newText === 'string'), 'fixes');
    assert.ok(doc.callSites.length && doc.callSites.every((c: { paths?: { total: number } }) => c.paths && c.paths.total >= 0), 'call sites with their path counts');
  });

  it('emits SARIF 2.1.0 with rules and a code flow', () => {
    const r = run(['check', '--format', 'sarif', path.join(dir, 'bad.c')]);
    const doc = JSON.parse(r.out);
    assert.strictEqual(doc.version, '2.1.0');
    const res = doc.runs[0].results[0];
    assert.strictEqual(res.ruleId, 'mismatched-release');
    assert.strictEqual(res.level, 'error');
    assert.strictEqual(res.locations[0].physicalLocation.region.startLine, 7);
    assert.ok(res.codeFlows[0].threadFlows[0].locations.length >= 2);
  });

  it('--explain follows each finding with its path and the counters, as gcc-style notes', () => {
    const r = run(['check', '-q', '--explain', path.join(dir, 'bad.c')]);
    assert.strictEqual(r.code, 1, r.err);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0], /bad\.c:7:3: error: .*\[mismatched-release\]$/);
    const notes = lines.slice(1);
    assert.ok(notes.length >= 3 && notes.every(l => /bad\.c:\d+:\d+: note: /.test(l)), r.out);
    assert.ok(notes.some(l => /bad\.c:3:\d+: note: pin_user_pages_fast\(\) pins n page\(s\) into pages/.test(l)), r.out);
    assert.ok(notes.some(l => /bad\.c:4:\d+: note: ret > 0/.test(l)), r.out);
    assert.match(notes[notes.length - 1], /note: a page before: refcount \+1024, folio_maybe_dma_pinned\(\) true; after: refcount \+1023/);
    // also for what a patch introduces
    const tree = path.join(dir, 'explain-tree');
    fs.mkdirSync(tree);
    fs.writeFileSync(path.join(tree, 'x.c'), BAD.replace('put_page(pages[i])', 'unpin_user_page(pages[i])'));
    const patch = `--- a/x.c\n+++ b/x.c\n@@ -4,6 +4,6 @@\n \tif (ret <= 0)\n \t\treturn ret;\n \tfor (i = 0; i < ret; i++)\n-\t\tunpin_user_page(pages[i]);\n+\t\tput_page(pages[i]);\n \treturn 0;\n }\n`;
    const p = run(['check', '-q', '--explain', '--tree', tree, '--patch', '-'], { input: patch });
    assert.match(p.out, /x\.c:7:3: error: .*\(introduced\)\nx\.c:3:\d+: note: pin_user_pages_fast\(\)/);
    // without --explain: one line per finding (the contract's text format)
    assert.strictEqual(run(['check', '-q', path.join(dir, 'bad.c')]).out.trim().split('\n').length, 1);
  });

  it('-q prints only findings, and nothing for clean code', () => {
    assert.strictEqual(run(['check', '-q', path.join(dir, 'good.c')]).out, '');
    assert.strictEqual(run(['check', '-q', path.join(dir, 'bad.c')]).out.trim().split('\n').length, 1);
  });

  it('exits 2 with a message on usage errors and unreadable paths', () => {
    for (const args of [['frobnicate'], ['check', '--format', 'xml'], ['check', '--bogus'], ['check', path.join(dir, 'missing.c')]]) {
      const r = run(args);
      assert.strictEqual(r.code, 2, args.join(' '));
      assert.match(r.err, /pinlens: /);
      assert.strictEqual(r.out, '');
    }
  });

  it('notes binary, non-UTF-8, huge and broken files without crashing, in bounded time', () => {
    const bad = path.join(dir, 'bad-input');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'binary.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 3]));
    fs.writeFileSync(path.join(bad, 'latin1.c'), Buffer.concat([Buffer.from('/* caf'), Buffer.from([0xe9]), Buffer.from(' */\n' + BAD)]));
    fs.writeFileSync(path.join(bad, 'huge.c'), 'int x;\n'.repeat(1_500_000));
    fs.writeFileSync(path.join(bad, 'unterminated.c'), 'int f(void) {\n\t/* never closed\n' + BAD);
    fs.writeFileSync(path.join(bad, 'garbage.c'), '}{)(;;#if\n'.repeat(2000));
    fs.symlinkSync(bad, path.join(bad, 'loop'));
    const r = run(['check', '--format', 'json', bad]);
    assert.ok(r.code === 0 || r.code === 1, r.err);
    const doc = JSON.parse(r.out);
    const note = (name: string) => doc.notes.filter((n: { file: string }) => n.file.endsWith(name)).map((n: { note: string }) => n.note).join(' ');
    assert.match(note('binary.c'), /binary/);
    assert.match(note('latin1.c'), /UTF-8/);
    assert.match(note('huge.c'), /not analysed|skipped/);
    assert.ok(doc.findings.some((f: { file: string; code: string }) => f.file.endsWith('latin1.c') && f.code === 'mismatched-release'));
    assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
  });

  it('checks a patch from standard input for b4 (-q prints only what it introduces)', () => {
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(tree);
    fs.writeFileSync(path.join(tree, 'x.c'), BAD.replace('put_page(pages[i])', 'unpin_user_page(pages[i])'));
    const patch = `--- a/x.c\n+++ b/x.c\n@@ -4,6 +4,6 @@\n \tif (ret <= 0)\n \t\treturn ret;\n \tfor (i = 0; i < ret; i++)\n-\t\tunpin_user_page(pages[i]);\n+\t\tput_page(pages[i]);\n \treturn 0;\n }\n`;
    const r = run(['check', '-q', '--tree', tree, '--patch', '-'], { input: patch });
    assert.strictEqual(r.code, 1, r.err);
    assert.match(r.out, /x\.c:7:3: error: .*\[mismatched-release\] \(introduced\)/);
    const clean = run(['check', '-q', '--tree', tree, '--patch', '-'], { input: patch.replace('+\t\tput_page', '+\t\tunpin_user_page') });
    assert.strictEqual(clean.out, '');
    const broken = run(['check', '--tree', tree, '--patch', '-'], { input: patch.replace('-\t\tunpin_user_page(pages[i]);', '-\t\tno_such_line(pages[i]);') });
    assert.strictEqual(broken.code, 2);
    assert.match(broken.err, /x\.c/);
  });

  it('takes the API era from the tree\'s Makefile, for plain and patch checks', () => {
    // FOLL_LONGTERM through pin_user_pages_unlocked(): refused by 6.1's gup, accepted since 6.2
    const body = 'int g(unsigned long a, int n, struct page **pages)\n{\n\tint ret;\n\n\tret = pin_user_pages_unlocked(a, n, pages, FOLL_WRITE);\n\tif (ret > 0)\n\t\tunpin_user_pages(pages, ret);\n\treturn ret;\n}\n';
    const trees: Record<string, string> = {};
    for (const [era, level] of [['6.1', 1], ['6.12', 12]] as const) {
      const t = path.join(dir, `era-${level}`);
      fs.mkdirSync(path.join(t, 'drivers'), { recursive: true });
      fs.writeFileSync(path.join(t, 'Makefile'), `# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = ${level}\nSUBLEVEL = 0\n`);
      fs.writeFileSync(path.join(t, 'drivers', 'g.c'), body.replace('FOLL_WRITE', 'FOLL_WRITE | FOLL_LONGTERM'));
      trees[era] = t;
    }
    const plain = (t: string) => run(['check', '-q', path.join(t, 'drivers', 'g.c')]);
    assert.match(plain(trees['6.1']).out, /g\.c:5:\d+: error: .*\[invalid-gup-flags\]/);
    assert.strictEqual(plain(trees['6.12']).out, '');
    // the same call introduced by a patch: judged by the era of the tree it applies to
    for (const t of Object.values(trees)) fs.writeFileSync(path.join(t, 'drivers', 'g.c'), body);
    const patch = '--- a/drivers/g.c\n+++ b/drivers/g.c\n@@ -4,3 +4,3 @@\n \n-\tret = pin_user_pages_unlocked(a, n, pages, FOLL_WRITE);\n+\tret = pin_user_pages_unlocked(a, n, pages, FOLL_WRITE | FOLL_LONGTERM);\n \tif (ret > 0)\n';
    const old = run(['check', '-q', '--tree', trees['6.1'], '--patch', '-'], { input: patch });
    assert.strictEqual(old.code, 1, old.err);
    assert.match(old.out, /g\.c:5:\d+: error: .*\[invalid-gup-flags\] \(introduced\)/);
    const now = run(['check', '-q', '--tree', trees['6.12'], '--patch', '-'], { input: patch });
    assert.strictEqual(now.out, '', now.err);
    // an explicit --kernel wins over the Makefile
    assert.strictEqual(run(['check', '-q', '--kernel', '6.12', path.join(trees['6.1'], 'drivers', 'g.c')]).out, '');
  });
});
