// Release sites of user pages, found with tree-sitter, for the benchmarks
// (scripts/mutants.mjs: where to inject release bugs; scripts/bench.mjs: the
// provenance census). This is the benchmarks' own, independent reading of the
// code — it does not ask pinlens — so that it can measure what pinlens knows.
//
// A release site is a call of a release API (unpin_user_page*, unpin_folio*,
// put_page, folio_put*, release_pages). Its provenance is where its pages
// provably come from, traced through the tree in this order:
//   local  — the released expression's root variable is the pages holder of an
//            acquire call (get/pin_user_pages*, iov_iter_get_pages*, …) of the
//            same function, and no struct field is on the way;
//   field  — the expression reads a struct field (`obj->pages[i]`,
//            `obj->frags[i].page`, `sg_page(&obj->sgl[i])`) that some function
//            of the same folder fills from an acquire: the acquire's holder is
//            that field, the acquire's holder is assigned to it, or
//            sg_set_page()/sg_alloc_table_from_pages() put the holder's pages
//            into it;
//   param  — the root is a parameter of the function, and every call of the
//            function in the same file passes pages of a known provenance in
//            that position (the helpers called from acquire sites, followed
//            through helpers of helpers);
//   sg     — `sg_page(sg)` of an sg entry in a file whose only sg fills come
//            from acquires of one mode;
// a local variable assigned once from one of the above takes its provenance.
// An unpin call with none of these is a site of unknown provenance (unpin is
// only ever given pinned user pages); a put call with none is not a user-page
// release as far as this reading can prove, and is left out.
import * as fs from 'fs';
import * as path from 'path';

export const ACQ = {
  get_user_pages: { pages: 3, mode: 'GET' }, get_user_pages_fast: { pages: 3, mode: 'GET' },
  get_user_pages_fast_only: { pages: 3, mode: 'GET' }, get_user_pages_remote: { pages: 4, mode: 'GET' },
  get_user_pages_unlocked: { pages: 2, mode: 'GET' }, get_user_page_fast_only: { pages: 2, mode: 'GET' },
  pin_user_pages: { pages: 3, mode: 'PIN' }, pin_user_pages_fast: { pages: 3, mode: 'PIN' },
  pin_user_pages_remote: { pages: 4, mode: 'PIN' }, pin_user_pages_unlocked: { pages: 2, mode: 'PIN' },
  memfd_pin_folios: { pages: 3, mode: 'PIN' }, iov_iter_extract_pages: { pages: 1, mode: 'EXTRACT' },
  iov_iter_get_pages2: { pages: 1, mode: 'GET' }, iov_iter_get_pages_alloc2: { pages: 1, mode: 'GET' },
  iov_iter_get_pages: { pages: 1, mode: 'GET' }, iov_iter_get_pages_alloc: { pages: 1, mode: 'GET' },
};
// get_user_page_vma_remote() returns the page: `page = get_user_page_vma_remote(…)`
const ACQ_RETURNS = { get_user_page_vma_remote: 'GET' };
export const REL = {
  put_page: 'put', folio_put: 'put', folio_put_refs: 'put', release_pages: 'put',
  unpin_user_page: 'unpin', unpin_user_pages: 'unpin', unpin_user_pages_dirty_lock: 'unpin',
  unpin_user_page_range_dirty_lock: 'unpin', unpin_folio: 'unpin', unpin_folios: 'unpin', unpin_user_folio: 'unpin',
};
// calls that put a pages array's pages (argument p) into an sg entry or table (argument s)
const SG_FILL = { sg_set_page: [0, 1], sg_alloc_table_from_pages: [0, 1], sg_alloc_table_from_pages_segment: [0, 1],
  __sg_alloc_table_from_pages: [0, 1], sg_alloc_append_table_from_pages: [0, 1] };
// wrappers a released expression is seen through
const UNWRAP = new Set(['sg_page', 'page_folio', 'pfn_to_page', 'compound_head', 'folio_page', 'virt_to_head_page', 'READ_ONCE']);

