// Language-server memory with a whole kernel tree as the workspace: the
// server's resident set (RSS, sampled from /proc every 50 ms) while it indexes
// the folder, analyses a few open files, and then goes through rounds of
// "a .c file changed" (didChangeWatchedFiles: the folder is scanned again and
// the open files analysed again). Per round: the peak and the RSS once the
// round has settled. Reference in the same run: ripgrep's peak RSS listing
// the files that name a page API over the same tree (GNU time).
// Usage: npm run bench:lsp-memory -- [TREE] [--rounds N] [--server FILE]
// (default tree: the 6.12 tree that ../shared/scripts/kernel-trees.sh unpacks).
// Goal: every peak and every settled RSS under 300 MB. Linux only (/proc).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createRequire } from 'module';
import { pathToFileURL } from 'url';
import { kernelTree } from './kernel-tree.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const require = createRequire(import.meta.url);
const rpc = require('vscode-jsonrpc/node');
const GOAL_MB = 300;

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); if (i < 0) return dflt; const v = args[i + 1]; args.splice(i, 2); return v; };
const rounds = Number(opt('--rounds', '4'));
const server = path.resolve(opt('--server', path.join(root, 'out', 'server.js')));
const tree = kernelTree(args[0], 'bench:lsp-memory');
if (!fs.existsSync(server)) throw new Error(`${server} is missing: run \`npm run build\``);
// files that take and release user pages, in different folders
const OPEN = ['mm/gup.c', 'io_uring/rsrc.c', 'drivers/infiniband/core/umem.c', 'fs/fuse/file.c'].filter(f => fs.existsSync(path.join(tree, f)));

const rssMb = pid => {
  try { return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024; } catch { return 0; }
};
const median = xs => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : 0; };

// the reference: ripgrep over the same tree, the files naming a page API
const apis = ['pin_user_pages', 'get_user_pages', 'unpin_user_page', 'put_page', 'iov_iter_extract_pages', 'iov_iter_get_pages2'];
const rg = spawnSync('/usr/bin/time', ['-f', '%M %e', 'rg', '-l', '--type', 'c', ...apis.flatMap(a => ['-e', a]), tree], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const [rgKb, rgSec] = (rg.stderr.trim().split('\n').pop() ?? '0 0').split(' ').map(Number);

// the server gets a cache folder of its own (a cold index, as for a new user)
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-bench-mem-'));
const proc = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, XDG_CACHE_HOME: cache } });
let peak = 0;
const sampler = setInterval(() => { peak = Math.max(peak, rssMb(proc.pid)); }, 50);
const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
const published = new Map(); // uri -> count
let onPublish = () => {};
conn.onNotification('textDocument/publishDiagnostics', p => { published.set(p.uri, (published.get(p.uri) ?? 0) + 1); onPublish(); });
// work in progress (the folder's scans): asked for, not ended yet
let running = 0, onIdle = () => {};
conn.onNotification('$/progress', p => { if (p.value.kind === 'end') { running--; onIdle(); } });
conn.onRequest('workspace/configuration', p => p.items.map(() => ({})));
conn.onRequest('client/registerCapability', () => null);
conn.onRequest('window/workDoneProgress/create', () => { running++; return null; });
conn.listen();

const rootUri = pathToFileURL(tree).href;
await conn.sendRequest('initialize', {
  processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: path.basename(tree) }],
  capabilities: { workspace: { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true } }, window: { workDoneProgress: true } },
});
await conn.sendNotification('initialized', {});

/** Resolves when no work is in progress and every open file was published `n` times since `from`. */
const settled = (from, n) => new Promise(resolve => {
  const check = () => { if (running <= 0 && OPEN.every(f => (published.get(pathToFileURL(path.join(tree, f)).href) ?? 0) - (from.get(pathToFileURL(path.join(tree, f)).href) ?? 0) >= n)) resolve(); };
  onPublish = check; onIdle = check; check();
});
const quiet = ms => new Promise(r => setTimeout(r, ms));

let t0 = performance.now();
const before = new Map(published);
for (const f of OPEN) {
  const file = path.join(tree, f);
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: pathToFileURL(file).href, languageId: 'c', version: 1, text: fs.readFileSync(file, 'utf8') } });
}
await settled(before, 2);
const openMs = performance.now() - t0;
await quiet(3000);
const results = [{ what: 'open + index', peak, settled: rssMb(proc.pid), ms: openMs }];
for (let r = 1; r <= rounds; r++) {
  peak = rssMb(proc.pid);
  const from = new Map(published);
  t0 = performance.now();
  const changed = pathToFileURL(path.join(tree, OPEN[r % OPEN.length])).href;
  await conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: changed, type: 2 }] });
  await settled(from, 1);
  const ms = performance.now() - t0;
  await quiet(3000);
  results.push({ what: `file change ${r}`, peak, settled: rssMb(proc.pid), ms });
}
clearInterval(sampler);
await conn.sendRequest('shutdown');
await conn.sendNotification('exit');
conn.dispose();
fs.rmSync(cache, { recursive: true, force: true });

const mb = x => `${x.toFixed(0)} MB`;
console.log(`tree: ${tree}\nserver: ${path.relative(process.cwd(), server) || server}; open files: ${OPEN.join(', ')}`);
console.log(`reference: rg -l over the tree: peak RSS ${mb(rgKb / 1024)}, ${rgSec.toFixed(1)} s`);
for (const x of results) console.log(`${x.what.padEnd(14)} peak ${mb(x.peak).padStart(7)}  settled ${mb(x.settled).padStart(7)}  ${(x.ms / 1000).toFixed(1)} s`);
const changes = results.slice(1);
const maxPeak = Math.max(...results.map(x => x.peak));
console.log(`rescans: median peak ${mb(median(changes.map(x => x.peak)))}, median settled ${mb(median(changes.map(x => x.settled)))}, median ${(median(changes.map(x => x.ms)) / 1000).toFixed(1)} s`);
console.log(`max peak ${mb(maxPeak)} = ${(maxPeak / (rgKb / 1024)).toFixed(1)}x rg's; goal < ${GOAL_MB} MB: ${maxPeak < GOAL_MB && results.every(x => x.settled < GOAL_MB) ? 'met' : 'NOT met'}`);
