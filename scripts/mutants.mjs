// npm run bench:mutants [-- TREE] : an injected-bug benchmark. Takes the files
// of a kernel tree that call the page APIs, checks the originals once
// (baseline), then injects one bug per copy of a file — a single textual change
// at a known line, aimed with pinlens's own call sites — and counts, per kind
// of bug, the mutants where the expected finding appears at the expected place
// and was not already in the baseline. Mutants live in a temp folder that is
// deleted at the end; the report goes to stdout only.
//
// Environment: MUTANTS_MAX (default 400), MUTANTS_SEED (default 1),
// MUTANTS_JOBS (parallel CLI processes, default 2), MUTANTS_BATCH (mutants per
// process, default 40), MUTANTS_SHOW (missed examples per kind, default 10),
// MUTANTS_KEEP=1 keeps the temp folder.
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kernelTree } from './kernel-tree.mjs';
import { Parser, Language } from 'web-tree-sitter';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const MAX = Number(process.env.MUTANTS_MAX ?? 400);
const SEED = Number(process.env.MUTANTS_SEED ?? 1);
const JOBS = Number(process.env.MUTANTS_JOBS ?? 2);
const BATCH = Number(process.env.MUTANTS_BATCH ?? 40);
const SHOW = Number(process.env.MUTANTS_SHOW ?? 10);
const started = Date.now();

const tree = kernelTree(process.argv[2], 'mutants');
const cli = path.join(root, 'out', 'cli.js');
if (!fs.existsSync(cli)) { console.error('mutants: out/cli.js is missing: npm run build'); process.exit(2); }

// The kernel version decides the rules; the mutants' copies have no Makefile
// above them, so both runs name it explicitly.
const mk = fs.readFileSync(path.join(tree, 'Makefile'), 'utf8').slice(0, 2000);
const ver = /^VERSION\s*=\s*(\d+)/m.exec(mk), lvl = /^PATCHLEVEL\s*=\s*(\d+)/m.exec(mk);
const kernel = ver && lvl ? (Number(ver[1]) * 100 + Number(lvl[1]) < 605 ? '6.1' : '6.12') : '6.12';

