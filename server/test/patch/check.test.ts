// runPatchCheck / runGitCheck: introduced / fixed / unchanged, per-patch
// summaries, rendering. A tiny regex analyser stands in for the core here so
// that these tests pin down the patch logic alone (fixtures.test.ts runs the
// real core).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runGitCheck, runPatchCheck } from '../../src/index/patch-check';
import { PatchCheckError } from '../../src/index/patch-compare';
import { patchExitCode, patchReportJson, renderPatchReportText } from '../../src/index/patch-report';
import { findFunctionSpans } from '../../src/index/definitions';
import { CallSite, FileAnalysis, Finding, Mode } from '../../src/core/types';

const FIX = path.join(__dirname, '..', 'patch-fixtures');
const UDMA = 'drivers/misc/udma/udma.c';
const inputs = (c: string) => fs.readdirSync(path.join(FIX, c)).filter((f) => /\.(patch|mbox|eml)$/.test(f))
  .map((f) => ({ name: f, text: fs.readFileSync(path.join(FIX, c, f), 'utf8') }));

const ACQ: Record<string, Mode> = { get_user_pages_fast: 'GET', pin_user_pages_fast: 'PIN' };
const FAMILY: Record<string, Mode> = { put_page: 'GET', release_pages: 'GET', unpin_user_pages: 'PIN', unpin_user_pages_dirty_lock: 'PIN' };

/** One acquire per function; a release of the other family is a mismatch; no release at all is a leak. */
function fakeAnalyze(_path: string, text: string): FileAnalysis {
  const lines = text.split('\n');
  const at = (line: number, col = 0, len = 1) => ({ start: { line, character: col }, end: { line, character: col + len } });
  const callSites: CallSite[] = [];
  const findings: Finding[] = [];
  for (const fn of findFunctionSpans(text)) {
    let cs: CallSite | undefined;
    for (let l = fn.start; l <= fn.end; l++) {
      const a = /\b(get_user_pages_fast|pin_user_pages_fast)\(/.exec(lines[l]);
      if (a) {
        cs = { range: at(l, a.index, a[1].length), function: fn.name, api: a[1], mode: ACQ[a[1]], modeReason: '', holder: 'pages',
          releases: [], handoffs: [], paths: { total: 1, released: 0, handedOff: 0, leaked: 0, failed: 0 }, trace: [] };
        callSites.push(cs);
      }
      const r = /\b(put_page|release_pages|unpin_user_pages_dirty_lock|unpin_user_pages)\(/.exec(lines[l]);
      if (r && cs) {
        cs.releases.push({ range: at(l, r.index, r[1].length), api: r[1] });
        if (FAMILY[r[1]] !== cs.mode) {
          findings.push({ code: 'mismatched-release', severity: 'error', message: `${r[1]}() on ${cs.mode} pages`, function: fn.name,
            range: at(l, r.index, r[1].length), acquire: { range: cs.range, api: cs.api, mode: cs.mode }, path: [], fixes: [] });
        }
      }
    }
    if (cs && cs.releases.length === 0) {
      findings.push({ code: 'leaked-pages', severity: 'warning', message: 'leaked', function: fn.name, range: at(fn.end),
        acquire: { range: cs.range, api: cs.api, mode: cs.mode }, path: [], fixes: [] });
    }
  }
  return { findings, callSites, summaries: [], functions: 0, notes: [] };
}

const made: string[] = [];
after(() => { for (const d of made) fs.rmSync(d, { recursive: true, force: true }); });

function tmpTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-patch-'));
  made.push(dir);
  for (const [p, t] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), t);
  }
  return dir;
}

const diffOf = (p: string, before: string, after: string) => {
  const a = before.split('\n');
  const b = after.split('\n');
  let i = 0;
  while (a[i] === b[i]) i++;
  // one changed line with one line of context each side
  return `--- a/${p}\n+++ b/${p}\n@@ -${i},3 +${i},3 @@\n ${a[i - 1]}\n-${a[i]}\n+${b[i]}\n ${a[i + 1]}\n`;
};

