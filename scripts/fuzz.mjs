// npm run fuzz : a seeded, time-bounded fuzz pass over the built front ends
// (out/cli.js, out/server.js). Four kinds of case, in turn:
//
//   c       mutated kernel-style C (the bundled examples and the test
//           fixtures; with FUZZ_KERNEL=1 also files of a kernel tree) checked
//           by the CLI, on the main thread and in workers;
//   patch   mutated patches (the patch fixtures and the example series,
//           hunk headers with absurd numbers, lines dropped or repeated,
//           headers removed, BOMs, CRLF, truncation) applied to their trees;
//   lsp     a language server fed a random stream over stdio: documents
//           opened and edited with mutated texts, requests at random
//           positions, malformed frames, requests before initialize; it must
//           answer a probe at the end, then shut down and exit 0;
//   fs      filesystem faults: FIFOs, links to devices, dangling links and
//           link loops in a walked folder and on the command line, cache
//           folders that cannot be made, FIFOs where cache entries are.
//
// Every case must end within FUZZ_TIMEOUT_MS with exit status 0, 1 or 2 and
// no "internal error" / uncaught exception. A failing case's inputs are kept
// in a folder named on the failure line. The last line is
// `fuzz: N passed, M failed` as the last line (seed and time on the line before); the exit status is 1 when any failed.
//
// Environment: FUZZ_SEED (default 1), FUZZ_SECONDS (default 60), FUZZ_OUT
// (the built bundles to try, default out/, e.g. an older build to compare),
// FUZZ_TIMEOUT_MS (per case, default 30000), FUZZ_KERNEL=1 (add kernel files;
// the tree as the benchmarks find it), FUZZ_KINDS (comma list, default all).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const OUT = path.resolve(process.env.FUZZ_OUT ?? path.join(root, 'out'));
const CLI = path.join(OUT, 'cli.js');
const SERVER = path.join(OUT, 'server.js');
const SEED = Number(process.env.FUZZ_SEED ?? 1) >>> 0;
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 60);
const TIMEOUT = Number(process.env.FUZZ_TIMEOUT_MS ?? 30000);
const KINDS = (process.env.FUZZ_KINDS ?? 'c,patch,lsp,fs').split(',').map(s => s.trim()).filter(Boolean);
for (const f of [CLI, SERVER]) if (!fs.existsSync(f)) { console.error(`fuzz: ${path.relative(root, f)} is missing: npm run build`); process.exit(2); }

// ---------------------------------------------------------------- randomness

function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(SEED);
const int = n => Math.floor(rnd() * n);
const pick = a => a[int(a.length)];
const chance = p => rnd() < p;

// ---------------------------------------------------------------- corpus

function filesUnder(dir, re, out = []) {
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, re, out);
    else if (e.isFile() && re.test(e.name)) out.push(p);
  }
  return out;
}

const cFiles = [
  ...filesUnder(path.join(root, 'examples'), /\.[ch]$/),
  ...filesUnder(path.join(root, 'server', 'test', 'fixtures'), /\.c$/),
  ...filesUnder(path.join(root, 'server', 'test', 'lsp', 'fixtures'), /\.c$/),
];
if (process.env.FUZZ_KERNEL === '1') {
  const { kernelTree } = await import('./kernel-tree.mjs');
  const tree = kernelTree(undefined, 'fuzz', { needRg: false });
  for (const rel of ['mm/gup.c', 'lib/iov_iter.c', 'block/bio.c', 'fs/direct-io.c', 'fs/iomap/direct-io.c', 'io_uring/rsrc.c', 'drivers/vfio/vfio_iommu_type1.c', 'fs/fuse/file.c']) {
    const f = path.join(tree, rel);
    if (fs.existsSync(f)) cFiles.push(f);
  }
}
const cTexts = cFiles.map(f => fs.readFileSync(f, 'utf8'));

/** Patch inputs with the tree they apply to. */
const patchCases = [];
const pfix = path.join(root, 'server', 'test', 'patch-fixtures');
for (const d of fs.readdirSync(pfix).sort()) {
  const tree = path.join(pfix, d, 'tree');
  for (const p of filesUnder(path.join(pfix, d), /\.(patch|mbox|eml|diff)$/)) if (fs.existsSync(tree)) patchCases.push({ file: p, tree });
}
patchCases.push({ file: path.join(root, 'examples', 'patches', 'series.mbox'), tree: path.join(root, 'examples', 'patches', 'tree') });
const patchTexts = patchCases.map(c => fs.readFileSync(c.file, 'utf8'));

