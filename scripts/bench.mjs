// npm run bench [-- TREE] : checks the files of a kernel tree that call the
// page APIs, side by side with `rg -l` listing those files, in one run.
// Prints medians and the ratio, then the call-site census (every acquire call
// line rg sees, outside the APIs' own implementation, must be a call site the
// analysis found and gave a mode) and the error-level findings.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const runs = Number(process.env.BENCH_RUNS ?? 5);
let tree = process.argv[2];
if (!tree) {
  const script = path.join(root, '..', 'shared', 'scripts', 'kernel-trees.sh');
  tree = execFileSync('bash', [script, '6.12'], { encoding: 'utf8' }).trim().split('\n').pop();
}
if (!fs.existsSync(path.join(tree, 'Makefile'))) { console.error(`bench: ${tree} is not a kernel tree`); process.exit(2); }
if (spawnSync('rg', ['--version']).status !== 0) { console.error('bench: ripgrep (rg) is needed as the reference: apt-get install ripgrep'); process.exit(2); }

const ACQUIRE = ['get_user_pages', 'get_user_pages_fast', 'get_user_pages_fast_only', 'get_user_pages_remote',
  'get_user_pages_unlocked', 'get_user_page_vma_remote', 'get_user_page_fast_only', 'pin_user_pages',
  'pin_user_pages_fast', 'pin_user_pages_remote', 'pin_user_pages_unlocked', 'memfd_pin_folios',
  'iov_iter_extract_pages', 'iov_iter_get_pages2', 'iov_iter_get_pages_alloc2', 'iov_iter_get_pages',
  'iov_iter_get_pages_alloc', 'bio_iov_iter_get_pages'];
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
