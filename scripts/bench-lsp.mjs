// Language-server latency: time from didChange to the publishDiagnostics of
// that version, over 200 single-character edits (a space inserted at the start
// of a pseudo-random line, then deleted again), one edit at a time.
// Usage: npm run bench:lsp -- [FILE]   (default: mm/gup.c of the 6.12 tree
// that ../shared/scripts/kernel-trees.sh unpacks). Goal: p95 <= 50 ms.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { kernelTree } from './kernel-tree.mjs';
import { createRequire } from 'module';
import { pathToFileURL } from 'url';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const require = createRequire(import.meta.url);
const rpc = require('vscode-jsonrpc/node');
const EDITS = 200;
const GOAL_MS = 50;

function defaultFile() {
  return path.join(kernelTree(undefined, 'bench:lsp', { needRg: false }), 'mm', 'gup.c');
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const file = path.resolve(process.argv[2] ?? defaultFile());
const text = fs.readFileSync(file, 'utf8');
const uri = pathToFileURL(file).href;
const server = path.join(root, 'out', 'server.js');
if (!fs.existsSync(server)) throw new Error('out/server.js is missing: run `npm run build`');

const proc = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
const waiting = new Map(); // version -> resolve
let last;
conn.onNotification('textDocument/publishDiagnostics', p => {
  if (p.uri !== uri) return;
  last = p;
  waiting.get(p.version)?.(performance.now());
});
conn.onRequest('workspace/configuration', p => p.items.map(() => ({})));
const analysisMs = new Map(); // version -> the server's own analysis time ($/logTrace)
conn.onNotification('$/logTrace', p => {
  const m = /analysed (\S+) v(\d+) in ([\d.]+) ms/.exec(p.message);
  if (m && m[1] === uri) analysisMs.set(Number(m[2]), Number(m[3]));
});
conn.listen();

const published = version => new Promise(resolve => waiting.set(version, resolve));

await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, trace: 'verbose', capabilities: { workspace: { configuration: true } } });
await conn.sendNotification('initialized', {});
let t0 = performance.now();
let done = published(1);
await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
const openMs = (await done) - t0;

const lines = text.split('\n').length;
let seed = 12345;
const nextLine = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % lines;
const times = [];
let line = 0;
for (let v = 2; v < EDITS + 2; v++) {
  const insert = v % 2 === 0;
  if (insert) line = nextLine();
  const at = { line, character: 0 };
  const change = insert
    ? { range: { start: at, end: at }, text: ' ' }
    : { range: { start: at, end: { line, character: 1 } }, text: '' };
  done = published(v);
  t0 = performance.now();
  await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [change] });
  times.push((await done) - t0);
}
await conn.sendRequest('shutdown');
await conn.sendNotification('exit');
conn.dispose();

const core = [...analysisMs].filter(([v]) => v > 1).map(([, ms]) => ms).sort((a, b) => a - b);
times.sort((a, b) => a - b);
const fmt = x => `${x.toFixed(1)} ms`;
const p95 = quantile(times, 0.95);
console.log(`file: ${file} (${lines} lines, ${last?.diagnostics.length ?? 0} diagnostics)`);
console.log(`open -> diagnostics: ${fmt(openMs)}`);
console.log(`didChange -> publishDiagnostics over ${times.length} edits: median ${fmt(quantile(times, 0.5))}, p95 ${fmt(p95)}, max ${fmt(times[times.length - 1])}`);
if (core.length) console.log(`  of which analysis (core): median ${fmt(quantile(core, 0.5))}, p95 ${fmt(quantile(core, 0.95))}`);
console.log(`goal p95 <= ${GOAL_MS} ms: ${p95 <= GOAL_MS ? 'met' : 'NOT met'}`);