export const args = (call) => (call.childForFieldName('arguments')?.namedChildren ?? []).filter(a => a.type !== 'comment');
const MACRO_OR_COMMENT = new Set(['preproc_def', 'preproc_function_def', 'comment']);
export function inMacroOrComment(n) { for (let p = n; p; p = p.parent) if (MACRO_OR_COMMENT.has(p.type)) return true; return false; }
export function enclosingFn(n) { for (let p = n; p; p = p.parent) if (p.type === 'function_definition') return p; return null; }
function fnDeclarator(f) {
  let d = f?.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  return d;
}
export function fnName(f) { return fnDeclarator(f)?.childForFieldName('declarator')?.text ?? '?'; }
export function paramNames(f) {
  const out = [];
  for (const p of fnDeclarator(f)?.childForFieldName('parameters')?.namedChildren ?? []) {
    if (p.type !== 'parameter_declaration') continue;
    let x = p.childForFieldName('declarator');
    while (x && x.type !== 'identifier') x = x.childForFieldName('declarator');
    out.push(x?.text ?? '');
  }
  return out;
}
export const callName = (c) => { const f = c.childForFieldName('function'); return f?.type === 'identifier' ? f.text : null; };

const memo = new WeakMap();
/** every node of a type under n, in order (remembered per node object) */
export function nodesOf(n, type) {
  let m = memo.get(n);
  if (!m) memo.set(n, m = new Map());
  if (!m.has(type)) m.set(type, nodesOfWalk(n, type));
  return m.get(type);
}
function nodesOfWalk(n, type) {
  const out = [];
  const c = n.walk();
  let down = true;
  for (;;) {
    if (down && c.nodeType === type) out.push(c.currentNode);
    if (down && c.gotoFirstChild()) continue;
    if (c.gotoNextSibling()) { down = true; continue; }
    if (!c.gotoParent() || c.currentNode.id === n.id) break;
    down = false;
  }
  return out;
}

/** what a pages expression is made of: its root variable and the struct fields on the way (outermost first) */
export function pagesOf(e) {
  const fields = [];
  let sg = false;
  for (let n = e, k = 0; n && k < 20; k++) {
    switch (n.type) {
      case 'identifier': return { root: n.text, fields, sg };
      case 'field_expression': fields.push(n.childForFieldName('field')?.text ?? '?'); n = n.childForFieldName('argument'); break;
      case 'subscript_expression': n = n.childForFieldName('argument'); break;
      case 'pointer_expression': n = n.childForFieldName('argument'); break;
      case 'cast_expression': n = n.childForFieldName('value'); break;
      case 'parenthesized_expression': n = n.namedChildren[0]; break;
      case 'binary_expression': if (n.childForFieldName('operator')?.text !== '+') return null; n = n.childForFieldName('left'); break;
      case 'call_expression': {
        const name = callName(n);
        if (!UNWRAP.has(name)) return null;
        if (name === 'sg_page') sg = true;
        n = args(n)[0];
        break;
      }
      default: return null;
    }
  }
  return null;
}

/**
 * All release sites of the given files (tree-relative), with provenance.
 * Returns { sites, fills } — sites: { file, row, endRow, col, api, family, fn, call, fnNode,
 * origin: 'local'|'field'|'param'|'sg'|null, mode, from: 'file:line api' | '', fields, local }.
 */
