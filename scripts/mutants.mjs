// npm run bench:mutants [-- TREE] : an injected-bug benchmark. Takes the files
// of a kernel tree that call the page APIs, checks the originals once
// (baseline), then injects one bug per copy of a file — a single textual change
// at a known line — and counts, per kind of bug, the mutants where the
// expected finding appears at the expected place and was not already in the
// baseline. The first kinds are aimed with pinlens's own call sites (the
// acquiring function); the release kinds (rel-*, free-early, count-*) are aimed
// with the script's own tree-sitter reading of where released pages come from
// (scripts/release-sites.mjs): releases in helpers, teardowns, callbacks and
// error labels, pages read back from struct fields and sg entries, counts kept
// in fields. Every mutant is local (the acquire in the same function, pages not
// through a field or sg entry) or non-local, and both recalls are reported.
// Non-local mutants and the release kinds are also judged the way a
// maintainer works: the file checked in its tree (--tree), and the mutant as a
// unified diff against the tree (--tree --patch: `introduced`) and reversed
// against the mutated tree (`fixed`). Mutants and diffs live in a temp folder
// that is deleted at the end; the report goes to stdout only.
//
// Environment: MUTANTS_MAX (default 200), MUTANTS_SEED (default 1),
// MUTANTS_KINDS (`old`, `new`, or a comma list of kinds; default all),
// MUTANTS_NEW_SHARE (share of the cap for the release kinds, default 0.6),
// MUTANTS_JOBS (parallel CLI processes, default 2), MUTANTS_BATCH (mutants per
// process, default 40), MUTANTS_TREE=0 skips the --tree / --patch runs,
// MUTANTS_TREE_BATCH (mutants per --tree / --patch run, default 6),
// MUTANTS_SHOW (missed examples per kind, default 10), MUTANTS_LSP (patches
// also opened as patch documents in the language server, default 30; 0 skips),
// MUTANTS_KEEP=1 keeps the temp folder.
import { execFileSync, spawn } from 'child_process';
import { createRequire } from 'module';
import { pathToFileURL } from 'url';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kernelTree } from './kernel-tree.mjs';
import { Parser, Language } from 'web-tree-sitter';
import { createTwoFilesPatch, diffArrays } from 'diff';
import { releaseSites, nodesOf, callName } from './release-sites.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const MAX = Number(process.env.MUTANTS_MAX ?? 200);
const SEED = Number(process.env.MUTANTS_SEED ?? 1);
const JOBS = Number(process.env.MUTANTS_JOBS ?? 2);
const BATCH = Number(process.env.MUTANTS_BATCH ?? 40);
const SHOW = Number(process.env.MUTANTS_SHOW ?? 10);
const TREE_MODE = process.env.MUTANTS_TREE !== '0';
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
  // releases everywhere pages are released (scripts/release-sites.mjs finds them and their provenance)
  'rel-swap': 'unpin ⇄ put at a release whose pages come from a pin / get (helpers, teardowns, fields, sg entries) ⇒ mismatched-release there',
  'rel-double': 'such a release duplicated ⇒ double-release at the duplicate',
  'rel-drop': 'such a release dropped in a function that acquires nothing (teardown, release helper, callback) ⇒ leaked-pages in the file',
  'free-early': 'kfree/kvfree/vfree of the pages array moved above the release of its pages ⇒ leaked-pages at the free',
  'count-early': '`nr++` of an acquire loop moved above the acquire (the step that can fail) ⇒ release-without-reference / release-count-mismatch in the file',
  'count-reset': '`obj->nr = 0` after a release removed (the teardown releases again) ⇒ double-release in the file',
};
const NEW_KINDS = new Set(['rel-swap', 'rel-double', 'rel-drop', 'free-early', 'count-early', 'count-reset']);

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
    // local: the acquire API itself is called in this function and its pages are not a struct field's
    const siteLocal = !!(api && acall && !/->|\.|\bsg_page\b/.test(args(acall)[api.pages]?.text ?? ''));
    const relLocal = (call) => siteLocal && enclosingFn(call)?.id === aFn?.id && !/->|\.|\bsg_page\b/.test(args(call)[0]?.text ?? '');

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
        add({ local: relLocal(call), kind: 'swap-family', file, line: row + 1, fn, desc: `${r.api}( → ${sw[0]}( on ${site.mode} pages of ${site.api}:${site.line}`, lines, expect: { code: 'mismatched-release', ...span } });
      }
      const st = aloneStatement(ft, call);
      const sameFn = aFn && enclosingFn(call)?.id === aFn.id;
      if (st && sameFn && direct.some(o => o.line !== r.line)) {
        const lines = edit(ft.lines, row, st.startPosition.column, st.endPosition.column, ';');
        add({ local: relLocal(call), kind: 'drop-release', hint, file, line: row + 1, fn, desc: `drop \`${st.text}\` (${site.api}:${site.line})`, lines, expect: { code: 'leaked-pages', fn } });
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
        add({ local: relLocal(call), kind: 'double', hint, file, line: row + 1, fn, desc: `duplicate \`${st.text}\``, lines, insertAt, expect });
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
            add({ local: relLocal(call), kind: 'requested-count', file, line: row + 1, fn, desc: `${r.api}(…, ${v}) → (…, ${req}) after ${site.api}:${site.line}`, lines, expect: { code: 'release-count-mismatch', ...span } });
          }
          // a loop over the obtained pages: `for (…; i < v; …) release(pages[i])`
          let loop = call.parent;
          for (let k = 0; k < 3 && loop && loop.type !== 'for_statement'; k++) loop = loop.parent;
          const cond = loop?.type === 'for_statement' ? loop.childForFieldName('condition') : null;
          if (!ARRAY_REL.has(r.api) && cond?.type === 'binary_expression' && cond.childForFieldName('right')?.text === v && oneRow(cond)) {
            const rt = cond.childForFieldName('right');
            const lines = edit(ft.lines, rt.startPosition.row, rt.startPosition.column, rt.endPosition.column, req);
            add({ local: relLocal(call), kind: 'requested-loop', file, line: rt.startPosition.row + 1, fn, desc: `loop bound ${v} → ${req} around ${r.api}:${r.line}`, lines, expect: { code: 'release-count-mismatch', lo: rt.startPosition.row + 1, hi: span.hi } });
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
        add({ local: siteLocal, kind: 'bad-flags', file, line: arow + 1, fn, desc: `${site.api}(… ${fa.text} | ${flag} …)`, lines, expect: { code: 'invalid-gup-flags', ...aspan } });
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
      add({ local: siteLocal, kind: 'swap-acquire', file, line: arow + 1, fn, desc: `${site.api}( → ${SWAP_ACQ[site.api]}( (releases at ${rl.join(',')})`, lines,
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
      add({ local: siteLocal, kind: 'early-release', hint, file, line: srow + 1, fn, desc: `\`${first.st.text}\` inserted before ${site.api}:${site.line}`, lines, insertAt: srow + 1,
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
        add({ local: siteLocal, kind: 'early-return', hint, file, line: erow + 1, fn, desc: `\`if (fault) ${ret}\` after ${site.api}:${site.line}`, lines, insertAt: erow + 2, expect: { code: 'leaked-pages', lo: erow + 2, hi: erow + 2 } });
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
      add({ local: true, kind: 'bio-flag', file, line: br + 1, fn, desc: `unconditional \`${ft.lines[br].trim()}\` (if at ${row + 1} removed)`, lines, expect: { code: 'bio-flag-mismatch', fn } });
      const st = ft.lines[br].trim();
      if (/^bio_set_flag\([^;]*\);$/.test(st)) {
        const dl = edit(ft.lines, br, indentOf(ft.lines[br]).length, ft.lines[br].length, ';');
        add({ local: true, kind: 'bio-flag', file, line: br + 1, fn, desc: `drop \`${st}\``, lines: dl, expect: { code: 'bio-flag-mismatch', fn } });
      }
    }
    if (rel) {
      const rr = body.startPosition.row + body.text.split('\n').findIndex(x => RELEASE_CALL.test(x));
      add({ local: !/->|\.|\bsg_page\b/.test(ft.lines[rr]), kind: 'unguard', file, line: rr + 1, fn, desc: `\`${l.trim()}\` removed above ${rel[1]}() at ${rr + 1}`, lines, expect: { code: 'mismatched-release', lo: rr + 1, hi: rr + 1 } });
    }
  });
}

// ---- 2b. releases everywhere pages are released (scripts/release-sites.mjs) ----
// Release sites whose pages provably come from a user-page API, also in
// functions that acquire nothing (teardowns, release helpers, callbacks, error
// labels), traced through fields, sg entries and helper parameters. Each mutant
// is local (acquire in the same function, pages not through a field) or not.
// (not in the APIs' own implementation and headers: put_page() itself is no release helper of user pages)
const OWN = /^(mm\/gup\.c|lib\/iov_iter\.c|include\/)/;
const relSites = releaseSites(tree, files, parser, cache).sites.filter(s => !OWN.test(s.file));
const matched = new Set(base.report.callSites.flatMap(c => c.releases.filter(r => !r.via).map(r => `${r.file}:${r.line}`)));
const shapeOf = (s) => s.local ? 'local' : s.origin === 'local' ? 'same function, other holder'
  : s.origin === 'param' ? 'helper parameter' : s.origin === 'sg' ? 'sg entry'
  : s.origin === 'field' ? (s.from.startsWith(`${s.file}:`) ? (s.acquires ? 'field, acquiring function' : 'field, other function') : 'field, other file') : '?';
const FREE = new Set(['kfree', 'kvfree', 'vfree']);
const norm = (t) => t.replace(/\s+/g, '');
/** the statement that holds `n` as a direct child of a compound statement */
function stmtIn(n) { let p = n; while (p?.parent && p.parent.type !== 'compound_statement') p = p.parent; return p?.parent ? p : null; }
/** a whole-line move of rows [a, b] to just before row `to` (to < a) */
function moveUp(lines, a, b, to) { const out = lines.slice(); const block = out.splice(a, b - a + 1); out.splice(to, 0, ...block); return out; }
for (const s of relSites) {
  const ft = fileText(s.file);
  const row = s.row;
  const st = aloneStatement(ft, s.call);
  const shape = shapeOf(s);
  const base0 = { file: s.file, line: row + 1, fn: s.fn, local: s.local, shape, hint: `${s.origin ?? 'unknown'} ${s.mode ?? ''}${s.field ? ` .${s.field}` : ''}${s.from ? ` from ${s.from}` : ''}`.trim() };
  const span = { lo: row + 1, hi: s.endRow + 1 };
  // the old operators already mutate the releases pinlens matches in the acquiring function
  const fresh = !(s.local && matched.has(`${s.file}:${row + 1}`));
  // swap the family: PIN pages put, GET pages unpinned
  const sw = SWAP[s.api], a = args(s.call);
  if (fresh && sw && (s.mode === 'PIN' || s.mode === 'GET') && (s.family === 'unpin') === (s.mode === 'PIN') && a.length >= sw[1] && oneRow(s.call)) {
    const name = s.call.childForFieldName('function'), argl = s.call.childForFieldName('arguments');
    const kept = a.length === sw[1] ? argl.text : `(${a.slice(0, sw[1]).map(x => x.text).join(', ')})`;
    add({ ...base0, kind: 'rel-swap', desc: `${s.api}( → ${sw[0]}( on ${s.mode} pages`, lines: edit(ft.lines, row, name.startPosition.column, argl.endPosition.column, sw[0] + kept),
      expect: { code: 'mismatched-release', ...span, helper: s.fn } });
  }
  if (!st || !s.origin) continue;
  // a release duplicated where the pages are borrowed (a helper, a teardown, a field)
  if (fresh && !/\+\+|--/.test(st.text)) {
    let lines, insertAt, expect;
    if (st.parent?.type === 'compound_statement') { lines = ft.lines.slice(); lines.splice(row + 1, 0, ft.lines[row]); insertAt = row + 2; expect = { code: 'double-release', lo: row + 1, hi: row + 2, helper: s.fn }; }
    else { lines = edit(ft.lines, row, st.startPosition.column, st.endPosition.column, `{ ${st.text} ${st.text} }`); expect = { code: 'double-release', lo: row + 1, hi: row + 1, helper: s.fn }; }
    add({ ...base0, kind: 'rel-double', desc: `duplicate \`${st.text}\``, lines, insertAt, expect });
  }
  // a release dropped inside a teardown / release helper (a function that acquires nothing)
  if (!s.acquires) {
    add({ ...base0, kind: 'rel-drop', desc: `drop \`${st.text}\` in a function that acquires nothing`, lines: edit(ft.lines, row, st.startPosition.column, st.endPosition.column, ';'),
      expect: { code: 'leaked-pages', anywhere: true } });
  }
  // the container freed before the release (kfree(P) moved above the release of P's pages)
  const pa = a[0] && (ARRAY_REL.has(s.api) ? a[0] : a[0].type === 'subscript_expression' ? a[0].childForFieldName('argument') : null);
  if (pa) {
    const relSt = stmtIn(s.call);
    // the release statement, or the loop around it
    let outer = relSt;
    for (let p = s.call.parent; p && p.id !== s.fnNode.id; p = p.parent) if (/^(for|while)_statement$/.test(p.type)) { outer = stmtIn(p) === p ? p : outer; break; }
    const block = outer?.parent;
    if (block?.type === 'compound_statement') {
      const kids = block.namedChildren;
      const at = kids.findIndex(k => k.id === outer.id);
      const fr = kids.slice(at + 1, at + 4).find(k => k.type === 'expression_statement' && k.namedChildren[0]?.type === 'call_expression'
        && FREE.has(callName(k.namedChildren[0])) && norm(args(k.namedChildren[0])[0]?.text ?? '') === norm(pa.text) && oneRow(k));
      // under the error label the release sits behind (`err: if (n) unpin…`), not above it: above
      // the label is the path that returned before it, where the moved free would be dead code
      let at0 = outer;
      while (at0?.type === 'labeled_statement') { const body = at0.namedChildren[at0.namedChildren.length - 1]; at0 = body && body.startPosition.row > at0.startPosition.row ? body : null; }
      if (fr && at0 && aloneStatement(ft, fr.namedChildren[0]) && ft.lines[at0.startPosition.row].slice(0, at0.startPosition.column).trim() === '') {
        const to = at0.startPosition.row;
        add({ ...base0, kind: 'free-early', line: fr.startPosition.row + 1, desc: `\`${fr.text}\` moved above the release at ${row + 1}`,
          lines: moveUp(ft.lines, fr.startPosition.row, fr.startPosition.row, to), expect: { code: 'leaked-pages', lo: to + 1, hi: to + 1 } });
      }
    }
  }
}
// count updates: the count a release uses (bulk release count, loop bound), by its text
const countNames = new Map(); // file -> Set(text)
for (const s of relSites) {
  if (!countNames.has(s.file)) countNames.set(s.file, new Set());
  const a = args(s.call);
  if (ARRAY_REL.has(s.api) && a[1]) countNames.get(s.file).add(norm(a[1].text));
  for (let p = s.call.parent, k = 0; p && k < 4; p = p.parent, k++) {
    if (p.type !== 'for_statement') continue;
    const c = p.childForFieldName('condition');
    if (c?.type === 'binary_expression' && /^<=?$/.test(c.childForFieldName('operator')?.text ?? '')) countNames.get(s.file).add(norm(c.childForFieldName('right').text));
    break;
  }
}
const byFileFn = new Map();
for (const s of relSites) byFileFn.set(`${s.file}|${s.fn}`, s);
for (const file of files) {
  const names = countNames.get(file);
  if (!names?.size) continue;
  const ft = fileText(file);
  for (const fnode of nodesOf(ft.tree.rootNode, 'function_definition')) {
    const fn = fnName(fnode);
    const calls = nodesOf(fnode, 'call_expression').filter(c => !inMacroOrComment(c));
    // `nr++` / `obj->nr += 1` after the acquire of a loop's iteration, moved before it
    for (const ac of calls.filter(c => ACQ[callName(c)])) {
      const st = stmtIn(ac);
      const body = st?.parent;
      if (!body || !/^(for|while|do)_statement$/.test(body.parent?.type ?? '')) continue;
      if (ft.lines[st.startPosition.row].slice(0, st.startPosition.column).trim() !== '') continue;
      const kids = body.namedChildren;
      for (const k of kids.slice(kids.findIndex(x => x.id === st.id) + 1)) {
        if (k.type !== 'expression_statement' || !oneRow(k)) continue;
        const e = k.namedChildren[0];
        let target = null;
        if (e?.type === 'update_expression' && /\+\+/.test(e.text)) target = e.childForFieldName('argument');
        if (e?.type === 'assignment_expression' && e.childForFieldName('operator')?.text === '+=' && /^(1|\w+)$/.test(e.childForFieldName('right')?.text ?? '')
          && !new RegExp(`\\b${e.childForFieldName('right').text}\\b`).test(st.text)
          // `nr += npages` where npages is computed after the acquire: moved above it, it would read
          // a value not yet set (undefined behaviour), not count a step that can fail
          && !kids.slice(kids.findIndex(x => x.id === st.id) + 1, kids.findIndex(x => x.id === k.id))
            .some(m => [...nodesOf(m, 'assignment_expression'), ...nodesOf(m, 'init_declarator')]
              .some(w => norm(w.childForFieldName(w.type === 'init_declarator' ? 'declarator' : 'left')?.text ?? '') === e.childForFieldName('right').text))) target = e.childForFieldName('left');
        if (!target || !names.has(norm(target.text)) || !aloneStatement(ft, e)) continue;
        const field = /->|\./.test(target.text);
        const holderField = /->|\./.test(args(ac)[ACQ[callName(ac)]?.pages]?.text ?? '');
        add({ kind: 'count-early', file, line: k.startPosition.row + 1, fn, local: !field && !holderField, shape: field ? 'count in a field' : holderField ? 'pages in a field' : 'local',
          hint: `count ${target.text}`, desc: `\`${k.text}\` moved above ${callName(ac)}() at ${ac.startPosition.row + 1}`,
          lines: moveUp(ft.lines, k.startPosition.row, k.startPosition.row, st.startPosition.row),
          expect: { code: 'release-without-reference', also: 'release-count-mismatch', anywhere: true } });
        break;
      }
    }
    // `obj->nr = 0;` right after the release of obj's pages removed: the teardown releases them again
    for (const s of relSites.filter(x => x.file === file && x.fn === fn)) {
      let outer = stmtIn(s.call);
      for (let p = s.call.parent; p && p.id !== fnode.id; p = p.parent) if (/^(for|while)_statement$/.test(p.type)) { if (stmtIn(p) === p) outer = p; break; }
      const kids = outer?.parent?.type === 'compound_statement' ? outer.parent.namedChildren : [];
      const at = kids.findIndex(k => k.id === outer?.id);
      if (at < 0) continue;
      for (const k of kids.slice(at + 1, at + 4)) {
        const e = k.type === 'expression_statement' ? k.namedChildren[0] : null;
        if (e?.type !== 'assignment_expression' || e.childForFieldName('right')?.text !== '0' || !oneRow(k)) continue;
        const l = e.childForFieldName('left');
        if (!/->/.test(l.text) || !names.has(norm(l.text)) || !aloneStatement(ft, e)) continue;
        // (not where the release runs only while the pages pointer is set and that pointer is
        // cleared right after too, `if (o->pages) { …; o->nr = 0; kfree(o->pages); o->pages = NULL; }`:
        // without the count's reset nothing is released twice — an equivalent mutant)
        const arr = s.call.namedChildren.length ? norm(args(s.call)[0]?.text ?? '').replace(/\[.*$/, '') : '';
        const cleared = arr.includes('->') && kids.slice(at + 1).some(x => norm(x.text) === `${arr}=NULL;`);
        let guarded = false;
        for (let p = s.call.parent; p && p.id !== fnode.id; p = p.parent) if (p.type === 'if_statement' && norm(p.childForFieldName('condition')?.text ?? '').replace(/^\(|\)$/g, '') === arr) guarded = true;
        if (cleared && guarded) break;
        add({ kind: 'count-reset', file, line: k.startPosition.row + 1, fn, local: false, shape: s.acquires ? 'count field, acquiring function' : 'count field, teardown',
          hint: `count ${l.text} after ${s.api}:${s.row + 1}`, desc: `\`${k.text}\` removed after the release at ${s.row + 1}`,
          lines: edit(ft.lines, k.startPosition.row, k.startPosition.column, k.endPosition.column, ';'), expect: { code: 'double-release', anywhere: true } });
        break;
      }
    }
  }
}

// ---- sampling: an even share per kind, even across files within a kind ----
// MUTANTS_KINDS: `old` (the operators of the acquiring function), `new` (releases everywhere,
// counts, containers) or a comma list of kinds; default all, with MUTANTS_NEW_SHARE (0.6) of the cap for the new ones
const want = (process.env.MUTANTS_KINDS ?? 'all').split(',');
const kinds = Object.keys(KINDS).filter(k => want.includes('all') || want.includes(k) || want.includes(NEW_KINDS.has(k) ? 'new' : 'old'));
const quota = Object.fromEntries(kinds.map(k => [k, 0]));
const oldKinds = kinds.filter(k => !NEW_KINDS.has(k)), newKinds = kinds.filter(k => NEW_KINDS.has(k));
const newShare = oldKinds.length && newKinds.length ? Number(process.env.MUTANTS_NEW_SHARE ?? 0.6) : newKinds.length ? 1 : 0;
function allot(group, cap) {
  let left = cap;
  for (let open = group.filter(k => candidates[k].length); open.length && left > 0;) {
    const share = Math.max(1, Math.floor(left / open.length));
    for (const k of open) { const n = Math.min(share, candidates[k].length - quota[k], left); quota[k] += n; left -= n; }
    open = open.filter(k => quota[k] < candidates[k].length);
  }
  return left;
}
const leftNew = allot(newKinds, Math.round(MAX * newShare));
allot(oldKinds, MAX - Math.round(MAX * newShare) + leftNew);
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
  // mutant line (1-based) → original line, or 'ins' for a line the mutant added or moved
  // (a line inserted at a known place maps exactly; a diff may pair a duplicated line either way)
  m.map = [null];
  let o = 1;
  if (m.insertAt) for (let l = 1; l <= m.lines.length; l++) m.map.push(l < m.insertAt ? l : l === m.insertAt ? 'ins' : l - 1);
  else for (const part of diffArrays(ft.lines, m.lines)) {
    if (part.removed) { o += part.count; continue; }
    for (let j = 0; j < part.count; j++) m.map.push(part.added ? 'ins' : o++);
  }
  // the mutant as a unified diff against the tree, and its reverse (generated here, never kept)
  const udiff = (a, b) => `diff --git a/${m.file} b/${m.file}\n` + createTwoFilesPatch(`a/${m.file}`, `b/${m.file}`, a, b, '', '', { context: 3 })
    .split('\n').filter(l => !/^=+$/.test(l) && !l.startsWith('Index:')).join('\n');
  m.patch = TREE_MODE && (!m.local || NEW_KINDS.has(m.kind)) ? { fwd: udiff(ft.text, text), rev: udiff(text, ft.text) } : null;
  m.path = path.join(m.id, m.file);
  fs.mkdirSync(path.join(tmp, path.dirname(m.path)), { recursive: true });
  fs.writeFileSync(path.join(tmp, m.path), text);
  delete m.lines;
  if (m.patch) m.text = text;
  mutants.push(m);
}
for (const ft of cache.values()) ft.tree.delete();

// ---- 3. run pinlens on the mutants, in batches (each file alone) ----
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

// ---- 3b. the way a maintainer works: the mutant in its tree (--tree), and as a patch ----
// Each non-local mutant (and each mutant of the new kinds) is put in place in a
// "farm" — a folder of symlinks to the tree's entries where only the folders
// on the mutant's path are real and the mutant's file is its own — and checked
// with `--tree FARM` (helpers and field fills of the whole tree apply). Its
// unified diff against the real tree is checked with `--tree TREE --patch`
// (the finding must be `introduced`), and the reversed diff against the farm
// (the finding must be `fixed`). One mutant per run; the index caches live in
// the temp folder (the first run of each root is cold).
const treeMutants = mutants.filter(m => m.patch);
const treeStarted = Date.now();
let treeBase = null;
if (treeMutants.length) {
  const env = { ...process.env, XDG_CACHE_HOME: path.join(tmp, '.cache') };
  const runArgs = (cwd, a) => new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, 'check', '--format', 'json', '--kernel', kernel, '--jobs', '1', ...a], { cwd, env });
    const out = [], err = [];
    p.stdout.on('data', d => out.push(d));
    p.stderr.on('data', d => err.push(d));
    p.on('close', (status) => {
      try { resolve({ status, report: JSON.parse(Buffer.concat(out).toString('utf8')), stderr: '' }); }
      catch { resolve({ status, report: null, stderr: Buffer.concat(err).toString('utf8') }); }
    });
  });
  // the originals with --tree: what a mutant's tree run is compared with (also warms the caches)
  const tb = await runArgs(tree, ['--tree', tree, ...[...new Set(treeMutants.map(m => m.file))]]);
  treeBase = new Map();
  for (const f of tb.report?.findings ?? []) { if (!treeBase.has(f.file)) treeBase.set(f.file, new Set()); treeBase.get(f.file).add(`${f.code}|${f.function}|${f.line}`); }
  const farm = (j) => {
    const dir = path.join(tmp, `.farm-${j}`);
    fs.mkdirSync(dir);
    for (const e of fs.readdirSync(tree)) fs.symlinkSync(path.join(tree, e), path.join(dir, e));
    return {
      dir,
      place(rel, text) {
        const parts = rel.split('/');
        let cur = dir, orig = tree;
        this.undo = null;
        for (let i = 0; i < parts.length; i++) {
          cur = path.join(cur, parts[i]); orig = path.join(orig, parts[i]);
          if (fs.lstatSync(cur).isSymbolicLink()) {
            fs.unlinkSync(cur);
            this.undo ??= { cur, orig };
            if (i === parts.length - 1) { fs.writeFileSync(cur, text); break; }
            fs.mkdirSync(cur);
            for (const e of fs.readdirSync(orig)) fs.symlinkSync(path.join(orig, e), path.join(cur, e));
          }
        }
      },
      restore() { if (this.undo) { fs.rmSync(this.undo.cur, { recursive: true, force: true }); fs.symlinkSync(this.undo.orig, this.undo.cur); } },
    };
  };
  // batches of mutants in different folders, none calling a function another one mutates
  // (helper summaries and field fills are read from the farm: a batch must not see its own mutants)
  const TB = Number(process.env.MUTANTS_TREE_BATCH ?? 6);
  const queue = [];
  for (const m of treeMutants) {
    const text = m.text;
    const calls = (t, fn) => /^\w+$/.test(fn) && new RegExp(`\\b${fn}\\s*\\(`).test(t);
    const fits = (b) => b.length < TB && b.every(o => path.dirname(o.file) !== path.dirname(m.file) && o.file !== m.file && !calls(text, o.fn) && !calls(o.text, m.fn));
    const b = queue.find(fits);
    if (b) b.push(m); else queue.push([m]);
  }
  let done = 0;
  await Promise.all(Array.from({ length: JOBS }, async (_, j) => {
    const F = farm(j);
    for (let b; (b = queue.shift());) {
      const fwd = [], rev = [];
      for (const m of b) {
        fwd.push('--patch', path.join(tmp, `${m.id}.patch`)); rev.push('--patch', path.join(tmp, `${m.id}.rev.patch`));
        fs.writeFileSync(fwd[fwd.length - 1], m.patch.fwd); fs.writeFileSync(rev[rev.length - 1], m.patch.rev);
      }
      const f = await runArgs(tmp, ['--tree', tree, ...fwd]);
      const undo = [];
      try {
        for (const m of b) { F.place(m.file, m.text); undo.push(F.undo); }
        const t = await runArgs(F.dir, ['--tree', F.dir, ...b.map(m => m.file)]);
        const r = await runArgs(tmp, ['--tree', F.dir, ...rev]);
        for (const m of b) {
          m.treeFindings = t.report?.findings.filter(x => x.file === m.file) ?? null;
          m.fwdFindings = f.report?.findings.filter(x => x.file === m.file) ?? null;
          m.revFindings = r.report?.findings.filter(x => x.file === m.file) ?? null;
          if (!t.report || !f.report || !r.report) m.treeError = (t.stderr || f.stderr || r.stderr).split('\n')[0];
        }
      } finally { for (const u of undo.reverse()) { F.undo = u; F.restore(); } }
      for (const m of b) delete m.text;
      done += b.length;
      if (process.stderr.isTTY) process.stderr.write(`\r--tree / --patch: ${done}/${treeMutants.length}`);
    }
  }));
  if (process.stderr.isTTY) process.stderr.write('\n');
}
const treeMs = Date.now() - treeStarted;