// ---------------------------------------------------------------- mutations

const SNIPPETS = [
  'ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);\n', 'unpin_user_pages(pages, ret);\n', 'put_page(pages[i]);\n',
  'for (i = 0; i < ret; i++)\n\tput_page(pages[i]);\n', 'goto out;\n', 'out:\n', 'return -EFAULT;\n', 'if (ret <= 0)\n', '} else {\n',
  'n = iov_iter_extract_pages(iter, &pages, len, 16, 0, &off);\n', 'bio_release_pages(bio, false);\n', 'for_each_sg(sgt->sgl, sg, n, i) {\n',
  '#ifdef CONFIG_X\n', '#else\n', '#endif\n', 'switch (x) {\ncase 1:\n', 'break;\n', 'do {\n', '} while (0);\n', 'scoped_guard(mutex, &m) {\n',
  'SYSCALL_DEFINE3(x, int, a, int, b, int, c)\n{\n', '"unterminated', '/* unterminated', "'", '\\\n', '\0', '\uFEFF', '\r\n', '\u00e9',
  'get_user_pages(addr, 18446744073709551616, FOLL_GET, pages);\n', 'x = ((((((((a))))))));\n',
];

function mutateC(text) {
  let t = text;
  const n = 1 + int(4);
  for (let k = 0; k < n; k++) {
    const at = int(t.length + 1), len = int(Math.min(400, t.length - at + 1));
    switch (int(12)) {
      case 0: t = t.slice(0, at) + t.slice(at + len); break; // delete a span
      case 1: t = t.slice(0, at) + t.slice(at, at + len).repeat(2 + int(3)) + t.slice(at + len); break; // repeat a span
      case 2: t = t.slice(0, at) + pick(SNIPPETS) + t.slice(at); break;
      case 3: { // deep nesting at a random spot
        const d = pick([50, 300, 1000, 2500]);
        const open = pick(['{', '(', 'if (x) ', 'while (y) ', '!', 'f(']);
        const close = open === '{' ? '}' : open === '(' ? ')' : open === 'f(' ? ')' : '';
        t = t.slice(0, at) + open.repeat(d) + 'put_page(pages[0]);' + close.repeat(d) + t.slice(at);
        break;
      }
      case 4: { // a big function: a body repeated many times
        const i = t.indexOf('{', at);
        const j = i >= 0 ? t.indexOf('\n}', i) : -1;
        if (i >= 0 && j > i) t = t.slice(0, j) + t.slice(i + 1, j).repeat(10 + int(200)) + t.slice(j);
        break;
      }
      case 5: t = t.slice(0, at); break; // truncate
      case 6: { // random bytes (latin-1 range, NUL sometimes)
        let junk = '';
        for (let q = int(40); q > 0; q--) junk += String.fromCharCode(chance(0.1) ? 0 : int(256));
        t = t.slice(0, at) + junk + t.slice(at);
        break;
      }
      case 7: t = t.replace(/\n/g, () => (chance(0.3) ? '\r\n' : '\n')); break;
      case 8: { // swap two lines
        const lines = t.split('\n');
        if (lines.length > 2) { const a = int(lines.length), b = int(lines.length); [lines[a], lines[b]] = [lines[b], lines[a]]; }
        t = lines.join('\n');
        break;
      }
      case 9: t = t.replace(/\b(pin_user_pages_fast|unpin_user_pages?|put_page|get_user_pages_fast)\b/g, m => (chance(0.3) ? pick(['pin_user_pages_fast', 'get_user_pages_fast', 'put_page', 'unpin_user_page', 'folio_put', 'bio_release_pages']) : m)); break;
      case 10: t = t.replace(/[{}()]/g, m => (chance(0.02) ? '' : m)); break; // unbalance
      default: t = t.replace(/\b\d+\b/g, m => (chance(0.1) ? pick(['0', '-1', '4294967296', '9007199254740993', '18446744073709551616']) : m));
    }
  }
  return t;
}

