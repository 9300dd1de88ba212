// One way to analyse a file in its tree: `pinlens check`, `pinlens check
// --patch`, the editor's open document, its patch document and Check
// Workspace see the same cross-file facts. The tree (index/trees/agree): a
// teardown in xa_release.c put_page()s a field that xa_map.c fills with pinned
// pages (a finding only the other file can tell), and a field it fills with
// referenced pages (no finding). The built CLI and the built server over stdio.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { createTwoFilesPatch } from 'diff';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient, ROOT } from './harness';

const TREE = path.join(__dirname, '..', 'index', 'trees', 'agree');
const CLI = path.join(ROOT, 'out', 'cli.js');
const RELEASE = 'drivers/xa/xa_release.c';
const MAP = 'drivers/xa/xa_map.c';

interface JsonFinding { file: string; line: number; code: string; message: string; function: string; patch?: string }

describe('one analysis of a file in its tree: CLI, patch review, open document, patch document, Check Workspace', function () {
  this.timeout(60_000);
  let tree: string, cache: string, env: NodeJS.ProcessEnv;
  let fixPatch: string, introPatch: string;

  const cli = (...args: string[]): JsonFinding[] => {
    const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--tree', tree, ...args], { cwd: tree, env, encoding: 'utf8' });
    assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings;
  };
  const at = (d: Diagnostic[]) => d.filter(x => x.code === 'mismatched-release').map(x => [x.range.start.line + 1, String(x.message)]);

  before(() => {
    tree = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-agree-'));
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-agree-cache-'));
    fs.cpSync(TREE, tree, { recursive: true });
    env = { ...process.env, XDG_CACHE_HOME: cache };
    process.env.XDG_CACHE_HOME = cache; // the servers the harness starts
    const rel = fs.readFileSync(path.join(tree, RELEASE), 'utf8');
    const fixed = rel.replace(/put_page\(r->pages\[i\]\);.*/, 'unpin_user_page(r->pages[i]);');
    assert.notStrictEqual(fixed, rel);
    fixPatch = `Subject: [PATCH] xa: unpin the ring's pages\n\n---\n${createTwoFilesPatch(`a/${RELEASE}`, `b/${RELEASE}`, rel, fixed)}`;
    const map = fs.readFileSync(path.join(tree, MAP), 'utf8');
    const pinned = map.replace('get_user_pages_fast(uaddr, nr, 0, f->pages)', 'pin_user_pages_fast(uaddr, nr, 0, f->pages)');
    assert.notStrictEqual(pinned, map);
    introPatch = `Subject: [PATCH] xa: pin the frames\n\n---\n${createTwoFilesPatch(`a/${MAP}`, `b/${MAP}`, map, pinned)}`;
    fs.writeFileSync(path.join(tree, 'fix.patch'), fixPatch);
    fs.writeFileSync(path.join(tree, 'intro.patch'), introPatch);
  });
  after(() => {
    fs.rmSync(tree, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it('the five agree on the teardown of a field pinned in another file', async () => {
    // 1. pinlens check: the put_page() of the pinned ring, not of the referenced frames
    const checked = cli(path.join(tree, RELEASE));
    assert.deepStrictEqual(checked.map(f => [f.code, f.function]), [['mismatched-release', 'xa_ring_release']]);
    const want = checked.map(f => [f.line, f.message]);
    assert.match(checked[0].message, /xa_ring_map\(\) in drivers\/xa\/xa_map\.c .*pin_user_pages_fast/);

    // 2. pinlens check --patch: the patch that fixes it is reported as fixing it
    const reviewed = cli('--patch', path.join(tree, 'fix.patch'));
    assert.deepStrictEqual(reviewed.map(f => [f.patch, f.file, f.line, f.message]), [['fixed', RELEASE, ...want[0]]]);

    const client = await LspClient.start({}, { rootUri: pathToFileURL(tree).href });
    try {
      // 3. the open document, once the folder is indexed
      const uri = pathToFileURL(path.join(tree, RELEASE)).href;
      const opened = client.diagnostics(uri, p => at(p.diagnostics).length > 0);
      await client.open(uri, fs.readFileSync(path.join(tree, RELEASE), 'utf8'));
      assert.deepStrictEqual(at((await opened).diagnostics), want);

      // 4. the same patch as a patch document: it fixes that very finding
      const patchUri = pathToFileURL(path.join(tree, 'fix.patch')).href;
      const shown = client.diagnostics(patchUri, p => p.diagnostics.length > 0);
      await client.open(patchUri, fixPatch, 1, 'diff');
      const pd = (await shown).diagnostics.filter(d => d.code === 'mismatched-release');
      assert.deepStrictEqual(pd.map(d => d.message), [`fixes: mismatched-release in xa_ring_release() — ${want[0][1]}`]);
    } finally {
      await client.stop();
    }

    // 5. Check Workspace in a fresh server, the file never opened
    const other = await LspClient.start({}, { rootUri: pathToFileURL(tree).href });
    try {
      const uri = pathToFileURL(path.join(tree, RELEASE)).href;
      const published = other.diagnostics(uri);
      const result = await other.conn.sendRequest<{ files: number; findings: number }>('pinlens/checkFolder', { uri: pathToFileURL(tree).href });
      assert.deepStrictEqual(at((await published).diagnostics), want);
      assert.deepStrictEqual([result.files, result.findings], [2, 1]);
      // it reported its progress: begun, files done of the total, ended
      const steps = other.progress.filter(p => p.kind !== 'begin' || p.title === 'pinlens: checking folder');
      const begin = steps.findIndex(p => p.kind === 'begin');
      assert.ok(begin >= 0, JSON.stringify(other.progress));
      const reports = steps.slice(begin).filter(p => p.kind === 'report').map(p => [(p as { percentage?: number }).percentage, p.message]);
      assert.deepStrictEqual(reports, [[0, '0/2 files — drivers/xa'], [50, '1/2 files — drivers/xa']]);
      assert.ok(steps.slice(begin).some(p => p.kind === 'end'));
    } finally {
      await other.stop();
    }
  });

  it('a patch that changes how another file fills a field: the teardown it makes wrong is introduced, in the CLI and the patch document', async () => {
    const reviewed = cli('--patch', path.join(tree, 'intro.patch'));
    const intro = reviewed.filter(f => f.patch === 'introduced');
    assert.deepStrictEqual(intro.map(f => [f.file, f.code, f.function]), [[RELEASE, 'mismatched-release', 'xa_frames_release']]);
    assert.match(intro[0].message, /xa_frames_get\(\) in drivers\/xa\/xa_map\.c .*pin_user_pages_fast/);
    // the ring's teardown was wrong before and after: not the patch's doing, not reported
    assert.deepStrictEqual(reviewed.filter(f => f.function === 'xa_ring_release'), []);

    const client = await LspClient.start({}, { rootUri: pathToFileURL(tree).href });
    try {
      const patchUri = pathToFileURL(path.join(tree, 'intro.patch')).href;
      const shown = client.diagnostics(patchUri, p => p.diagnostics.some(d => d.code === 'mismatched-release'));
      await client.open(patchUri, introPatch, 1, 'diff');
      const pd = (await shown).diagnostics.filter(d => d.code === 'mismatched-release');
      assert.deepStrictEqual(pd.map(d => d.message), [`(introduced) ${intro[0].message} [at ${RELEASE}:${intro[0].line}, not shown in the patch]`]);
    } finally {
      await client.stop();
    }
  });

  it('the reverse patch fixes it, and the same patch without the index (no --tree) cannot tell', () => {
    // applied to a tree where the frames are pinned, the patch that goes back to get_user_pages_fast fixes the teardown
    const map = fs.readFileSync(path.join(tree, MAP), 'utf8');
    const pinned = map.replace('get_user_pages_fast(uaddr, nr, 0, f->pages)', 'pin_user_pages_fast(uaddr, nr, 0, f->pages)');
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-agree-rev-'));
    try {
      fs.cpSync(tree, other, { recursive: true });
      fs.writeFileSync(path.join(other, MAP), pinned);
      fs.writeFileSync(path.join(other, 'rev.patch'), `Subject: [PATCH] xa: reference the frames\n\n---\n${createTwoFilesPatch(`a/${MAP}`, `b/${MAP}`, pinned, map)}`);
      const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--tree', other, '--patch', path.join(other, 'rev.patch')], { cwd: other, env, encoding: 'utf8' });
      const found = (JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings;
      assert.deepStrictEqual(found.map(f => [f.patch, f.file, f.function]), [['fixed', RELEASE, 'xa_frames_release']]);
      const alone = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--patch', path.join(other, 'rev.patch')], { cwd: other, env, encoding: 'utf8' });
      assert.deepStrictEqual((JSON.parse(alone.stdout) as { findings: JsonFinding[] }).findings, []);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