// ---- the API catalog the mutations need (mirrors server/src/core/apis.ts) ----
const ACQ = {
  get_user_pages: { pages: 3, mode: 'GET', count: 1, flags: 2, returns: 'count' },
  get_user_pages_fast: { pages: 3, mode: 'GET', count: 1, flags: 2, returns: 'count' },
  get_user_pages_fast_only: { pages: 3, mode: 'GET', count: 1, flags: 2, returns: 'count' },
  get_user_pages_remote: { pages: 4, mode: 'GET', count: 2, flags: 3, returns: 'count' },
  get_user_pages_unlocked: { pages: 2, mode: 'GET', count: 1, flags: 3, returns: 'count' },
  get_user_page_vma_remote: { pages: -1, mode: 'GET', count: -1, flags: 2, returns: 'page' },
  get_user_page_fast_only: { pages: 2, mode: 'GET', count: -1, flags: 1, returns: 'bool' },
  pin_user_pages: { pages: 3, mode: 'PIN', count: 1, flags: 2, returns: 'count' },
  pin_user_pages_fast: { pages: 3, mode: 'PIN', count: 1, flags: 2, returns: 'count' },
  pin_user_pages_remote: { pages: 4, mode: 'PIN', count: 2, flags: 3, returns: 'count' },
  pin_user_pages_unlocked: { pages: 2, mode: 'PIN', count: 1, flags: 3, returns: 'count' },
  memfd_pin_folios: { pages: 3, mode: 'PIN', count: 4, flags: -1, returns: 'count' },
  iov_iter_extract_pages: { pages: 1, mode: 'EXTRACT', count: 3, flags: -1, returns: 'bytes' },
  iov_iter_get_pages2: { pages: 1, mode: 'GET', count: 3, flags: -1, returns: 'bytes' },
  iov_iter_get_pages_alloc2: { pages: 1, mode: 'GET', count: -1, flags: -1, returns: 'bytes' },
  iov_iter_get_pages: { pages: 1, mode: 'GET', count: 3, flags: -1, returns: 'bytes' },
  iov_iter_get_pages_alloc: { pages: 1, mode: 'GET', count: -1, flags: -1, returns: 'bytes' },
  bio_iov_iter_get_pages: { pages: 0, mode: 'EXTRACT', count: -1, flags: -1, returns: 'into-bio' },
};
const REL = {
  put_page: 'put', folio_put: 'put', folio_put_refs: 'put', release_pages: 'put',
  unpin_user_page: 'unpin', unpin_user_pages: 'unpin', unpin_user_pages_dirty_lock: 'unpin',
  unpin_user_page_range_dirty_lock: 'unpin', unpin_folio: 'unpin', unpin_folios: 'unpin', unpin_user_folio: 'unpin',
};
const ARRAY_REL = new Set(['unpin_user_pages', 'unpin_user_pages_dirty_lock', 'release_pages', 'unpin_folios']);
// the same call, the other family: [new name, how many arguments to keep]
const SWAP = {
  unpin_user_page: ['put_page', 1], unpin_user_pages: ['release_pages', 2], unpin_user_pages_dirty_lock: ['release_pages', 2],
  unpin_folio: ['folio_put', 1], unpin_folios: ['release_pages', 2], unpin_user_folio: ['folio_put_refs', 2],
  put_page: ['unpin_user_page', 1], release_pages: ['unpin_user_pages', 2], folio_put: ['unpin_folio', 1],
  folio_put_refs: ['unpin_user_folio', 2],
};
const SWAP_ACQ = {
  pin_user_pages: 'get_user_pages', pin_user_pages_fast: 'get_user_pages_fast', pin_user_pages_remote: 'get_user_pages_remote',
  pin_user_pages_unlocked: 'get_user_pages_unlocked', get_user_pages: 'pin_user_pages', get_user_pages_fast: 'pin_user_pages_fast',
  get_user_pages_remote: 'pin_user_pages_remote', get_user_pages_unlocked: 'pin_user_pages_unlocked',
};
const WILL_PIN = /\b(iov_iter_extract_will_pin|user_backed_iter)\s*\(/;
const RELEASE_CALL = new RegExp(`\\b(${Object.keys(REL).join('|')})\\s*\\(`);

const KINDS = {
  'swap-family': 'release of the other family ⇒ mismatched-release at the release',
  'swap-acquire': 'pin_user_pages* ⇄ get_user_pages* at the acquire ⇒ mismatched-release at a release',
  'drop-release': 'release statement → `;` (another release remains) ⇒ leaked-pages in the function',
  'double': 'release statement duplicated ⇒ double-release at the duplicate',
  'requested-count': 'bulk release count: result var → requested count ⇒ release-count-mismatch at the release',
  'requested-loop': 'release loop bound: result var → requested count ⇒ release-count-mismatch at the loop',
  'bad-flags': '| FOLL_PIN / FOLL_GET (pin) / FOLL_LONGTERM (get) ⇒ invalid-gup-flags at the call',
  'unguard': 'if (will_pin) before a release removed ⇒ mismatched-release at the release',
  'bio-flag': 'BIO_PAGE_PINNED set unconditionally / not set ⇒ bio-flag-mismatch in the function',
  'early-release': 'a release copied before the acquire ⇒ release-without-reference (or double-release) there',
  'early-return': '`if (fault()) return err;` after the acquire ⇒ leaked-pages there',
};

// ---- random, fixed seed ----
function mulberry32(a) {
  return () => { a |= 0; a = (a + 0x6D2B79F5) | 0; let t = Math.imul(a ^ (a >>> 15), 1 | a); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const rnd = mulberry32(SEED);
const shuffle = (xs) => { for (let i = xs.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [xs[i], xs[j]] = [xs[j], xs[i]]; } return xs; };

// ---- tree-sitter: targets, arguments, and "still parses the same way" ----
const grammars = path.join(root, 'grammars');
await Parser.init({ locateFile: () => path.join(grammars, 'tree-sitter.wasm') });
const parser = new Parser();
parser.setLanguage(await Language.load(fs.readFileSync(path.join(grammars, 'tree-sitter-c.wasm'))));

function shape(text) {
  const t = parser.parse(text);
  let errors = 0, fns = 0;
  const c = t.rootNode.walk();
  let down = true;
  for (;;) {
    if (down) {
      const n = c.currentNode;
      if (n.type === 'ERROR' || n.isMissing) errors++;
      if (n.type === 'function_definition') fns++;
    }
    if (down && c.gotoFirstChild()) continue;
    if (c.gotoNextSibling()) { down = true; continue; }
    if (!c.gotoParent()) break;
    down = false;
  }
  t.delete();
  return `${errors}/${fns}`;
}

const MACRO_OR_COMMENT = new Set(['preproc_def', 'preproc_function_def', 'comment']);
function inMacroOrComment(n) { for (let p = n; p; p = p.parent) if (MACRO_OR_COMMENT.has(p.type)) return true; return false; }
function enclosingFn(n) { for (let p = n; p; p = p.parent) if (p.type === 'function_definition') return p; return null; }
function fnName(f) {
  let d = f?.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  return d?.childForFieldName('declarator')?.text ?? '?';
}
/** what the leak policies look at: where the pages go and whether the acquire loops */
function holderHint(acall, fnode, api) {
  const pa = api ? api.pages : -2;
  const holder = pa >= 0 ? (args(acall)[pa]?.text ?? '?').replace(/^&/, '') : pa === -1 ? '(returned page)' : '(helper)';
  const params = new Set();
  let d = fnode.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  for (const p of d?.childForFieldName('parameters')?.namedChildren ?? []) {
    let x = p.childForFieldName('declarator');
    while (x && x.type !== 'identifier') x = x.childForFieldName('declarator');
    if (x) params.add(x.text);
  }
  const rootName = /^\(?\*?\s*(\w+)/.exec(holder)?.[1] ?? '';
  let loop = false;
  for (let p = acall.parent; p && p.id !== fnode.id; p = p.parent) if (/^(for|while|do)_statement$/.test(p.type)) loop = true;
  const tags = [`pages ${holder.replace(/\s+/g, ' ').slice(0, 30)}`];
  if (/->|\./.test(holder)) tags.push('field');
  if (params.has(rootName)) tags.push('param');
  if (loop) tags.push('in loop');
  return tags.join(', ');
}
function args(call) { return (call.childForFieldName('arguments')?.namedChildren ?? []).filter(a => a.type !== 'comment'); }

/** the call of `name` that starts on (0-based) row, or within two rows after */
function callAt(ft, name, row) {
  for (let r = row; r < row + 3 && r < ft.lines.length; r++) {
    const re = new RegExp(`\\b${name}\\s*\\(`, 'g');
    let m;
    while ((m = re.exec(ft.lines[r]))) {
      const id = ft.tree.rootNode.descendantForPosition({ row: r, column: m.index });
      const call = id?.parent;
      if (id?.type !== 'identifier' || id.text !== name || call?.type !== 'call_expression' || call.childForFieldName('function')?.id !== id.id) continue;
      if (inMacroOrComment(call)) return null;
      return call;
    }
  }
  return null;
}
/** the expression statement that is exactly this call, alone on its line */
function aloneStatement(ft, call) {
  const st = call.parent;
  if (st?.type !== 'expression_statement' || st.startPosition.row !== st.endPosition.row) return null;
  const line = ft.lines[st.startPosition.row];
  const rest = line.slice(0, st.startPosition.column) + line.slice(st.endPosition.column);
  return /^\s*(\/\*.*\*\/\s*|\/\/.*)?$/.test(rest) ? st : null;
}
const oneRow = (n) => n.startPosition.row === n.endPosition.row;
/** replace columns [a, b) of row with s */
const edit = (lines, row, a, b, s) => { const out = lines.slice(); out[row] = lines[row].slice(0, a) + s + lines[row].slice(b); return out; };
const indentOf = (l) => /^\s*/.exec(l)[0];

// ---- 1. files and the baseline ----
const words = Object.keys(ACQ).join('|');
const files = execFileSync('rg', ['-l', '-w', words, '--type', 'c', '-g', '!tools/**', '.'], { cwd: tree, encoding: 'utf8', maxBuffer: 1 << 26 })
  .trim().split('\n').filter(Boolean).map(f => f.replace(/^\.\//, '')).sort();

function runCli(cwd, paths) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, 'check', '--format', 'json', '--kernel', kernel, ...paths], { cwd });
    const out = [], err = [];
    p.stdout.on('data', d => out.push(d));
    p.stderr.on('data', d => err.push(d));
    p.on('close', (status) => {
      try { resolve({ status, report: JSON.parse(Buffer.concat(out).toString('utf8')), stderr: Buffer.concat(err).toString('utf8') }); }
      catch { resolve({ status, report: null, stderr: Buffer.concat(err).toString('utf8') }); }
    });
  });
}
const base = await runCli(tree, files);
if (!base.report) { console.error(`mutants: baseline run failed (${base.status}): ${base.stderr.slice(0, 2000)}`); process.exit(2); }
const baselineMs = Date.now() - started;
const baseKeys = new Map(files.map(f => [f, new Set()]));
for (const f of base.report.findings) baseKeys.get(f.file)?.add(`${f.code}|${f.function}|${f.line}`);

// ---- 2. mutants, from the original text ----
const cache = new Map();
function fileText(rel) {
  let ft = cache.get(rel);
  if (!ft) {
    const text = fs.readFileSync(path.join(tree, rel), 'utf8');
    ft = { text, lines: text.split('\n'), tree: parser.parse(text), shape: null };
    cache.set(rel, ft);
  }
  return ft;
}
const candidates = Object.fromEntries(Object.keys(KINDS).map(k => [k, []]));
const seen = new Set();
const skipped = Object.fromEntries(Object.keys(KINDS).map(k => [k, 0]));
/** m: {kind, file, line (1-based, original), fn, desc, lines (mutant), insertAt?, expect: {code, lo, hi} | {code, fn}} */
function add(m) {
  // the same change reached from two call sites is one mutant
  const orig = fileText(m.file).lines;
  let i = 0;
  while (i < orig.length && orig[i] === m.lines[i]) i++;
  const key = `${m.kind}|${m.file}|${i}|${m.lines[i]}|${m.lines.length}`;
  if (seen.has(key)) return;
  seen.add(key);
  // the expected finding is already there in the original: nothing new to find
  const bk = baseKeys.get(m.file);
  if (m.expect.lo !== undefined && !m.insertAt) {
    for (let l = m.expect.lo; l <= m.expect.hi; l++) if (bk.has(`${m.expect.code}|${m.fn}|${l}`)) { skipped[m.kind]++; return; }
  }
  candidates[m.kind].push(m);
}

const sitesByFile = new Map();
for (const c of base.report.callSites) {
  if (!sitesByFile.has(c.file)) sitesByFile.set(c.file, []);
  sitesByFile.get(c.file).push(c);
}

for (const [file, sites] of sitesByFile) {
  const ft = fileText(file);
  for (const site of sites) {
    const api = ACQ[site.api];
    const acall = callAt(ft, site.api, site.line - 1);
    const aFn = acall && enclosingFn(acall);
    const fn = site.function;
    const direct = site.releases.filter(r => r.file === file && REL[r.api] && !r.via);
    const relCalls = direct.map(r => ({ r, call: callAt(ft, r.api, r.line - 1) })).filter(x => x.call);
    const hint = acall && aFn ? holderHint(acall, aFn, api) : '';

    // swap-family, drop-release, double, requested-count(-loop)
    for (const { r, call } of relCalls) {
      const row = call.startPosition.row;
      const span = { lo: row + 1, hi: call.endPosition.row + 1 };
      const a = args(call);
      const sw = SWAP[r.api];
      if (site.mode !== 'NONE' && site.mode !== 'UNKNOWN' && sw && a.length >= sw[1] && oneRow(call)) {
        const name = call.childForFieldName('function');
        const argl = call.childForFieldName('arguments');
        const kept = a.length === sw[1] ? argl.text : `(${a.slice(0, sw[1]).map(x => x.text).join(', ')})`;
        const lines = edit(ft.lines, row, name.startPosition.column, argl.endPosition.column, sw[0] + kept);
        add({ kind: 'swap-family', file, line: row + 1, fn, desc: `${r.api}( → ${sw[0]}( on ${site.mode} pages of ${site.api}:${site.line}`, lines, expect: { code: 'mismatched-release', ...span } });
      }
      const st = aloneStatement(ft, call);
      const sameFn = aFn && enclosingFn(call)?.id === aFn.id;
      if (st && sameFn && direct.some(o => o.line !== r.line)) {
        const lines = edit(ft.lines, row, st.startPosition.column, st.endPosition.column, ';');
        add({ kind: 'drop-release', hint, file, line: row + 1, fn, desc: `drop \`${st.text}\` (${site.api}:${site.line})`, lines, expect: { code: 'leaked-pages', fn } });
      }
      // `put_page(pages[i++])` twice releases the next slot, not the same page again
      if (st && !/\+\+|--/.test(st.text)) {
        let lines, insertAt, expect;
        if (st.parent?.type === 'compound_statement') {
          lines = ft.lines.slice(); lines.splice(row + 1, 0, ft.lines[row]); insertAt = row + 2;
          expect = { code: 'double-release', lo: row + 1, hi: row + 2 };
        } else {
          lines = edit(ft.lines, row, st.startPosition.column, st.endPosition.column, `{ ${st.text} ${st.text} }`);
          expect = { code: 'double-release', lo: row + 1, hi: row + 1 };
        }
        add({ kind: 'double', hint, file, line: row + 1, fn, desc: `duplicate \`${st.text}\``, lines, insertAt, expect });
      }
      // requested count: the count variable assigned from the acquire
      if (api && api.returns === 'count' && api.count >= 0 && acall) {
        const asg = acall.parent;
        let v = null;
        if (asg?.type === 'assignment_expression' && asg.childForFieldName('right')?.id === acall.id) v = asg.childForFieldName('left').text;
        if (asg?.type === 'init_declarator' && asg.childForFieldName('value')?.id === acall.id) v = asg.childForFieldName('declarator').text.replace(/^\*+/, '');
        const req = args(acall)[api.count]?.text.replace(/\s+/g, ' ');
        if (v && req && req !== v) {
          if (ARRAY_REL.has(r.api) && a[1] && oneRow(a[1]) && a[1].text.trim() === v) {
            const lines = edit(ft.lines, a[1].startPosition.row, a[1].startPosition.column, a[1].endPosition.column, req);
            add({ kind: 'requested-count', file, line: row + 1, fn, desc: `${r.api}(…, ${v}) → (…, ${req}) after ${site.api}:${site.line}`, lines, expect: { code: 'release-count-mismatch', ...span } });
          }
          // a loop over the obtained pages: `for (…; i < v; …) release(pages[i])`
          let loop = call.parent;
          for (let k = 0; k < 3 && loop && loop.type !== 'for_statement'; k++) loop = loop.parent;
          const cond = loop?.type === 'for_statement' ? loop.childForFieldName('condition') : null;
          if (!ARRAY_REL.has(r.api) && cond?.type === 'binary_expression' && cond.childForFieldName('right')?.text === v && oneRow(cond)) {
            const rt = cond.childForFieldName('right');
            const lines = edit(ft.lines, rt.startPosition.row, rt.startPosition.column, rt.endPosition.column, req);
            add({ kind: 'requested-loop', file, line: rt.startPosition.row + 1, fn, desc: `loop bound ${v} → ${req} around ${r.api}:${r.line}`, lines, expect: { code: 'release-count-mismatch', lo: rt.startPosition.row + 1, hi: span.hi } });
          }
        }
      }
    }

    // the acquire-side kinds need the API itself (a helper's call site has its own contract)
    if (!acall || !api) continue;
    const holds = site.mode !== 'NONE' && site.mode !== 'UNKNOWN';
    const arow = acall.startPosition.row;
    const aspan = { lo: arow + 1, hi: acall.endPosition.row + 1 };
    const aargs = args(acall);

    // bad flags (not in the APIs' own implementations, which pass internal flags by design)
    if (api && api.flags >= 0 && (api.mode === 'GET' || api.mode === 'PIN') && !ACQ[fn] && aargs[api.flags] && oneRow(aargs[api.flags])) {
      const fa = aargs[api.flags];
      const add1 = (flag) => {
        if (new RegExp(`\\b${flag}\\b`).test(fa.text)) return;
        const t = /[?]|&&|\|\|/.test(fa.text) ? `(${fa.text}) | ${flag}` : `${fa.text} | ${flag}`;
        const lines = edit(ft.lines, fa.startPosition.row, fa.startPosition.column, fa.endPosition.column, t);
        add({ kind: 'bad-flags', file, line: arow + 1, fn, desc: `${site.api}(… ${fa.text} | ${flag} …)`, lines, expect: { code: 'invalid-gup-flags', ...aspan } });
      };
      add1('FOLL_PIN');
      add1(api.mode === 'PIN' ? 'FOLL_GET' : 'FOLL_LONGTERM');
    }
    // swap the acquire's family; the releases stay
    if (SWAP_ACQ[site.api] && relCalls.length) {
      const id = acall.childForFieldName('function');
      const lines = edit(ft.lines, arow, id.startPosition.column, id.endPosition.column, SWAP_ACQ[site.api]);
      const rl = relCalls.map(x => x.call.startPosition.row + 1);
      // a wrong release anywhere in the function (also through a helper) is the bug;
      // FOLL_LONGTERM / FOLL_GET now refused at the call is its consequence, not noise
      add({ kind: 'swap-acquire', file, line: arow + 1, fn, desc: `${site.api}( → ${SWAP_ACQ[site.api]}( (releases at ${rl.join(',')})`, lines,
        expect: { code: 'mismatched-release', fn }, related: [{ code: 'invalid-gup-flags', ...aspan }, { code: 'mismatched-release' }] });
    }
    // statements around the acquire: only a plain statement in a block
    let ast = acall.parent;
    if (ast?.type === 'assignment_expression') ast = ast.parent;
    if (ast?.type !== 'expression_statement' || ast.parent?.type !== 'compound_statement') continue;
    const srow = ast.startPosition.row, erow = ast.endPosition.row;
    const ind = indentOf(ft.lines[srow]);
    // early release: a release of this site copied before the acquire
    // (one page, not indexed by a loop variable, acquire not in a loop: a bulk release
    // of a count still 0 would be a no-op, and in a loop the slot may hold an earlier page)
    const single = (x) => !ARRAY_REL.has(x.r.api) && !/\[\s*[A-Za-z_]/.test(args(x.call)[0]?.text ?? '[');
    let inLoop = false;
    for (let p = acall.parent; p && p.id !== aFn?.id; p = p.parent) if (/^(for|while|do)_statement$/.test(p.type)) inLoop = true;
    const first = relCalls.map(x => ({ ...x, st: aloneStatement(ft, x.call) })).find(x => x.st && single(x) && enclosingFn(x.call)?.id === aFn?.id);
    if (holds && first && !inLoop && ft.lines[srow].slice(0, ast.startPosition.column).trim() === '') {
      const lines = ft.lines.slice(); lines.splice(srow, 0, ind + first.st.text);
      // on a retry path (goto back above the acquire) the pages were already released: double-release says it too
      add({ kind: 'early-release', hint, file, line: srow + 1, fn, desc: `\`${first.st.text}\` inserted before ${site.api}:${site.line}`, lines, insertAt: srow + 1,
        expect: { code: 'release-without-reference', also: 'double-release', lo: srow + 1, hi: srow + 1 }, related: [{ code: 'double-release' }] });
    }
    // early error return after the acquire
    if (holds && aFn && ft.lines[erow].slice(ast.endPosition.column).trim() === '') {
      const type = aFn.childForFieldName('type')?.text ?? '';
      const ptr = aFn.childForFieldName('declarator')?.type === 'pointer_declarator';
      const ret = ptr ? 'return ERR_PTR(-EIO);' : type === 'void' ? 'return;' : type === 'bool' ? 'return false;'
        : /^(int|long|ssize_t|s32|s64|long long|loff_t|vm_fault_t)$/.test(type) ? (type === 'vm_fault_t' ? 'return VM_FAULT_SIGBUS;' : 'return -EIO;') : null;
      if (ret) {
        const lines = ft.lines.slice(); lines.splice(erow + 1, 0, `${ind}if (pinlens_mutant_fault()) ${ret}`);
        add({ kind: 'early-return', hint, file, line: erow + 1, fn, desc: `\`if (fault) ${ret}\` after ${site.api}:${site.line}`, lines, insertAt: erow + 2, expect: { code: 'leaked-pages', lo: erow + 2, hi: erow + 2 } });
      }
    }
  }
}

// unguard / bio-flag: `if (will_pin(...))` whose body releases or sets BIO_PAGE_PINNED, in any file
for (const file of files) {
  const ft = fileText(file);
  ft.lines.forEach((l, row) => {
    const m = /^(\s*)if\s*\(/.exec(l);
    if (!m || !WILL_PIN.test(l)) return;
    const ifn = ft.tree.rootNode.descendantForPosition({ row, column: m[1].length });
    if (ifn?.type !== 'if' || ifn.parent?.type !== 'if_statement') return;
    const ifs = ifn.parent;
    const cond = ifs.childForFieldName('condition');
    if (ifs.childForFieldName('alternative') || !oneRow(cond) || inMacroOrComment(ifs)) return;
    const after = l.slice(cond.endPosition.column).trim();
    if (after !== '' && after !== '{') return;
    const fnode = enclosingFn(ifs);
    const fn = fnName(fnode);
    const body = ifs.childForFieldName('consequence');
    const lines = edit(ft.lines, row, m[1].length, cond.endPosition.column, '');
    const rel = RELEASE_CALL.exec(body.text);
    if (/BIO_PAGE_PINNED/.test(body.text) && /bio_set_flag/.test(body.text)) {
      const br = body.startPosition.row + body.text.split('\n').findIndex(x => /bio_set_flag/.test(x));
      add({ kind: 'bio-flag', file, line: br + 1, fn, desc: `unconditional \`${ft.lines[br].trim()}\` (if at ${row + 1} removed)`, lines, expect: { code: 'bio-flag-mismatch', fn } });
      const st = ft.lines[br].trim();
      if (/^bio_set_flag\([^;]*\);$/.test(st)) {
        const dl = edit(ft.lines, br, indentOf(ft.lines[br]).length, ft.lines[br].length, ';');
        add({ kind: 'bio-flag', file, line: br + 1, fn, desc: `drop \`${st}\``, lines: dl, expect: { code: 'bio-flag-mismatch', fn } });
      }
    }
    if (rel) {
      const rr = body.startPosition.row + body.text.split('\n').findIndex(x => RELEASE_CALL.test(x));
      add({ kind: 'unguard', file, line: rr + 1, fn, desc: `\`${l.trim()}\` removed above ${rel[1]}() at ${rr + 1}`, lines, expect: { code: 'mismatched-release', lo: rr + 1, hi: rr + 1 } });
    }
  });
}

// ---- sampling: an even share per kind, even across files within a kind ----
const kinds = Object.keys(KINDS);
const quota = Object.fromEntries(kinds.map(k => [k, 0]));
let left = MAX;
for (let open = kinds.filter(k => candidates[k].length); open.length && left > 0;) {
  const share = Math.max(1, Math.floor(left / open.length));
  for (const k of open) { const n = Math.min(share, candidates[k].length - quota[k], left); quota[k] += n; left -= n; }
  open = open.filter(k => quota[k] < candidates[k].length);
}
const chosen = [];
for (const k of kinds) {
  const byFile = new Map();
  for (const c of candidates[k]) { if (!byFile.has(c.file)) byFile.set(c.file, []); byFile.get(c.file).push(c); }
  const groups = shuffle([...byFile.values()].map(g => shuffle(g.slice())));
  const picked = [];
  while (picked.length < quota[k]) for (const g of groups) if (g.length && picked.length < quota[k]) picked.push(g.pop());
  chosen.push(...picked);
}

// ---- parse check, write the mutants ----
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-mutants-'));
const parseSkipped = Object.fromEntries(kinds.map(k => [k, 0]));
const mutants = [];
for (const m of chosen) {
  const ft = fileText(m.file);
  ft.shape ??= shape(ft.text);
  const text = m.lines.join('\n');
  if (shape(text) !== ft.shape) { parseSkipped[m.kind]++; continue; }
  m.id = `m${String(mutants.length).padStart(4, '0')}`;
  m.path = path.join(m.id, m.file);
  fs.mkdirSync(path.join(tmp, path.dirname(m.path)), { recursive: true });
  fs.writeFileSync(path.join(tmp, m.path), text);
  delete m.lines;
  mutants.push(m);
}
for (const ft of cache.values()) ft.tree.delete();

// ---- 3. run pinlens on the mutants, in batches ----
const byPath = new Map(mutants.map(m => [m.path, m]));
const batches = [];
for (let i = 0; i < mutants.length; i += BATCH) batches.push(mutants.slice(i, i + BATCH));
let failedBatches = 0;
async function worker() {
  for (let b; (b = batches.shift());) {
    const r = await runCli(tmp, b.map(m => m.path));
    if (!r.report) { failedBatches++; for (const m of b) m.error = `pinlens exited ${r.status}: ${r.stderr.split('\n')[0]}`; continue; }
    for (const m of b) m.findings = [];
    for (const f of r.report.findings) byPath.get(f.file)?.findings.push(f);
  }
}
await Promise.all(Array.from({ length: JOBS }, worker));

// ---- judge ----
const mapLine = (m, l) => !m.insertAt ? l : l < m.insertAt ? l : l === m.insertAt ? 'ins' : l - 1;
const serious = (f) => f.severity === 'error' || f.severity === 'warning';
for (const m of mutants) {
  if (!m.findings) continue;
  const bk = baseKeys.get(m.file);
  const fresh = m.findings.filter(f => !bk.has(`${f.code}|${f.function}|${mapLine(m, f.line)}`));
  const e = m.expect;
  const slack = m.kind === 'double' ? 1 : 0;
  const at = (x, f) => x.fn ? f.function === x.fn : x.lo === undefined || (f.line >= x.lo - slack && f.line <= x.hi + slack);
  const hit = (f) => (f.code === e.code || f.code === e.also) && at(e, f);
  // findings the same bug explains elsewhere (e.g. FOLL_LONGTERM refused after pin → get) are not noise
  const related = (f) => (m.related ?? []).some(r => f.code === r.code && at(r, f));
  m.detected = fresh.some(hit);
  m.noise = fresh.filter(f => !hit(f) && !related(f) && serious(f));
  m.incomplete = m.findings.some(f => f.code === 'analysis-incomplete' && f.function === m.fn);
  m.got = [...new Set(fresh.filter(serious).map(f => `${f.code}@${mapLine(m, f.line)}`))];
}

// ---- 4. report ----
const pct = (a, b) => b ? `${(100 * a / b).toFixed(0)}%` : '-';
console.log(`tree: ${tree} (rules ${kernel}); files calling the page APIs: ${files.length}; call sites ${base.report.callSites.length}`);
const fps = base.report.findings.filter(serious);
console.log(`baseline errors/warnings on the originals (false positives unless real bugs): ${fps.length}`);
for (const f of fps.slice(0, 20)) console.log(`  ${f.file}:${f.line}: ${f.severity}: [${f.code}] ${f.function}(): ${f.message.slice(0, 120)}`);
console.log(`\nmutants: ${mutants.length} run (cap ${MAX}, seed ${SEED}); candidates ${kinds.reduce((n, k) => n + candidates[k].length, 0)}`);
const row = (cols, w) => cols.map((c, i) => i ? String(c).padStart(w[i]) : String(c).padEnd(w[i])).join('  ');
const W = [16, 6, 8, 6, 5, 8, 6, 6, 6];
console.log(row(['kind', 'cands', 'mutants', 'found', 'miss', 'rate', 'noisy', 'incmp', 'skip'], W));
const tot = { c: 0, n: 0, d: 0, x: 0, z: 0 };
for (const k of kinds) {
  const ms = mutants.filter(m => m.kind === k && !m.error);
  const d = ms.filter(m => m.detected).length;
  const z = ms.filter(m => m.noise.length).length;
  tot.c += candidates[k].length; tot.n += ms.length; tot.d += d; tot.x += ms.length - d; tot.z += z;
  console.log(row([k, candidates[k].length, ms.length, d, ms.length - d, pct(d, ms.length), z, ms.filter(m => !m.detected && m.incomplete).length, skipped[k] + parseSkipped[k]], W));
}
console.log(row(['total', tot.c, tot.n, tot.d, tot.x, pct(tot.d, tot.n), tot.z, '', ''], W));
console.log('(cands: mutants possible; noisy: mutants with other new errors/warnings; incmp: missed with analysis-incomplete in the function;');
console.log(' skip: expected finding already in the baseline, or the mutant does not parse the same way)');
for (const k of kinds) console.log(`  ${k}: ${KINDS[k]}`);
const errs = mutants.filter(m => m.error);
if (errs.length) console.log(`\nmutants pinlens failed on: ${errs.length} (${failedBatches} batches): ${errs[0].error}`);
for (const k of kinds) {
  const miss = mutants.filter(m => m.kind === k && !m.error && !m.detected);
  if (!miss.length) continue;
  console.log(`\nmissed ${k} (${miss.length}):`);
  for (const m of miss.slice(0, SHOW)) console.log(`  ${m.file}:${m.line} ${m.fn}(): ${m.desc}${m.hint ? ` {${m.hint}}` : ''}${m.incomplete ? ' [analysis-incomplete]' : ''}${m.got.length ? `  — new: ${m.got.join(', ')}` : ''}`);
}
const noisy = mutants.filter(m => m.noise?.length);
if (noisy.length) {
  console.log(`\nnoise examples (${noisy.length} mutants):`);
  for (const m of noisy.slice(0, 10)) console.log(`  ${m.kind} ${m.file}:${m.line} ${m.fn}(): ${m.noise.slice(0, 2).map(f => `[${f.code}]@${mapLine(m, f.line)} ${f.message.slice(0, 90)}`).join(' | ')}`);
}
console.log(`\ntime: ${((Date.now() - started) / 1000).toFixed(1)} s (baseline ${(baselineMs / 1000).toFixed(1)} s)`);
if (process.env.MUTANTS_KEEP) console.log(`mutants kept in ${tmp}`);
else fs.rmSync(tmp, { recursive: true, force: true });