const HUGE = ['4294967296', '9007199254740992', '9007199254740993', '18446744073709551616', '99999999', '100000001', '0', '1'];

function mutatePatch(text) {
  let lines = text.split('\n');
  const n = 1 + int(3);
  for (let k = 0; k < n; k++) {
    const hunks = lines.map((l, i) => (l.startsWith('@@') ? i : -1)).filter(i => i >= 0);
    switch (int(11)) {
      case 0: case 1: if (hunks.length) { const i = pick(hunks); lines[i] = lines[i].replace(/\d+/g, m => (chance(0.5) ? pick(HUGE) : m)); } break;
      case 2: if (lines.length) lines.splice(int(lines.length), 1 + int(5)); break;
      case 3: if (lines.length) { const i = int(lines.length); lines.splice(i, 0, ...lines.slice(i, i + 1 + int(5))); } break;
      case 4: lines = lines.filter(l => !(/^(---|\+\+\+) /.test(l) && chance(0.7))); break;
      case 5: lines[0] = '\uFEFF' + (lines[0] ?? ''); break;
      case 6: lines = lines.slice(0, int(lines.length + 1)); break;
      case 7: lines = lines.map(l => l + (chance(0.5) ? '\r' : '')); break;
      case 8: if (hunks.length) { const i = pick(hunks); let j = i + 1; while (j < lines.length && /^[ +\-\\]/.test(lines[j])) j++; lines.splice(i + 1, j - i - 1); } break;
      case 9: lines.splice(int(lines.length + 1), 0, pick(['GIT binary patch', 'literal 5', 'Binary files a/x.c and b/x.c differ', 'diff --git a/x.c b/x.c', '@@ -1 +1 @@', '=?utf-8?q?=C3=A9?=', '\0\0\0', 'Content-Transfer-Encoding: quoted-printable', '--- /dev/null', '+++ b/../../etc/passwd'])); break;
      default: { const i = int(lines.length); if (lines[i]) lines[i] = mutateC(lines[i]).split('\n')[0]; }
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- running

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-fuzz-'));
const failDir = path.join(os.tmpdir(), `pinlens-fuzz-failures-${SEED}`);
const cache = path.join(work, 'cache');
let passed = 0, failed = 0, caseNo = 0;

function keep(kind, files, why) {
  const d = path.join(failDir, `${kind}-${caseNo}`);
  fs.mkdirSync(d, { recursive: true });
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(d, name.replace(/[\\/]/g, '_')), data);
  fs.writeFileSync(path.join(d, 'why.txt'), why + '\n');
  return d;
}

function verdict(kind, ok, why, files) {
  if (ok) { passed++; return; }
  failed++;
  const where = keep(kind, files, why);
  console.log(`fuzz: FAIL ${kind} case ${caseNo} (seed ${SEED}): ${why} [inputs kept in ${where}]`);
}

/** Runs the CLI with a wall-clock limit; never throws. */
function cli(args, env = {}) {
  const t = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8', timeout: TIMEOUT, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, XDG_CACHE_HOME: cache, ...env },
  });
  return { code: r.status, signal: r.signal, out: r.stdout ?? '', err: r.stderr ?? '', ms: Date.now() - t, error: r.error };
}

function judgeCli(r, allowed = [0, 1, 2]) {
  if (r.signal) return `killed (${r.signal}) after ${r.ms} ms: a hang or a runaway`;
  if (r.error) return `could not run: ${r.error.message}`;
  if (!allowed.includes(r.code)) return `exit status ${r.code}: ${r.err.slice(0, 300)}`;
  if (/internal error|uncaught|Maximum call stack|heap out of memory/i.test(r.err)) return `stderr: ${r.err.slice(0, 300)}`;
  return undefined;
}