describe('patch: runPatchCheck', () => {
  it('marks what a half conversion introduces, and summarises it', async () => {
    const report = await runPatchCheck({ patches: inputs('half-convert'), treeRoot: path.join(FIX, 'half-convert', 'tree'), analyse: fakeAnalyze });
    assert.deepStrictEqual(report.findings.map((m) => [m.file, m.finding.range.start.line + 1, m.finding.code, m.patch, m.by]),
      [[UDMA, 74, 'mismatched-release', 'introduced', 0]]);
    assert.deepStrictEqual(report.patches[0].lines, [
      'get_user_pages_fast → pin_user_pages_fast in udma_write_user() (GET → PIN)',
      'releases release_pages → unpin_user_pages in udma_write_user()',
      '1 release still put_page at drivers/misc/udma/udma.c:74 (pages now PIN from pin_user_pages_fast in udma_write_user())',
      'introduces 1 finding: mismatched-release in udma_write_user()',
    ]);
    assert.deepStrictEqual(report.touched, [{ file: UDMA, functions: ['udma_write_user'] }]);
    assert.strictEqual(patchExitCode(report), 1);

    const text = renderPatchReportText(report);
    assert.ok(text.startsWith('drivers/misc/udma/udma.c:74:3: error: put_page() on PIN pages [mismatched-release] (introduced)\n'));
    assert.match(text, /^\[PATCH\] udma: pin the source buffer of udma_write_user\(\)\n {2}get_user_pages_fast → pin_user_pages_fast/m);
    assert.match(text, /1 patch, 1 file, 1 function touched: 1 introduced, 0 fixed, 0 unchanged/);
    assert.strictEqual(renderPatchReportText(report, { quiet: true }),
      'drivers/misc/udma/udma.c:74:3: error: put_page() on PIN pages [mismatched-release] (introduced)\n');

    const json = patchReportJson(report) as { version: number; findings: Record<string, unknown>[]; patches: unknown[] };
    assert.strictEqual(json.version, 1);
    assert.deepStrictEqual(json.findings[0], {
      file: UDMA, line: 74, column: 3, endLine: 74, endColumn: 11, severity: 'error', code: 'mismatched-release',
      message: 'put_page() on PIN pages', function: 'udma_write_user',
      acquire: { line: 61, api: 'pin_user_pages_fast', mode: 'PIN' }, path: [], patch: 'introduced', patchIndex: 1, fixes: [],
    });
    assert.strictEqual(json.patches.length, 1);
  });

  it('prints nothing in quiet mode when nothing is introduced, and exits 0', async () => {
    const report = await runPatchCheck({ patches: inputs('convert-ok'), treeRoot: path.join(FIX, 'convert-ok', 'tree'), analyse: fakeAnalyze });
    assert.deepStrictEqual(report.findings, []);
    assert.strictEqual(renderPatchReportText(report, { quiet: true }), '');
    assert.strictEqual(patchExitCode(report), 0);
    assert.strictEqual(report.patches[0].conversions.length, 2);
  });

  it('keeps unchanged findings of touched functions only, and a finding carried through a conversion is not new', async () => {
    const before = [
      'int a(void)', '{', '\tn = get_user_pages_fast(u, 1, 0, p);', '\treturn 0;', '}',
      'int b(void)', '{', '\tn = get_user_pages_fast(u, 1, 0, p);', '\treturn 0;', '}',
      'int c(void)', '{', '\tn = pin_user_pages_fast(u, 1, 0, p);', '\tput_page(p[0]);', '\treturn 0;', '}', '',
    ].join('\n');
    // a: converted, still leaking (the same leak); c: comment touched, mismatch unchanged; b: untouched
    const after = before.replace('\tn = get_user_pages_fast(u, 1, 0, p);', '\tn = pin_user_pages_fast(u, 1, 0, p);');
    const after2 = after.replace('\tput_page(p[0]);', '\tput_page(p[0]); /* FIXME */');
    const root = tmpTree({ 'x.c': before });
    const patches = [{ name: '1.diff', text: diffOf('x.c', before, after) }, { name: '2.diff', text: diffOf('x.c', after, after2) }];
    const report = await runPatchCheck({ patches, treeRoot: root, analyse: fakeAnalyze });
    assert.deepStrictEqual(report.findings.map((m) => [m.finding.function, m.finding.code, m.patch]),
      [['a', 'leaked-pages', 'unchanged'], ['c', 'mismatched-release', 'unchanged']]);
    assert.deepStrictEqual(report.patches.map((p) => [p.introduced.length, p.fixed.length]), [[0, 0], [0, 0]]);
    assert.deepStrictEqual(report.patches[0].lines, ['get_user_pages_fast → pin_user_pages_fast in a() (GET → PIN)']);
    assert.deepStrictEqual(report.patches[1].lines, ['no change to how pages are taken or released']);
  });

  it('a finding of the same code on the line a patch edits is the one that was there, reworded: neither fixed nor introduced', async () => {
    const before = ['int a(void)', '{', '\tn = pin_user_pages_fast(u, 1, 0, p);', '\tput_page(p[0]);', '}', ''].join('\n');
    const after = before.replace('put_page(p[0])', 'release_pages(p, 1)');
    const root = tmpTree({ 'x.c': before });
    const report = await runPatchCheck({ patches: [{ name: 'still.diff', text: diffOf('x.c', before, after) }], treeRoot: root, analyse: fakeAnalyze });
    assert.deepStrictEqual(report.findings.map((m) => [m.finding.range.start.line, m.finding.code, m.patch]), [[3, 'mismatched-release', 'unchanged']]);
    assert.deepStrictEqual(report.patches.map((p) => [p.introduced.length, p.fixed.length]), [[0, 0]]);
  });

  it('marks a fixed finding with the patch that fixed it, at its line before the series', async () => {
    const before = ['int a(void)', '{', '\tn = pin_user_pages_fast(u, 1, 0, p);', '\tput_page(p[0]);', '}', ''].join('\n');
    const after = before.replace('put_page(p[0])', 'unpin_user_pages(p, 1)');
    const root = tmpTree({ 'x.c': before });
    const report = await runPatchCheck({ patches: [{ name: 'fix.diff', text: diffOf('x.c', before, after) }], treeRoot: root, analyse: fakeAnalyze });
    assert.deepStrictEqual(report.findings.map((m) => [m.finding.range.start.line, m.patch, m.by]), [[3, 'fixed', 0]]);
    assert.strictEqual(patchExitCode(report), 0);
    assert.deepStrictEqual(report.patches[0].lines, [
      'releases put_page → unpin_user_pages in a()', 'fixes 1 finding: mismatched-release in a()',
    ]);
  });

  it('throws PatchCheckError for a hunk that does not apply, a quoted reply and a missing file', async () => {
    const rejects = async (c: string, kind: string) => {
      const shared = JSON.parse(fs.readFileSync(path.join(FIX, c, 'expected.json'), 'utf8')).tree as string | undefined;
      await assert.rejects(runPatchCheck({ patches: inputs(c), treeRoot: path.join(FIX, c, shared ?? 'tree'), analyse: fakeAnalyze }),
        (e: unknown) => e instanceof PatchCheckError && e.problems[0].kind === kind);
    };
    await rejects('no-apply', 'hunk-failed');
    await rejects('quoted-reply', 'quoted-patch');
    await assert.rejects(runPatchCheck({ patches: inputs('convert-ok'), treeRoot: path.join(FIX, 'no-such-tree'), analyse: fakeAnalyze }),
      (e: unknown) => e instanceof PatchCheckError && e.problems[0].kind === 'missing-file');
  });
});