// ---- judge ----
const mapLine = (m, l) => m.map[l] ?? l;
const serious = (f) => f.severity === 'error' || f.severity === 'warning';
/** Where a mutant's expected finding may be (its function, its lines, or a caller through the mutated helper). */
const placeOf = (m) => {
  const slack = m.kind === 'double' || m.kind === 'rel-double' ? 1 : 0;
  return (x, f) => f.anywhere || x.anywhere || (x.fn ? f.function === x.fn : x.lo === undefined || (f.line >= x.lo - slack && f.line <= x.hi + slack))
    // a caller's finding that rests on the mutated helper's summary reports the same bug
    // (the patch report's JSON has no `helper` field: its message names the helper)
    || (x.helper !== undefined && (f.helper === x.helper || f.message.includes(`via ${x.helper}()`)));
};
/** The mutant's expected finding (a finding `{ anywhere: true }` is judged by its code alone). */
const hitOf = (m) => { const at = placeOf(m); return (f) => (f.code === m.expect.code || f.code === m.expect.also) && at(m.expect, f); };
for (const m of mutants) {
  const at = placeOf(m);
  const hit = hitOf(m);
  // findings the same bug explains elsewhere (e.g. FOLL_LONGTERM refused after pin → get) are not noise
  const related = (f) => (m.related ?? []).some(r => f.code === r.code && at(r, f));
  const judge = (findings, bk) => {
    // (a finding on the mutated or inserted line that the original reported on the line mutated is that finding again)
    const fresh = findings.filter(f => !bk?.has(`${f.code}|${f.function}|${mapLine(m, f.line)}`)
      && !(mapLine(m, f.line) === 'ins' && bk?.has(`${f.code}|${f.function}|${m.line}`)));
    return { detected: fresh.some(hit), noise: fresh.filter(f => !hit(f) && !related(f) && serious(f)), got: [...new Set(fresh.filter(serious).map(f => `${f.code}@${mapLine(m, f.line)}`))] };
  };
  if (m.findings) {
    const a = judge(m.findings, baseKeys.get(m.file));
    m.detected = a.detected; m.noise = a.noise; m.got = a.got;
    m.incomplete = m.findings.some(f => f.code === 'analysis-incomplete' && f.function === m.fn);
  }
  if (m.treeFindings) {
    const t = judge(m.treeFindings, treeBase.get(m.file));
    m.treeDetected = t.detected; m.treeNoise = t.noise; m.treeGot = t.got;
  }
  if (m.fwdFindings) {
    const intro = m.fwdFindings.filter(f => f.patch === 'introduced');
    m.introduced = intro.some(hit);
    m.patchNoise = intro.filter(f => !hit(f) && !related(f) && serious(f));
    m.touched = true;
  }
  if (m.revFindings) m.fixed = m.revFindings.some(f => f.patch === 'fixed' && hit(f));
  // the headline: found by the check of the file alone or, where run, in its tree
  m.found = !!(m.detected || m.treeDetected);
  m.noisy = !!(m.noise?.length || m.treeNoise?.length);
}