function caseC() {
  const dir = path.join(work, `c-${caseNo}`);
  fs.mkdirSync(dir);
  const files = {};
  const count = 8 + int(4); // enough for the worker pool
  for (let i = 0; i < count; i++) {
    const k = int(cTexts.length);
    const text = mutateC(cTexts[k]);
    const name = `m${i}-${path.basename(cFiles[k])}`;
    fs.writeFileSync(path.join(dir, name), text, 'latin1');
    files[name] = Buffer.from(text, 'latin1');
  }
  const seq = cli(['check', '--format', 'json', '--jobs', '1', dir]);
  let why = judgeCli(seq, [0, 1]);
  if (!why) { try { JSON.parse(seq.out); } catch { why = 'the JSON output does not parse'; } }
  if (!why && chance(0.5)) {
    // the workers must say the same
    const par = cli(['check', '--format', 'json', '--jobs', '2', dir]);
    why = judgeCli(par, [0, 1]);
    if (!why) {
      const a = JSON.parse(seq.out), b = JSON.parse(par.out);
      delete a.stats.ms; delete b.stats.ms;
      if (JSON.stringify(a) !== JSON.stringify(b)) why = '--jobs 1 and --jobs 2 disagree';
    }
  }
  verdict('c', !why, why, files);
  fs.rmSync(dir, { recursive: true, force: true });
}

function casePatch() {
  const k = int(patchCases.length);
  const text = mutatePatch(patchTexts[k]);
  const f = path.join(work, `p-${caseNo}.patch`);
  fs.writeFileSync(f, text);
  const r = cli(['check', '--tree', patchCases[k].tree, '--patch', f]);
  let why = judgeCli(r);
  if (!why && r.code === 2 && !/^pinlens: /m.test(r.err)) why = `exit 2 without a message: ${r.err.slice(0, 200)}`;
  if (!why && /undefined/.test(r.err)) why = `a message says undefined: ${r.err.slice(0, 300)}`;
  verdict('patch', !why, why, { 'input.patch': text, 'tree.txt': patchCases[k].tree });
  fs.rmSync(f, { force: true });
}