export function releaseSites(tree, files, parser, parsed = new Map()) {
  const parse = (rel) => {
    let ft = parsed.get(rel);
    if (!ft) {
      const text = fs.readFileSync(path.join(tree, rel), 'utf8');
      ft = { text, lines: text.split('\n'), tree: parser.parse(text), shape: null };
      parsed.set(rel, ft);
    }
    return ft;
  };
  // ---- pass 1: acquires, their holders, and field / sg fills, per file ----
  const perFile = new Map();
  const fieldFills = new Map(); // dir -> field -> Map(mode -> 'file:line api')
  // fields of the folder also given pages of another origin (`buf->page = page` from the page cache)
  const fieldOther = new Map(); // dir -> Set(field)
  const other = (dir, field) => { if (!fieldOther.has(dir)) fieldOther.set(dir, new Set()); fieldOther.get(dir).add(field); };
  const copies = [];
  // one holder filled by acquires of different modes (`pages` pinned in one arm of a switch, got in another) has none
  const hold = (info, root, mode, from) => {
    const h = info.holders.get(root);
    info.holders.set(root, h && h.mode !== mode ? { mode: 'MIXED', from: '' } : h ?? { mode, from });
  };
  const fill = (dir, field, mode, from) => {
    if (!fieldFills.has(dir)) fieldFills.set(dir, new Map());
    const m = fieldFills.get(dir);
    if (!m.has(field)) m.set(field, new Map());
    if (!m.get(field).has(mode)) m.get(field).set(mode, from);
  };
  for (const file of files) {
    const ft = parse(file);
    const dir = path.dirname(file);
    const fns = new Map(); // name -> { node, params, holders: Map(root -> {mode, from}), calls }
    const sgModes = new Map();
    for (const f of nodesOf(ft.tree.rootNode, 'function_definition')) {
      const info = { node: f, name: fnName(f), params: paramNames(f), holders: new Map(), acquires: false, calls: nodesOf(f, 'call_expression').filter(c => !inMacroOrComment(c)) };
      fns.set(info.name, info);
      for (const c of info.calls) {
        const name = callName(c);
        const from = `${file}:${c.startPosition.row + 1} ${name}`;
        if (ACQ[name] || ACQ_RETURNS[name]) info.acquires = true;
        if (ACQ[name]) {
          const h = args(c)[ACQ[name].pages];
          const p = h && pagesOf(h);
          if (!p || p.root === 'NULL') continue;
          if (p.fields.length) fill(dir, p.fields[0], ACQ[name].mode, from);
          else hold(info, p.root, ACQ[name].mode, from);
        } else if (ACQ_RETURNS[name]) {
          const a = c.parent;
          const lhs = a?.type === 'assignment_expression' ? a.childForFieldName('left') : a?.type === 'init_declarator' ? a.childForFieldName('declarator') : null;
          const p = lhs && pagesOf(lhs.type === 'pointer_declarator' ? lhs.childForFieldName('declarator') : lhs);
          if (p?.fields.length) fill(dir, p.fields[0], ACQ_RETURNS[name], from);
          else if (p) hold(info, p.root, ACQ_RETURNS[name], from);
        }
      }
      // the holders' pages stored in fields or sg entries; any other store marks the field mixed
      for (const a of nodesOf(f, 'assignment_expression')) {
        const rn = a.childForFieldName('right'), l = pagesOf(a.childForFieldName('left'));
        if (!l?.fields.length || a.childForFieldName('operator')?.text !== '=') continue;
        const r = pagesOf(rn);
        if (r && !r.fields.length && info.holders.has(r.root)) { const h = info.holders.get(r.root); if (h.mode === 'MIXED') other(dir, l.fields[0]); else fill(dir, l.fields[0], h.mode, h.from); continue; }
        // the array itself (allocated, cleared) is not a fill of pages
        if (/^(NULL|0|\w*(alloc|calloc|zalloc|memdup)\w*\(.*|ERR_PTR\(.*)$/s.test(rn.text.trim())) continue;
        // from another field: the same origin only if that field's own fills are all acquires (judged below)
        if (r && r.fields.length) { copies.push([dir, l.fields[0], r.fields[0]]); continue; }
        if (/^(struct\s+)?(page|folio)\b/.test(rn.type === 'cast_expression' ? rn.childForFieldName('type').text : '') || r || rn.type === 'call_expression') other(dir, l.fields[0]);
      }
      for (const c of info.calls) {
        const sgf = SG_FILL[callName(c)];
        if (!sgf) continue;
        const a = args(c), s = a[sgf[0]] && pagesOf(a[sgf[0]]), p = a[sgf[1]] && pagesOf(a[sgf[1]]);
        if (!p || p.fields.length || !info.holders.has(p.root)) { if (s?.fields.length) other(dir, s.fields[0]); sgModes.set('other', ''); continue; }
        const h = info.holders.get(p.root);
        if (h.mode === 'MIXED') { sgModes.set('other', ''); if (s?.fields.length) other(dir, s.fields[0]); continue; }
        if (!sgModes.has(h.mode)) sgModes.set(h.mode, h.from);
        if (s?.fields.length) fill(dir, s.fields[0], h.mode, h.from);
      }
    }
    perFile.set(file, { ft, fns, sgModes, dir });
  }
  const one = (m) => m && m.size === 1 ? [...m][0] : null; // [mode, from] when all fills agree
  for (const [dir, to, from] of copies) if (to !== from && (fieldOther.get(dir)?.has(from) || !fieldFills.get(dir)?.has(from))) other(dir, to);

  // ---- pass 2: parameters of same-file helpers, from their callers (to a fixed point) ----
  // paramProv: file -> fnName -> index -> Map(mode -> from) | 'mixed'
  const provOfExpr = (file, info, e, paramProv, depth = 0) => {
    const p = pagesOf(e);
    if (!p || depth > 2) return null;
    const { dir, sgModes } = perFile.get(file);
    if (p.fields.length) {
      for (const f of p.fields) {
        if (fieldOther.get(dir)?.has(f)) continue;
        const m = one(fieldFills.get(dir)?.get(f));
        if (m) return { origin: 'field', mode: m[0], from: m[1], field: f };
      }
      if (p.sg) { const m = one(sgModes); if (m && m[0] !== 'other') return { origin: 'sg', mode: m[0], from: m[1] }; }
      return null;
    }
    if (info.holders.has(p.root)) { const h = info.holders.get(p.root); return h.mode === 'MIXED' ? null : { origin: 'local', mode: h.mode, from: h.from }; }
    const k = info.params.indexOf(p.root);
    if (k >= 0) {
      const m = paramProv.get(file)?.get(info.name)?.get(k);
      if (m && m !== 'mixed') { const x = one(m); if (x) return { origin: 'param', mode: x[0], from: x[1] }; }
      return null;
    }
    if (p.sg) { const m = one(sgModes); if (m && m[0] !== 'other') return { origin: 'sg', mode: m[0], from: m[1] }; }
    // a local variable assigned from something of known provenance (one assignment, or agreeing ones)
    let got = null;
    for (const a of nodesOf(info.node, 'assignment_expression')) {
      const l = a.childForFieldName('left');
      if (l?.type !== 'identifier' || l.text !== p.root) continue;
      const r = pagesOf(a.childForFieldName('right'));
      if (!r || r.root === p.root) continue;
      const x = provOfExpr(file, info, a.childForFieldName('right'), paramProv, depth + 1);
      if (!x || (got && got.mode !== x.mode)) return null;
      got = x;
    }
    for (const d of nodesOf(info.node, 'init_declarator')) {
      let x = d.childForFieldName('declarator');
      while (x && x.type !== 'identifier') x = x.childForFieldName('declarator');
      if (x?.text !== p.root || !d.childForFieldName('value')) continue;
      const v = provOfExpr(file, info, d.childForFieldName('value'), paramProv, depth + 1);
      if (!v || (got && got.mode !== v.mode)) return null;
      got = v;
    }
    return got;
  };
  const paramProv = new Map();
  for (let round = 0; round < 3; round++) {
    let changed = false;
    for (const [file, { fns }] of perFile) {
      if (!paramProv.has(file)) paramProv.set(file, new Map());
      const pp = paramProv.get(file);
      const seen = new Map(); // callee -> index -> Map(mode->from) | 'mixed' | 'unknown'
      for (const info of fns.values()) {
        for (const c of info.calls) {
          const callee = fns.get(callName(c));
          if (!callee || callee === info) continue;
          args(c).forEach((a, k) => {
            if (!seen.has(callee.name)) seen.set(callee.name, new Map());
            const s = seen.get(callee.name);
            if (s.get(k) === 'mixed') return;
            const x = provOfExpr(file, info, a, paramProv);
            if (!x) { if (pagesOf(a)) s.set(k, 'mixed'); return; }
            if (!s.has(k)) s.set(k, new Map());
            if (!s.get(k).has(x.mode)) s.get(k).set(x.mode, x.from);
          });
        }
      }
      for (const [name, idx] of seen) {
        if (!pp.has(name)) pp.set(name, new Map());
        for (const [k, v] of idx) {
          const old = pp.get(name).get(k);
          const was = old === undefined ? '' : old === 'mixed' ? 'mixed' : [...old.keys()].join();
          const now = v === 'mixed' ? 'mixed' : [...v.keys()].join();
          if (was !== now) { pp.get(name).set(k, v); changed = true; }
        }
      }
    }
    if (!changed) break;
  }

  // ---- pass 3: the release calls ----
  const sites = [];
  for (const [file, { fns }] of perFile) {
    for (const info of fns.values()) {
      for (const c of info.calls) {
        const api = callName(c);
        if (!REL[api]) continue;
        const a0 = args(c)[0];
        const prov = a0 ? provOfExpr(file, info, a0, paramProv) : null;
        const p = a0 ? pagesOf(a0) : null;
        if (!prov && REL[api] !== 'unpin') continue;
        sites.push({
          file, row: c.startPosition.row, endRow: c.endPosition.row, col: c.startPosition.column, api, family: REL[api],
          fn: info.name, fnNode: info.node, call: c, acquires: info.acquires,
          origin: prov?.origin ?? null, mode: prov?.mode ?? null, from: prov?.from ?? '', field: prov?.field ?? (p?.fields[0] ?? ''),
          // local: the acquire is in this function and the pages are not reached through a field or sg entry
          local: prov?.origin === 'local' && !!prov.from && prov.from.startsWith(`${file}:`) && fromFn(fns, prov.from) === info.name,
        });
      }
    }
  }
  return { sites, fieldFills, perFile };
}

function fromFn(fns, from) {
  const row = Number(/:(\d+) /.exec(from)?.[1]) - 1;
  for (const f of fns.values()) if (f.node.startPosition.row <= row && row <= f.node.endPosition.row) return f.name;
  return '';
}