// ---- 3c. the editor's patch view: the same patches as patch documents ----
// MUTANTS_LSP (default 30; 0 skips) of the mutants run as patches, spread evenly
// over them, are opened as patch documents in one language server (the built
// out/server.js over stdio) whose workspace is the tree: each must report what
// `--tree --patch` reported — the expected finding `(introduced)`, with the
// CLI's message, or, where the CLI did not report it, not either. (The reverse
// patch needs the mutated tree as the workspace: not run this way.)
const LSP_N = TREE_MODE ? Number(process.env.MUTANTS_LSP ?? 30) : 0;
const lspMutants = treeMutants.filter(m => m.fwdFindings && m.patch);
const lspCount = Math.max(0, Math.min(LSP_N, lspMutants.length));
const lspPicked = Array.from({ length: lspCount }, (_, k) => lspMutants[Math.floor(k * lspMutants.length / lspCount)]);
let lspMs = 0;
let lspFailed = '';
if (lspPicked.length) try {
  const t0 = Date.now();
  const rpc = createRequire(import.meta.url)('vscode-jsonrpc/node');
  const proc = spawn(process.execPath, [path.join(root, 'out', 'server.js'), '--stdio'], { stdio: 'pipe', env: { ...process.env, XDG_CACHE_HOME: path.join(tmp, '.cache') } });
  proc.stderr.resume();
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
  const waiting = new Map();
  conn.onNotification('textDocument/publishDiagnostics', (p) => { const w = waiting.get(p.uri); if (w && p.version === 1) { waiting.delete(p.uri); w(p.diagnostics); } });
  conn.onRequest('workspace/configuration', (p) => p.items.map(() => null));
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(tree).href, workspaceFolders: null, capabilities: { textDocument: { publishDiagnostics: { versionSupport: true } }, window: { workDoneProgress: true } } });
  await conn.sendNotification('initialized', {});
  for (const m of lspPicked) {
    const uri = pathToFileURL(path.join(tree, `pinlens-mutant-${m.id}.patch`)).href;
    const got = new Promise((resolve) => {
      const timer = setTimeout(() => { waiting.delete(uri); resolve(null); }, 300_000);
      waiting.set(uri, (d) => { clearTimeout(timer); resolve(d); });
    });
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'diff', version: 1, text: m.patch.fwd } });
    const diags = await got;
    await conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    if (!diags) { m.lspError = 'no diagnostics within 300 s'; continue; }
    const hit = hitOf(m);
    const cliMessages = m.fwdFindings.filter(f => f.patch === 'introduced' && hit(f)).map(f => f.message);
    m.lspIntroduced = diags.some(d => hit({ code: d.code, anywhere: true, line: 0, function: '', message: d.message }) && d.message.startsWith('(introduced)')
      && (!cliMessages.length || cliMessages.some(msg => d.message.includes(msg))));
  }
  await conn.sendRequest('shutdown').catch(() => {});
  await conn.sendNotification('exit').catch(() => {});
  proc.kill();
  lspMs = Date.now() - t0;
} catch (e) {
  lspFailed = e instanceof Error ? e.message : String(e);
}