function caseFs() {
  const dir = path.join(work, `fs-${caseNo}`);
  fs.mkdirSync(dir);
  const walked = path.join(dir, 'tree');
  fs.mkdirSync(walked);
  fs.writeFileSync(path.join(walked, 'ok.c'), pick(cTexts));
  const faults = [];
  const make = {
    fifo: p => spawnSync('mkfifo', [p]).status === 0,
    zero: p => { fs.symlinkSync('/dev/zero', p); return true; },
    dangling: p => { fs.symlinkSync(path.join(dir, 'nothing-here'), p); return true; },
    loop: p => { fs.symlinkSync(p, p); return true; },
    dirloop: p => { fs.symlinkSync('.', p); return true; },
    locked: p => { fs.writeFileSync(p, 'int x;\n'); fs.chmodSync(p, 0); return true; },
  };
  for (const [kind, fn] of Object.entries(make)) if (chance(0.6)) { try { if (fn(path.join(walked, `${kind}.c`))) faults.push(kind); } catch { /* not possible here */ } }
  // the cache: somewhere it cannot be made, or its entries replaced
  const caches = ['/proc/1/pinlens-fuzz-cache', path.join(walked, 'ok.c', 'under-a-file'), path.join(dir, 'cache')];
  const cacheDir = pick(caches);
  const env = { XDG_CACHE_HOME: cacheDir };
  const args = ['check', '--format', 'json', '--tree', walked, walked];
  const first = cli(args, env);
  let why = judgeCli(first, [0, 1]);
  if (!why && cacheDir.startsWith(dir)) {
    // entries become FIFOs, links to /dev/zero or folders
    for (const f of filesUnder(cacheDir, /\.json$/)) {
      fs.rmSync(f);
      const how = int(3);
      if (how === 0) spawnSync('mkfifo', [f]); else if (how === 1) fs.symlinkSync('/dev/zero', f); else fs.mkdirSync(f);
    }
    why = judgeCli(cli(args, env), [0, 1]);
  }
  // each fault named on the command line: an input error, not a hang
  for (const kind of faults.filter(k => k !== 'dirloop')) { // (a link to a folder is a folder: walked)
    if (why) break;
    const r = cli(['check', path.join(walked, `${kind}.c`)], env);
    why = judgeCli(r);
    const root = process.getuid?.() === 0;
    if (!why && r.code !== 2 && !(kind === 'locked' && root)) why = `${kind} named on the command line: exit ${r.code}, not 2`;
  }
  verdict('fs', !why, why ? `${why} (faults: ${faults.join(', ')}; cache ${cacheDir})` : undefined, { 'faults.txt': faults.join('\n') + `\ncache ${cacheDir}\n` });
  try { fs.chmodSync(path.join(walked, 'locked.c'), 0o644); } catch { /* none */ }
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---- the language server

function frame(o) {
  const body = Buffer.from(JSON.stringify(o), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

const BAD_FRAMES = [
  'Content-Length: 9\r\n\r\n{garbage}', 'X-Foo: 1\r\n\r\n', 'Content-Length: abc\r\n\r\n{}', 'Content-Length 12\r\n\r\n',
  'Content-Length: 7\r\n\r\n[1,2,3]', 'Content-Length: 2\r\nContent-Type: application/json; charset=latin9\r\n\r\n{}', 'junk\n',
  'Content-Length: 4\r\n\r\nnull', 'Content-Length: 99999999999\r\n\r\n',
];

function caseLsp() {
  return new Promise(resolve => {
    const p = spawn(process.execPath, [SERVER, '--stdio'], { stdio: 'pipe', env: { ...process.env, XDG_CACHE_HOME: cache } });
    const sent = [];
    const send = b => { sent.push(b); p.stdin.write(b); };
    let buf = Buffer.alloc(0);
    const answers = new Map();
    const logs = [];
    let onAnswer = () => {};
    p.stdin.on('error', () => { /* the server went away: judged below */ });
    p.stdout.on('data', d => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const h = buf.indexOf('\r\n\r\n');
        if (h < 0) return;
        const m = /Content-Length: (\d+)/i.exec(buf.subarray(0, h).toString());
        if (!m) { buf = Buffer.alloc(0); logs.push('unframed output'); return; }
        const n = Number(m[1]);
        if (buf.length < h + 4 + n) return;
        let msg;
        try { msg = JSON.parse(buf.subarray(h + 4, h + 4 + n).toString('utf8')); } catch { logs.push('bad JSON from the server'); }
        buf = buf.subarray(h + 4 + n);
        if (!msg) continue;
        if (msg.method && msg.id !== undefined) send(frame({ jsonrpc: '2.0', id: msg.id, result: msg.method === 'workspace/configuration' ? (msg.params?.items ?? []).map(() => null) : null }));
        else if (msg.method === 'window/logMessage' && /uncaught|unhandled|internal error/i.test(msg.params?.message ?? '')) logs.push(msg.params.message);
        else if (msg.id !== undefined && !msg.method) { answers.set(msg.id, msg); onAnswer(); }
      }
    });
    let stderr = '';
    p.stderr.on('data', d => { stderr += d; });
    const exited = new Promise(r => p.on('exit', (code, sig) => r({ code, sig })));
    const deadline = setTimeout(() => { p.kill('SIGKILL'); }, TIMEOUT);
    const waitAnswer = (id, ms) => new Promise(r => {
      const t = setTimeout(() => r(undefined), ms);
      const check = () => { if (answers.has(id)) { clearTimeout(t); r(answers.get(id)); } };
      const prev = onAnswer;
      onAnswer = () => { prev(); check(); };
      check();
    });

    (async () => {
      let id = 0;
      const docs = [];
      const early = chance(0.3);
      if (early) send(frame({ jsonrpc: '2.0', id: ++id, method: 'textDocument/hover', params: { textDocument: { uri: 'file:///early.c' }, position: { line: 0, character: 0 } } }));
      send(frame({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { processId: null, rootUri: null, capabilities: { workspace: { configuration: true } } } }));
      send(frame({ jsonrpc: '2.0', method: 'initialized', params: {} }));
      const steps = 5 + int(20);
      for (let s = 0; s < steps; s++) {
        const r = int(10);
        if (r < 3 || !docs.length) {
          const patch = chance(0.3);
          const text = patch ? mutatePatch(pick(patchTexts)) : mutateC(pick(cTexts));
          const uri = `file:///fuzz/doc${docs.length}.${patch ? 'patch' : 'c'}`;
          docs.push({ uri, version: 1, text });
          send(frame({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: patch ? 'diff' : 'c', version: 1, text } } }));
        } else if (r < 5) {
          const d = pick(docs);
          d.version++;
          const line = int(200), ch = int(80);
          const change = chance(0.5) ? { text: mutateC(d.text) } : { range: { start: { line, character: ch }, end: { line: line + int(5), character: int(80) } }, text: pick(SNIPPETS) };
          send(frame({ jsonrpc: '2.0', method: 'textDocument/didChange', params: { textDocument: { uri: d.uri, version: d.version }, contentChanges: [change] } }));
        } else if (r < 8) {
          const d = pick(docs);
          const pos = { line: int(300), character: int(100) };
          const req = pick([
            { method: 'textDocument/hover', params: { textDocument: { uri: d.uri }, position: pos } },
            { method: 'textDocument/codeLens', params: { textDocument: { uri: d.uri } } },
            { method: 'textDocument/codeAction', params: { textDocument: { uri: d.uri }, range: { start: pos, end: pos }, context: { diagnostics: [] } } },
            { method: 'pinlens/simulation', params: { uri: d.uri, line: pos.line } },
            { method: 'textDocument/hover', params: { textDocument: { uri: d.uri }, position: { line: -1, character: 'x' } } },
          ]);
          const rid = ++id;
          send(frame({ jsonrpc: '2.0', id: rid, ...req }));
          if (chance(0.2)) send(frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: rid } }));
        } else if (r < 9) {
          send(Buffer.from(pick(BAD_FRAMES), 'latin1'));
        } else if (docs.length && chance(0.5)) {
          const d = docs.splice(int(docs.length), 1)[0];
          send(frame({ jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri: d.uri } } }));
        }
      }
      // responsive: a probe is answered, then shutdown and exit
      const probe = ++id;
      send(frame({ jsonrpc: '2.0', id: probe, method: 'textDocument/codeLens', params: { textDocument: { uri: docs[0]?.uri ?? 'file:///none.c' } } }));
      const t0 = Date.now();
      const a = await waitAnswer(probe, TIMEOUT);
      let why;
      if (!a) why = `no answer to a request within ${TIMEOUT} ms: the server stopped serving`;
      if (!why && early && answers.get(1)?.error?.code !== -32002) why = `a request before initialize got ${JSON.stringify(answers.get(1)).slice(0, 200)}`;
      if (!why) {
        const sid = ++id;
        send(frame({ jsonrpc: '2.0', id: sid, method: 'shutdown' }));
        if (!(await waitAnswer(sid, Math.max(1000, TIMEOUT - (Date.now() - t0))))) why = 'no answer to shutdown';
        else send(frame({ jsonrpc: '2.0', method: 'exit' }));
      }
      const end = await Promise.race([exited, new Promise(r => setTimeout(() => r(undefined), why ? 0 : 10000))]);
      if (!why && (!end || end.code !== 0)) why = `did not exit 0 after shutdown and exit (${JSON.stringify(end)})`;
      if (!why && logs.length) why = `the server logged: ${logs[0].slice(0, 300)}`;
      if (!why && /uncaught|internal error|Maximum call stack/i.test(stderr)) why = `stderr: ${stderr.slice(0, 300)}`;
      clearTimeout(deadline);
      if (p.exitCode === null) p.kill('SIGKILL');
      verdict('lsp', !why, why, { 'stream.bin': Buffer.concat(sent) });
      resolve();
    })();
  });
}

// ---------------------------------------------------------------- main loop

const started = Date.now();
const CASES = { c: caseC, patch: casePatch, lsp: caseLsp, fs: caseFs };
const order = KINDS.filter(k => CASES[k]);
if (!order.length) { console.error(`fuzz: no known kind in FUZZ_KINDS=${process.env.FUZZ_KINDS}`); process.exit(2); }
console.log(`fuzz: seed ${SEED}, ${SECONDS} s, ${TIMEOUT} ms per case, kinds ${order.join(',')}; ${cFiles.length} C files, ${patchCases.length} patches`);
const counts = {};
// at least one case of each kind, then until the time is up
while (caseNo < order.length || (Date.now() - started) / 1000 < SECONDS) {
  const kind = order[caseNo % order.length];
  caseNo++;
  counts[kind] = (counts[kind] ?? 0) + 1;
  await CASES[kind]();
}
fs.rmSync(work, { recursive: true, force: true });
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(`fuzz: cases by kind: ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log(`fuzz: seed ${SEED}, ${secs} s`);
// the closing line alone, in the plain 'N passed, N failed' shape CI readers know
console.log(`fuzz: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
