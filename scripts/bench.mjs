// npm run bench [-- TREE] : checks the files of a kernel tree that call the
// page APIs, side by side with `rg -l` listing those files, in one run.
// Prints medians and the ratio, then the call-site census (every acquire call
// line rg sees, outside the APIs' own implementation, must be a call site the
// analysis found and gave a mode), the error-level findings, and the provenance
// census of release call sites (provenanceCensus below).
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kernelTree } from './kernel-tree.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
// the acquire APIs of the catalog, by name (rg looks for them)
const ACQUIRE = ['get_user_pages', 'get_user_pages_fast', 'get_user_pages_fast_only', 'get_user_pages_remote',
  'get_user_pages_unlocked', 'get_user_page_vma_remote', 'get_user_page_fast_only', 'pin_user_pages',
  'pin_user_pages_fast', 'pin_user_pages_remote', 'pin_user_pages_unlocked', 'memfd_pin_folios',
  'iov_iter_extract_pages', 'iov_iter_get_pages2', 'iov_iter_get_pages_alloc2', 'iov_iter_get_pages',
  'iov_iter_get_pages_alloc', 'bio_iov_iter_get_pages', 'extract_iter_to_sg'];
// `--whole [TREE]`: the whole-tree benchmark of the --tree index (wholeTreeBench below).
if (process.argv.includes('--whole')) { await wholeTreeBench(process.argv.slice(2).filter(a => a !== '--whole')[0]); process.exit(0); }
// `--whole-root [TREE]`: only the whole-tree run of --whole (wholeRootRun below).
if (process.argv.includes('--whole-root')) {
  const T = kernelTree(process.argv.slice(2).filter(a => a !== '--whole-root')[0], 'bench');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-whole-'));
  const hook = path.join(tmp, 'rss.cjs');
  fs.writeFileSync(hook, "process.on('exit', () => process.stderr.write(`\\npinlens-bench-maxrss ${process.resourceUsage().maxRSS}\\n`));\n");
  const med = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  try { await wholeRootRun(T, tmp, hook, Number(process.env.WHOLE_RUNS ?? 3), med); } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
  process.exit(0);
}
// `--series [TREE]`: a 10-patch series checked against the tree (seriesBench below).
if (process.argv.includes('--series')) { await seriesBench(process.argv.slice(2).filter(a => a !== '--series')[0]); process.exit(0); }
const runs = Number(process.env.BENCH_RUNS ?? 5);
const tree = kernelTree(process.argv[2], 'bench');

const words = ACQUIRE.join('|');
const rgArgs = ['-l', '-w', words, '--type', 'c', '-g', '!tools/**', tree];

const median = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const time = (fn) => { const t = process.hrtime.bigint(); const r = fn(); return [Number(process.hrtime.bigint() - t) / 1e6, r]; };

const rgTimes = [];
let files = [];
for (let i = 0; i < runs; i++) {
  const [ms, out] = time(() => execFileSync('rg', rgArgs, { encoding: 'utf8', maxBuffer: 1 << 26 }));
  rgTimes.push(ms);
  files = out.trim().split('\n').filter(Boolean).sort();
}
const list = path.join(os.tmpdir(), `pinlens-bench-${process.pid}.txt`);
const cli = path.join(root, 'out', 'cli.js');
const rel = files.map(f => path.relative(tree, f));
const plTimes = [];
let report;
for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
  const [ms, out] = time(() => spawnSync(process.execPath, [cli, 'check', '--format', 'json', ...rel], { cwd: tree, encoding: 'utf8', maxBuffer: 1 << 28 }));
  if (out.status === 2) { console.error(out.stderr); process.exit(2); }
  plTimes.push(ms);
  report = JSON.parse(out.stdout);
}
fs.rmSync(list, { force: true });

const rgMed = median(rgTimes), plMed = median(plTimes);
console.log(`tree: ${tree}`);
console.log(`files calling the page APIs: ${files.length}`);
console.log(`rg -l (reference):     median ${rgMed.toFixed(0)} ms over ${rgTimes.length} runs`);
console.log(`pinlens check (json):  median ${plMed.toFixed(0)} ms over ${plTimes.length} runs  (${(plMed / rgMed).toFixed(1)}x rg)`);
console.log(`functions ${report.stats.functions}, call sites ${report.stats.callSites}`);