// ---- 4. report ----
const pct = (a, b) => b ? `${(100 * a / b).toFixed(0)}%` : '-';
console.log(`tree: ${tree} (rules ${kernel}); files calling the page APIs: ${files.length}; call sites ${base.report.callSites.length}; release sites with a provenance ${relSites.filter(s => s.origin).length} (of ${relSites.length})`);
const fps = base.report.findings.filter(serious);
console.log(`baseline errors/warnings on the originals (false positives unless real bugs): ${fps.length}`);
for (const f of fps.slice(0, 20)) console.log(`  ${f.file}:${f.line}: ${f.severity}: [${f.code}] ${f.function}(): ${f.message.slice(0, 120)}`);
const ok = mutants.filter(m => !m.error);
const nl = ok.filter(m => !m.local), lo = ok.filter(m => m.local);
console.log(`\nmutants: ${mutants.length} run (cap ${MAX}, seed ${SEED}, kinds ${want.join(',')}); candidates ${kinds.reduce((n, k) => n + candidates[k].length, 0)}; non-local ${nl.length} (${pct(nl.length, ok.length)})`);
const row = (cols, w) => cols.map((c, i) => i ? String(c).padStart(w[i]) : String(c).padEnd(w[i])).join('  ');
const W = [16, 3, 6, 7, 6, 6, 7, 6, 6, 6, 6, 6];
console.log(row(['kind', 'loc', 'cands', 'mutants', 'found', 'rate', 'alone', 'tree', 'intro', 'fixed', 'noisy', 'skip'], W));
const line = (label, loc, ms, cands, skip) => {
  const tm = ms.filter(m => m.treeFindings);
  const pm = ms.filter(m => m.fwdFindings);
  console.log(row([label, loc, cands, ms.length, ms.filter(m => m.found).length, pct(ms.filter(m => m.found).length, ms.length),
    pct(ms.filter(m => m.detected).length, ms.length), tm.length ? pct(tm.filter(m => m.treeDetected).length, tm.length) : '-',
    pm.length ? pct(pm.filter(m => m.introduced).length, pm.length) : '-', pm.length ? pct(pm.filter(m => m.fixed).length, pm.length) : '-',
    ms.filter(m => m.noisy).length, skip], W));
};
for (const k of kinds) {
  for (const [loc, f] of [['L', m => m.local], ['N', m => !m.local]]) {
    const ms = ok.filter(m => m.kind === k && f(m));
    const cands = candidates[k].filter(f).length;
    if (!ms.length && !cands) continue;
    line(k, loc, ms, cands, loc === 'L' ? skipped[k] + parseSkipped[k] : '');
  }
}
line('local', 'L', lo, '', '');
line('non-local', 'N', nl, '', '');
line('total', '', ok, kinds.reduce((n, k) => n + candidates[k].length, 0), '');
console.log('(loc: L local — the acquire in the same function, pages not through a struct field or sg entry; N non-local.');
console.log(' found: by the check of the mutated file alone or, for non-local mutants and the new kinds, of the file in its tree (--tree);');
console.log(' alone / tree: each way on its own (tree: of those run that way); intro: the mutant as a patch (--tree --patch) reports the');
console.log(' expected finding `introduced`; fixed: the reversed patch, against the mutated tree, reports it `fixed`;');
console.log(' noisy: mutants with any other new error/warning (alone or in the tree); skip: expected finding already in the baseline,');
console.log(' or the mutant does not parse the same way)');
for (const k of kinds) console.log(`  ${k}: ${KINDS[k]}`);
// by the shape of the release site (non-local mutants)
const shapes = new Map();
for (const m of nl) { const k = `${m.kind}: ${m.shape ?? m.hint ?? '?'}`; if (!shapes.has(k)) shapes.set(k, []); shapes.get(k).push(m); }
console.log('\nnon-local mutants by shape (found / mutants; patch introduced; reverse fixed):');
for (const [k, ms] of [...shapes].sort()) console.log(`  ${k.padEnd(52)} ${String(ms.filter(m => m.found).length).padStart(3)} / ${String(ms.length).padEnd(3)}  intro ${ms.filter(m => m.introduced).length}  fixed ${ms.filter(m => m.fixed).length}`);
if (lspFailed) console.log(`\neditor patch view: the language server run failed: ${lspFailed}`);
else if (lspPicked.length) {
  const done = lspPicked.filter(m => !m.lspError);
  const agree = done.filter(m => !!m.lspIntroduced === !!m.introduced);
  console.log(`\neditor patch view (patch documents in the language server, the tree as its workspace): ${lspPicked.length} of the ${lspMutants.length} patches, ${(lspMs / 1000).toFixed(1)} s`);
  console.log(`  introduced: ${done.filter(m => m.lspIntroduced).length} of ${done.length} (--tree --patch: ${done.filter(m => m.introduced).length}); agree with the CLI: ${agree.length} of ${done.length}${lspPicked.length > done.length ? `; no answer: ${lspPicked.length - done.length}` : ''}`);
  for (const m of done.filter(m => !!m.lspIntroduced !== !!m.introduced).slice(0, SHOW)) console.log(`  differs: ${m.kind} ${m.file}:${m.line} ${m.fn}(): CLI ${m.introduced ? 'introduced' : 'not'}, patch document ${m.lspIntroduced ? 'introduced' : 'not'}`);
}
const errs = mutants.filter(m => m.error || m.treeError);
if (errs.length) console.log(`\nmutants pinlens failed on: ${errs.length} (${failedBatches} batches): ${errs[0].error ?? errs[0].treeError}`);
for (const k of kinds) {
  const miss = ok.filter(m => m.kind === k && !m.found);
  if (!miss.length) continue;
  console.log(`\nmissed ${k} (${miss.length}):`);
  for (const m of miss.slice(0, SHOW)) console.log(`  ${m.local ? 'L' : 'N'} ${m.file}:${m.line} ${m.fn}(): ${m.desc}${m.hint ? ` {${m.shape ? `${m.shape}; ` : ''}${m.hint}}` : ''}${m.incomplete ? ' [analysis-incomplete]' : ''}${m.got?.length || m.treeGot?.length ? `  — new: ${[...new Set([...(m.got ?? []), ...(m.treeGot ?? [])])].join(', ')}` : ''}`);
}
const noisy = ok.filter(m => m.noisy);
if (noisy.length) {
  console.log(`\nnoise examples (${noisy.length} mutants):`);
  for (const m of noisy.slice(0, 10)) console.log(`  ${m.kind} ${m.file}:${m.line} ${m.fn}(): ${[...(m.noise ?? []), ...(m.treeNoise ?? [])].slice(0, 2).map(f => `[${f.code}]@${mapLine(m, f.line)} ${f.function}(): ${f.message.slice(0, 90)}`).join(' | ')}`);
}
const pn = ok.filter(m => m.patchNoise?.length);
if (pn.length) {
  console.log(`patch runs with other introduced errors/warnings: ${pn.length}`);
  for (const m of pn.slice(0, 5)) console.log(`  ${m.kind} ${m.file}:${m.line} ${m.fn}(): ${m.patchNoise.slice(0, 2).map(f => `[${f.code}]@${f.line} ${f.function}(): ${f.message.slice(0, 90)}`).join(' | ')}`);
}
console.log(`\ntime: ${((Date.now() - started) / 1000).toFixed(1)} s (baseline ${(baselineMs / 1000).toFixed(1)} s; --tree / --patch runs ${(treeMs / 1000).toFixed(1)} s for ${treeMutants.length} mutants in batches of up to ${process.env.MUTANTS_TREE_BATCH ?? 6})`);
if (process.env.MUTANTS_KEEP) console.log(`mutants kept in ${tmp}`);
else fs.rmSync(tmp, { recursive: true, force: true });