describe('patch: runGitCheck', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git',
    ['-c', 'user.name=pinlens', '-c', 'user.email=pinlens@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

  it('checks the working tree against a revision', async () => {
    const half = path.join(FIX, 'half-convert', 'tree', UDMA);
    const root = tmpTree({ [UDMA]: fs.readFileSync(half, 'utf8'), 'README': 'x\n' });
    git(root, 'init', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'base');
    const none = await runGitCheck({ treeRoot: root, analyse: fakeAnalyze });
    assert.deepStrictEqual([none.patches.length, none.findings.length, none.notes], [0, 0, ['no changes against HEAD']]);

    fs.writeFileSync(path.join(root, UDMA), fs.readFileSync(half, 'utf8').replace('get_user_pages_fast(', 'pin_user_pages_fast('));
    const report = await runGitCheck({ treeRoot: root, rev: 'HEAD', analyse: fakeAnalyze });
    assert.strictEqual(report.patches[0].subject, 'working tree against HEAD');
    assert.deepStrictEqual(report.findings.map((m) => [m.file, m.patch, m.finding.code]).sort(), [
      [UDMA, 'introduced', 'mismatched-release'], [UDMA, 'introduced', 'mismatched-release'],
    ]);
    // from a subfolder, paths are relative to it
    const sub = await runGitCheck({ treeRoot: path.join(root, 'drivers'), analyse: fakeAnalyze });
    assert.strictEqual(sub.findings[0].file, 'misc/udma/udma.c');

    await assert.rejects(runGitCheck({ treeRoot: root, rev: 'no-such-rev', analyse: fakeAnalyze }),
      (e: unknown) => e instanceof PatchCheckError && e.problems[0].kind === 'git');
  });
});