// Census: call lines rg sees (not in comments), outside the APIs' own implementation.
const own = /^(mm\/gup\.c|lib\/iov_iter\.c|include\/)/;
const lines = execFileSync('rg', ['-n', '--no-heading', `\\b(${words})\\s*\\(`, '--type', 'c', '-g', '!tools/**', '.'], { cwd: tree, encoding: 'utf8', maxBuffer: 1 << 26 })
  .trim().split('\n').map(l => /^\.?\/?([^:]+):(\d+):(.*)$/.exec(l)).filter(Boolean)
  .filter(m => !own.test(m[1]) && !/^\s*(\*|\/\*|\/\/|#\s*define)/.test(m[3]) && !/^\s*(extern\s+)?(static\s+)?(inline\s+)?[\w\s]+\*?\s*\b(\w+)\s*\([^;]*$/.test(m[3]) );
const found = new Map(report.callSites.map(c => [`${c.file}:${c.line}`, c]));
const missing = lines.filter(m => !found.has(`${m[1]}:${m[2]}`) && !found.has(`${m[1]}:${Number(m[2]) - 1}`));
const apis = new Map();
for (const c of report.callSites) {
  if (own.test(c.file) || !ACQUIRE.includes(c.api)) continue;
  const k = `${c.api} ${c.mode}`;
  apis.set(k, (apis.get(k) ?? 0) + 1);
}
const total = [...apis.values()].reduce((a, b) => a + b, 0);
console.log(`\nacquire call sites outside mm/gup.c and lib/iov_iter.c: ${total} (rg sees ${lines.length} call lines)`);
for (const [k, n] of [...apis].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(4)}  ${k}`);
const unknown = report.callSites.filter(c => c.mode === 'UNKNOWN').length;
console.log(`call sites without a mode: ${unknown}`);
if (missing.length) {
  console.log(`rg call lines with no call site found (${missing.length}):`);
  for (const m of missing.slice(0, 30)) console.log(`  ${m[1]}:${m[2]}: ${m[3].trim().slice(0, 100)}`);
}
const errors = report.findings.filter(f => f.severity === 'error' || f.severity === 'warning');
console.log(`\nerror and warning findings: ${errors.length}`);
for (const f of errors) console.log(`  ${f.file}:${f.line}: ${f.severity}: [${f.code}] ${f.function}(): ${f.message.slice(0, 140)}`);

await provenanceCensus(tree, rel, report);

// ---------------------------------------------------------------- provenance census
// Of the release call sites of user pages in the files that call a user-page
// API, how many the analysis knows the mode of (docs/real-kernel.md, "Provenance
// census", defines it). The denominator comes from the benchmarks' own
// tree-sitter reading (scripts/release-sites.mjs): every unpin_user_page*,
// unpin_folio*, unpin_user_folio call, and every put_page / folio_put /
// folio_put_refs / release_pages call whose pages provably come from a
// user-page API (the same function's acquire, a struct field only acquires
// fill, a helper parameter every caller passes such pages in, an sg entry of
// a file whose sg entries only acquires fill), outside the APIs' own
// implementation (mm/gup.c, lib/iov_iter.c, include/). A site's mode is known
// when pinlens's JSON ties it to an acquire call site with a mode: listed in a
// call site's releases, reached through a helper the call site's releases name
// (`via`), or a teardown of the field the call site filled (`later`); or when
// its `releaseSites` entry has a mode and says where it came from (an acquire,
// a helper's summary, the callers that pass the pages in, the field's fills).
// Computed for the plain run and for one run with --tree.
async function provenanceCensus(T, relFiles, plainReport) {
  const { Parser, Language } = await import('web-tree-sitter');
  const { releaseSites } = await import('./release-sites.mjs');
  const grammars = path.join(root, 'grammars');
  await Parser.init({ locateFile: () => path.join(grammars, 'tree-sitter.wasm') });
  const parser = new Parser();
  parser.setLanguage(await Language.load(fs.readFileSync(path.join(grammars, 'tree-sitter-c.wasm'))));
  const parsed = new Map();
  const { sites: all } = releaseSites(T, relFiles, parser, parsed);
  for (const ft of parsed.values()) ft.tree.delete();
  const own = /^(mm\/gup\.c|lib\/iov_iter\.c|include\/)/;
  const sites = all.filter(s => !own.test(s.file));
  const t = spawnSync(process.execPath, [cli, 'check', '--format', 'json', '--tree', T, ...relFiles], { cwd: T, encoding: 'utf8', maxBuffer: 1 << 28 });
  const treeReport = t.status === 2 || !t.stdout ? null : JSON.parse(t.stdout);
  const known = (report) => {
    const direct = new Set(), via = new Set(), later = new Set();
    // the release sites the analysis judged by a known mode, and where that mode came from
    const judged = new Map();
    for (const r of report.releaseSites ?? []) if (r.modes.length && r.provenance !== 'unknown') judged.set(`${r.file}:${r.line}`, r.provenance);
    for (const c of report.callSites) {
      if (!['PIN', 'GET', 'EXTRACT'].includes(c.mode)) continue;
      for (const r of c.releases) {
        if (r.via) via.add(`${r.file}|${r.via}`);
        else direct.add(`${r.file}:${r.line}`);
      }
      for (const l of c.later ?? []) later.add(`${l.file}:${l.line}`);
    }
    // a site: its call's rows (a release line is where the call starts)
    return (s) => {
      for (let r = s.row + 1; r <= s.endRow + 1; r++) { if (direct.has(`${s.file}:${r}`)) return 'direct'; if (later.has(`${s.file}:${r}`)) return 'teardown'; }
      if (via.has(`${s.file}|${s.fn}`)) return 'helper';
      for (let r = s.row + 1; r <= s.endRow + 1; r++) {
        const p = judged.get(`${s.file}:${r}`);
        if (p) return p === 'callers' ? 'callers' : p === 'field' ? 'teardown' : p === 'helper' ? 'helper' : 'direct';
      }
      return null;
    };
  };
  const pct = (a, b) => b ? `${(100 * a / b).toFixed(0)}%` : '-';
  const origin = (s) => s.origin ?? 'unpin, provenance not traced';
  console.log(`\nprovenance census: release call sites of user pages in the ${relFiles.length} files: ${sites.length}`);
  const byOrigin = new Map();
  for (const s of sites) byOrigin.set(origin(s), (byOrigin.get(origin(s)) ?? 0) + 1);
  console.log(`  by where their pages come from: ${[...byOrigin].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const [label, report] of [['plain', plainReport], ['--tree', treeReport]]) {
    if (!report) { console.log(`  ${label}: the run failed: ${t.stderr.slice(0, 300)}`); continue; }
    const k = known(report);
    const how = sites.map(s => ({ s, how: k(s) }));
    const n = how.filter(x => x.how).length;
    const ways = ['direct', 'helper', 'teardown', 'callers'].map(w => `${w} ${how.filter(x => x.how === w).length}`).join(', ');
    const unk = new Map();
    for (const x of how.filter(x => !x.how)) unk.set(origin(x.s), (unk.get(origin(x.s)) ?? 0) + 1);
    console.log(`  ${label.padEnd(7)} known mode: ${n} of ${sites.length} = ${pct(n, sites.length)} (${ways}); unknown by origin: ${[...unk].sort((a, b) => b[1] - a[1]).map(([o, c]) => `${o} ${c}`).join(', ')}`);
    if (label === '--tree') {
      const show = Number(process.env.CENSUS_SHOW ?? 12);
      for (const x of how.filter(x => !x.how).slice(0, show)) console.log(`    unknown: ${x.s.file}:${x.s.row + 1} ${x.s.fn}(): ${x.s.api}  {${origin(x.s)}${x.s.mode ? ` ${x.s.mode}` : ''}${x.s.from ? ` from ${x.s.from}` : ''}}`);
    }
  }
}

// ---------------------------------------------------------------- --whole
// npm run bench -- --whole [TREE]: pinlens --tree TREE over every file the API
// prefilter (rg -l) selects, cold (an empty XDG cache in a temp folder) and
// warm (a second run with that cache), next to `rg -l` and to the same check
// without --tree; medians over WHOLE_RUNS (3) runs, the CLI's peak RSS, and
// the error/warning findings that the index adds or removes.
async function wholeTreeBench(treeArg) {
  const runsW = Number(process.env.WHOLE_RUNS ?? 3);
  const T = kernelTree(treeArg, 'bench');
  const API = ACQUIRE.join('|');
  const med = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-whole-'));
  const hook = path.join(tmp, 'rss.cjs');
  fs.writeFileSync(hook, "process.on('exit', () => process.stderr.write(`\\npinlens-bench-maxrss ${process.resourceUsage().maxRSS}\\n`));\n");
  try {
    const rgMs = [];
    let files = [];
    for (let i = 0; i < runsW; i++) {
      const t = process.hrtime.bigint();
      const out = execFileSync('rg', ['-l', '-w', API, '--type', 'c', '-g', '!tools/**', T], { encoding: 'utf8', maxBuffer: 1 << 26 });
      rgMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      files = out.trim().split('\n').filter(Boolean).sort().map(f => path.relative(T, f));
    }
    const cli = path.join(root, 'out', 'cli.js');
    const check = (args, cache) => {
      const t = process.hrtime.bigint();
      const r = spawnSync(process.execPath, ['--require', hook, cli, 'check', '--format', 'json', ...args, ...files],
        { cwd: T, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, XDG_CACHE_HOME: cache } });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (r.status === 2 || !r.stdout) { console.error(r.stderr); process.exit(2); }
      // (worker threads run the hook too, at their own exit: the process's peak is the largest value)
      const rss = Math.max(0, ...[...r.stderr.matchAll(/pinlens-bench-maxrss (\d+)/g)].map(m => Number(m[1]))) / 1024;
      return { ms, rss, report: JSON.parse(r.stdout) };
    };
    const plain = [], cold = [], warm = [];
    for (let i = 0; i < runsW; i++) plain.push(check([], path.join(tmp, 'unused')));
    let cache = '';
    for (let i = 0; i < runsW; i++) {
      cache = path.join(tmp, `cache-${i}`);
      fs.mkdirSync(cache);
      cold.push(check(['--tree', T], cache));
    }
    for (let i = 0; i < runsW; i++) warm.push(check(['--tree', T], cache));
    const rg = med(rgMs);
    const line = (label, rs) => {
      const ms = med(rs.map(r => r.ms));
      return `${label.padEnd(30)} median ${ms.toFixed(0).padStart(6)} ms  ${(ms / rg).toFixed(1).padStart(5)}x rg   peak RSS ${Math.max(...rs.map(r => r.rss)).toFixed(0)} MB`;
    };
    console.log(`tree: ${T}`);
    console.log(`files the API prefilter selects: ${files.length}; medians over ${runsW} runs`);
    console.log(`${'rg -l (reference)'.padEnd(30)} median ${rg.toFixed(0).padStart(6)} ms`);
    console.log(line('pinlens check (no --tree)', plain));
    console.log(line('pinlens --tree, cold cache', cold));
    console.log(line('pinlens --tree, warm cache', warm));
    let entries = 0, bytes = 0;
    for (const f of fs.readdirSync(path.join(cache, 'pinlens', 'summaries'))) { entries++; bytes += fs.statSync(path.join(cache, 'pinlens', 'summaries', f)).size; }
    console.log(`summary cache: ${entries} entries, ${(bytes / 1024).toFixed(0)} KB`);
    await wholeRootRun(T, tmp, hook, runsW, med);
    const srv = await serverWithTree(T, files, path.join(tmp, 'server-cache'));
    console.log(`${'language server, tree indexed'.padEnd(30)} ${srv.files} files opened, first diagnostics ${srv.firstMs.toFixed(0)} ms, median per file ${srv.medianMs.toFixed(0)} ms   peak RSS ${srv.rssMb.toFixed(0)} MB`);
    const key = f => `${f.file}:${f.line}: ${f.severity}: [${f.code}] ${f.function}(): ${f.message.slice(0, 140)}`;
    const sev = r => r.report.findings.filter(f => f.severity === 'error' || f.severity === 'warning').map(key);
    const before = new Set(sev(plain[0])), after = new Set(sev(warm[warm.length - 1]));
    const coldSet = new Set(sev(cold[0]));
    if ([...after].some(k => !coldSet.has(k)) || coldSet.size !== after.size) console.log('WARNING: cold and warm runs disagree on findings');
    const added = [...after].filter(k => !before.has(k)), removed = [...before].filter(k => !after.has(k));
    console.log(`\nerror/warning findings: ${before.size} without --tree, ${after.size} with; ${added.length} added, ${removed.length} removed`);
    for (const k of added) console.log(`  + ${k}`);
    for (const k of removed) console.log(`  - ${k}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// The whole tree as a maintainer runs it: `cd T && pinlens check --tree . .`
// (every .c and .h file; the check selects those that can have a finding),
// cold (an empty cache) and warm, next to `rg -l` for the catalog's API names
// (the names the selection starts from, read from the sources) over the same
// tree; medians of `runs`, the CLI's peak RSS, and how many files were selected.
async function wholeRootRun(T, tmp, hook, runs, med) {
  const names = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e',
    "process.stdout.write(require('./server/src/core/apis').PAGE_API_NAMES.join('|'))"], { cwd: root, encoding: 'utf8' });
  const rgMs = [];
  let rgFiles = 0;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync('rg', ['-l', '-w', names, '-g', '*.[ch]', '.'], { cwd: T, encoding: 'utf8', maxBuffer: 1 << 26 });
    rgMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    rgFiles = r.stdout.trim().split('\n').filter(Boolean).length;
  }
  const cli = path.join(root, 'out', 'cli.js');
  const run = cache => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--require', hook, cli, 'check', '--format', 'json', '--tree', '.', '.'],
      { cwd: T, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, XDG_CACHE_HOME: cache } });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status === 2 || !r.stdout) { console.error(r.stderr); process.exit(2); }
    const rss = Math.max(0, ...[...r.stderr.matchAll(/pinlens-bench-maxrss (\d+)/g)].map(m => Number(m[1]))) / 1024;
    const rep = JSON.parse(r.stdout);
    return { ms, rss, stats: rep.stats, findings: rep.findings.length, callSites: rep.callSites.length };
  };
  const cold = [], warm = [];
  let cache = '';
  for (let i = 0; i < runs; i++) {
    cache = path.join(tmp, `whole-root-${i}`);
    fs.mkdirSync(cache);
    cold.push(run(cache));
  }
  for (let i = 0; i < runs; i++) warm.push(run(cache));
  const rg = med(rgMs);
  const line = (label, rs) => {
    const ms = med(rs.map(r => r.ms));
    // the highest peak (the goal's measure) and each run's, as they vary with the load of the machine
    return `${label.padEnd(30)} median ${ms.toFixed(0).padStart(6)} ms  ${(ms / rg).toFixed(1).padStart(5)}x rg   peak RSS ${Math.max(...rs.map(r => r.rss)).toFixed(0)} MB (runs: ${rs.map(r => r.rss.toFixed(0)).join(', ')}; median ${med(rs.map(r => r.rss)).toFixed(0)})`;
  };
  const s = cold[0].stats;
  console.log(`\nwhole tree: pinlens check --tree . . (${s.files} .c/.h files; ${s.selection.checked} checked: ${s.selection.namePageApi} name a page API, ${s.selection.callPageHelper} call a page helper; ${s.selection.skipped} skipped)`);
  console.log(`${'rg -l (API names, .c/.h)'.padEnd(30)} median ${rg.toFixed(0).padStart(6)} ms  (${rgFiles} files)`);
  console.log(line('whole tree, cold cache', cold));
  console.log(line('whole tree, warm cache', warm));
  const same = [...cold, ...warm].every(r => r.findings === cold[0].findings && r.callSites === cold[0].callSites);
  console.log(`findings ${cold[0].findings}, call sites ${cold[0].callSites}${same ? '' : ' (WARNING: runs disagree)'}`);
  // the goals of the whole-tree run (docs/performance.md): cold at most 10x rg and under 15 s, warm at most 2x rg, peak RSS at most 300 MB
  const c = med(cold.map(r => r.ms)), w = med(warm.map(r => r.ms)), peak = Math.max(...[...cold, ...warm].map(r => r.rss));
  const verdict = ok => (ok ? 'met' : 'NOT met');
  console.log(`goals: cold ${(c / rg).toFixed(1)}x rg (<= 10x) and ${(c / 1000).toFixed(1)} s (< 15 s): ${verdict(c <= 10 * rg && c < 15000)}; warm ${(w / rg).toFixed(1)}x rg (<= 2x): ${verdict(w <= 2 * rg)}; peak RSS ${peak.toFixed(0)} MB (<= 300 MB): ${verdict(peak <= 300)}`);
}

// The language server with the tree as its workspace folder (the index scans
// it on the first open): opens the acquiring files one at a time, each waited
// for until its diagnostics arrive, and reads the process's peak RSS (VmHWM).
async function serverWithTree(T, files, cache) {
  const { createRequire } = await import('module');
  const { pathToFileURL } = await import('url');
  const { spawn } = await import('child_process');
  const rpc = createRequire(import.meta.url)('vscode-jsonrpc/node');
  const proc = spawn(process.execPath, [path.join(root, 'out', 'server.js'), '--stdio'],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, XDG_CACHE_HOME: cache } });
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
  const waiting = new Map();
  conn.onNotification('textDocument/publishDiagnostics', p => waiting.get(p.uri)?.());
  conn.onRequest('workspace/configuration', p => p.items.map(() => ({})));
  conn.listen();
  const folder = pathToFileURL(T).href;
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: folder, workspaceFolders: [{ uri: folder, name: 'linux' }], capabilities: { workspace: { configuration: true, workspaceFolders: true } } });
  await conn.sendNotification('initialized', {});
  const opened = files.slice(0, 20);
  const ms = [];
  for (const f of opened) {
    const uri = pathToFileURL(path.join(T, f)).href;
    const got = new Promise(resolve => waiting.set(uri, resolve));
    const t = performance.now();
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: fs.readFileSync(path.join(T, f), 'utf8') } });
    await got;
    ms.push(performance.now() - t);
  }
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  conn.dispose();
  const sorted = [...ms].sort((a, b) => a - b);
  return { files: opened.length, firstMs: ms[0], medianMs: sorted[Math.floor(sorted.length / 2)], rssMb: hwm };
}

// ---------------------------------------------------------------- --series
// npm run bench -- --series [TREE]: writes a 10-patch mbox series against TREE
// (each patch converts the first get_user_pages_fast() of one file to
// pin_user_pages_fast() and leaves its releases alone — a half conversion a
// reviewer must catch), then times `pinlens check --tree TREE --patch SERIES`,
// median of 3 runs, and prints what the series introduces.
async function seriesBench(treeArg) {
  const { createTwoFilesPatch } = await import('diff');
  const t = kernelTree(treeArg, 'bench');
  const files = execFileSync('rg', ['-l', '\\bget_user_pages_fast\\(', '--type', 'c', '-g', '!tools/**', '-g', '!mm/**', '.'], { cwd: t, encoding: 'utf8' })
    .trim().split('\n').map(f => f.replace(/^\.\//, '')).sort().slice(0, 10);
  const mails = files.map((f, i) => {
    const before = fs.readFileSync(path.join(t, f), 'utf8');
    const after = before.replace(/\bget_user_pages_fast\(/, 'pin_user_pages_fast(');
    const diff = createTwoFilesPatch(`a/${f}`, `b/${f}`, before, after, '', '', { context: 3 })
      .split('\n').filter(l => !/^=+$/.test(l) && !l.startsWith('Index:')).join('\n');
    return `From pinlens-bench Mon Sep 17 00:00:00 2001\nFrom: Bench <bench@example.invalid>\nSubject: [PATCH ${i + 1}/${files.length}] ${f.split('/').slice(-2, -1)[0]}: pin the user pages\n\n---\ndiff --git a/${f} b/${f}\n${diff}\n`;
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-series-'));
  const mbox = path.join(dir, 'series.mbox');
  fs.writeFileSync(mbox, mails.join('\n'));
  const cliPath = path.join(root, 'out', 'cli.js');
  const times = [];
  let out;
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    out = spawnSync(process.execPath, [cliPath, 'check', '--format', 'json', '--tree', t, '--patch', mbox], { encoding: 'utf8', maxBuffer: 1 << 28 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (out.status === 2) { console.error(out.stderr); process.exit(2); }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const rep = JSON.parse(out.stdout);
  const med = [...times].sort((a, b) => a - b)[1];
  console.log(`tree: ${t}`);
  console.log(`series: ${files.length} patches over ${files.length} files`);
  console.log(`pinlens check --tree --patch: median ${med.toFixed(0)} ms over 3 runs (${times.map(x => x.toFixed(0)).join(', ')})`);
  const intro = rep.findings.filter(f => f.patch === 'introduced');
  console.log(`findings introduced: ${intro.length}`);
  for (const f of intro.slice(0, 20)) console.log(`  ${f.file}:${f.line}: [${f.code}] ${f.message.slice(0, 110)}`);
}
