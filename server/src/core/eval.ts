// Statements and expressions for the path simulator: declarations and
// assignments (what a variable now names: a page set, its count, a copy of the
// requested count, a flag, a bio) and the values of expressions; calls are in
// calls.ts.
import type { State } from './ledger';
import { callArgs, calleeName, isNullLiteral, norm, strip } from './syntax';
import type { Node } from './syntax';
import { zeroedAssign, zeroedStore, zeroedUpdate } from './zeroed';
import { holderText, findSetByHolder, findSetByCount, forgetVar, isSgPageCall, perFunction, slotAdvance, slotWrite } from './sim-state';
import type { Val, SimContext } from './sim-state';
import { evalCall, handOff } from './calls';
import { BYTES, FLOOR, SG_ENTRY, pagesOfRequestedBytes, wholePagesOf } from './count-terms';

export function evalStmt(sim: SimContext, st: State, n: Node): void {
  if (n.type === 'declaration') {
    for (const d of n.namedChildren) {
      if (d?.type !== 'init_declarator') continue;
      const name = d.childForFieldName('declarator');
      const value = d.childForFieldName('value');
      if (!name || !value) continue;
      const v = evalExpr(sim, st, value);
      zeroedStore(st, null, value);
      const nameText = norm(name.text).replace(/^\*+/, '').replace(/\[.*$/, '');
      assignVar(sim, st, nameText, v, value);
    }
    return;
  }
  evalExpr(sim, st, n);
}

function assignVar(sim: SimContext, st: State, v: string, val: Val, rhs: Node): void {
  forgetVar(st, v);
  zeroedAssign(st, v, rhs);
  // the variable that named a page set now names something else
  for (const p of st.sets) {
    if (p.holder !== v || (val?.kind === 'holder' && st.sets[val.set] === p)) continue;
    p.holder = `${v}'`;
    // a window keeps its array: releasing the array still releases it
    if (st.derived[v]) st.derived[p.holder] = st.derived[v];
  }
  // a slot index read from a count (`i = obj->nr`): the count it stands for
  slotWrite(st, v);
  const r0 = strip(rhs);
  if (!val && sim.slotIndexes.has(v) && (r0.type === 'identifier' || r0.type === 'field_expression')) st.slotOf[v] = { of: norm(r0.text), d: 0 };
  if (isNullLiteral(rhs)) { st.zero.push(v); return; }
  delete st.derived[v];
  delete st.copies[v];
  if (!val && sim.requested.has(norm(rhs.text))) st.copies[v] = norm(rhs.text);
  // `npages = DIV_ROUND_UP(off + len, PAGE_SIZE)` with len the requested size: the pages asked for
  const fromBytes = !val ? pagesOfRequestedBytes(sim, rhs) : undefined;
  if (fromBytes) st.copies[v] = `${BYTES}${fromBytes}`;
  // `npages = got / PAGE_SIZE` with got the bytes an extraction returned: the whole pages only
  const floor = !val ? wholePagesOf(rhs) : undefined;
  if (floor && findSetByCount(st, floor) >= 0) st.copies[v] = `${FLOOR}${floor}`;
  if (!val) {
    // `p = obj->pages`: acquires through p fill the object's array
    const r = strip(rhs);
    // `page = sg_page(sg)`: a release of page releases the entry sg walks (calls.ts)
    if (isSgPageCall(r)) {
      const sg = callArgs(r)[0];
      if (sg) st.derived[v] = `${SG_ENTRY}${norm(sg.text)}`;
    }
    // `pages = frame_vector_pages(vec)`: a helper that returns a field of its parameter (FunctionSummary.returnsField)
    const acc = r.type === 'call_expression' ? sim.opts.summaries.get(calleeName(r) ?? '')?.returnsField : undefined;
    const accArg = acc ? callArgs(r)[acc.index] : undefined;
    const accOf = accArg ? holderText(accArg) : undefined;
    if (acc && accOf && !accOf.element && /^[A-Za-z_][\w>.-]*$/.test(accOf.text)) st.derived[v] = `${accOf.text}->${acc.path}${acc.element ? '+' : ''}`;
    const w = holderText(rhs);
    if (r.type === 'field_expression') st.derived[v] = norm(r.text);
    else if (w.element && w.text !== v && /^[A-Za-z_][\w>.-]*$/.test(w.text)) st.derived[v] = `${w.text}+`;
    else if (r.type === 'pointer_expression' && r.text.startsWith('&')) {
      const a = r.childForFieldName('argument');
      if (a && (a.type === 'identifier' || a.type === 'field_expression')) st.derived[v] = norm(a.text);
    }
  }
  if (!val) {
    const r = strip(rhs);
    if (r.type === 'true' || r.text === 'true') st.bools[v] = true;
    else if (r.type === 'false' || r.text === 'false') st.bools[v] = false;
    else if (r.type === 'number_literal' && /^0+[uUlL]*$/.test(r.text)) st.zero.push(v);
    return;
  }
  switch (val.kind) {
    case 'count': st.sets[val.set].countVars.push(v); break;
    case 'holder': st.aliases[v] = val.set; break;
    case 'willpin': st.bools[v] = 'pin:' + val.iter; break;
    case 'neg': st.neg.push(v); break;
    case 'bool': st.bools[v] = val.value; break;
    case 'bio': st.bios[v] = { flags: [], sets: [], local: true, addedAt: [] }; break;
    case 'status': st.pending[v] = val.pending; break;
    case 'pagefrom': {
      // get_user_page_vma_remote(): the returned page is the holder
      const idx = st.sets.findIndex(p => p.site === val.site && p.holder === '');
      if (idx >= 0) { st.sets[idx].holder = v; st.aliases[v] = idx; }
      break;
    }
  }
}

export function evalExpr(sim: SimContext, st: State, n: Node): Val {
  switch (n.type) {
    case 'parenthesized_expression':
    case 'cast_expression': {
      const inner = n.type === 'cast_expression' ? n.childForFieldName('value') : n.namedChildren[0];
      return inner ? evalExpr(sim, st, inner) : null;
    }
    case 'expression_statement':
    case 'comma_expression': {
      let last: Val = null;
      for (const c of n.namedChildren) if (c) last = evalExpr(sim, st, c);
      return last;
    }
    case 'call_expression':
      return evalCall(sim, st, n);
    case 'assignment_expression': {
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (!left || !right) return null;
      const op = n.childForFieldName('operator')?.text ?? '=';
      const val = evalExpr(sim, st, right);
      const lt = norm(left.text);
      for (const k of Object.keys(st.conds)) if (k.includes(lt)) delete st.conds[k];
      slotCount(st, lt, op, right);
      // a count kept in a field set to 0: what this path released before it (checkers/leaked-pages.ts countDropped())
      if (op === '=' && right.text.trim() === '0' && /^[A-Za-z_]\w*->[\w>.-]+$/.test(lt)) {
        let r = sim.result.countResets.get(n.startIndex);
        if (!r) sim.result.countResets.set(n.startIndex, r = { count: lt, node: n, released: new Set() });
        for (const k of Object.keys(st.relFields)) r.released.add(k);
      }
      // the field, its count or the object it lives in written again: a later release is of other pages
      for (const [k, r] of Object.entries(st.relFields)) if (k === lt || r.count === lt || k.startsWith(`${lt}->`) || k.startsWith(`${lt}.`)) delete st.relFields[k];
      zeroedStore(st, left, right);
      const l = strip(left);
      if (l.type === 'identifier') {
        if (op === '=') assignVar(sim, st, l.text, val, right);
        else forgetVar(st, l.text);
        return val;
      }
      // an array stored in a field before it is filled (`info->pages = pages; pin_user_pages_fast(…, pages)`):
      // acquires through it fill the field, as through `pages = info->pages`
      const r0 = strip(right);
      // (a window carved out of another buffer, `pages = (struct page **)(addrs + n)`, is the field's array from now on)
      if (!val && op === '=' && l.type === 'field_expression' && r0.type === 'identifier' && !(st.derived[r0.text] && !st.derived[r0.text].endsWith('+'))
        && findSetByHolder(st, r0.text) < 0 && !lt.includes('[')) st.derived[r0.text] = lt;
      // the function's own bio stored somewhere (`rq->bio = bio`): handed on
      if (l.type !== 'identifier' && op === '=' && st.bios[norm(right.text)]) st.bios[norm(right.text)].gone = true;
      // storing pages into a field, an array slot of an object, a global or an out-parameter
      // (an array whose windows were filled, `pages = pvec + pinned; pin_user_pages_fast(…, pages)` in a loop, stores their pages)
      const windows = !val && op === '=' && strip(right).type === 'identifier'
        ? st.sets.findIndex(p => st.derived[p.holder] === `${norm(right.text)}+` && p.state === 'held') : -1;
      if (windows >= 0) handOff(sim, st, windows, n, `stored in ${norm(left.text)}`);
      // (a member of a struct this function declares on its stack, `iter.pages = pages`, dies with it: another name, not an owner)
      const onStack = l.type === 'field_expression' && /^[A-Za-z_]\w*\.[\w.]+$/.test(lt) && stackStructs(sim).has(lt.slice(0, lt.indexOf('.')));
      if (val?.kind === 'holder' && op === '=' && onStack && !val.element) st.aliases[lt] = val.set;
      else if (val?.kind === 'holder' && op === '=') {
        handOff(sim, st, val.set, n, `stored in ${norm(left.text)}`);
        // the field names the same pages now: a release through it on this path releases them
        if (!val.element && l.type === 'field_expression') st.aliases[norm(left.text)] = val.set;
      }
      // a count kept in a field: the obtained count (`sb->nr = pinned`) or the requested one (`sb->nr = nr`)
      if (l.type === 'field_expression') {
        const t = norm(l.text);
        for (const p of st.sets) p.countVars = p.countVars.filter(c => c !== t);
        delete st.copies[t];
        if (op === '=' && val?.kind === 'count') st.sets[val.set].countVars.push(t);
        else if (op === '=' && !val && sim.requested.has(norm(right.text))) st.copies[t] = norm(right.text);
      }
      // a flag field that remembers the mode (`ctx->pinned = iov_iter_extract_will_pin(i)`)
      if (l.type === 'field_expression' && op === '=') {
        const t = norm(l.text);
        delete st.bools[t];
        if (val?.kind === 'willpin') {
          st.bools[t] = 'pin:' + val.iter;
          if (!sim.result.flagStores.some(f => f.node.id === n.id)) sim.result.flagStores.push({ field: t, iter: val.iter, node: n });
        } else if (val?.kind === 'bool') st.bools[t] = val.value;
      }
      if (l.type !== 'identifier') evalExpr(sim, st, l);
      return val;
    }
    case 'identifier': {
      const t = n.text;
      if (t in st.aliases) return { kind: 'holder', set: st.aliases[t], element: false };
      const c = findSetByCount(st, t);
      if (c >= 0) return { kind: 'count', set: c };
      const h = findSetByHolder(st, t);
      if (h >= 0) return { kind: 'holder', set: h, element: false };
      if (st.neg.includes(t)) return { kind: 'neg' };
      const b = st.bools[t];
      if (typeof b === 'string') return { kind: 'willpin', iter: b.slice(4) };
      if (typeof b === 'boolean') return { kind: 'bool', value: b };
      return null;
    }
    case 'field_expression':
    case 'subscript_expression':
    case 'pointer_expression': {
      for (const c of n.namedChildren) if (c && c.type !== 'field_identifier') evalExpr(sim, st, c);
      const h = holderText(n);
      const idx = findSetByHolder(st, h.text);
      if (idx >= 0) return { kind: 'holder', set: idx, element: h.element, index: h.index };
      if (n.type === 'field_expression') {
        const c = findSetByCount(st, norm(n.text));
        if (c >= 0) return { kind: 'count', set: c };
      }
      return null;
    }
    case 'unary_expression': {
      const op = n.children[0]?.text;
      const a = n.childForFieldName('argument');
      const v = a ? evalExpr(sim, st, a) : null;
      if (op === '-' && a && (/^E[A-Z0-9]+$/.test(a.text) || a.type === 'number_literal')) return { kind: 'neg' };
      if (op === '!' && v?.kind === 'bool') return { kind: 'bool', value: !v.value };
      return op === '!' ? null : v;
    }
    case 'conditional_expression': {
      const vals = n.namedChildren.map(c => (c ? evalExpr(sim, st, c) : null));
      // `ret < 0 ? ret : -ENOMEM`: an errno either way
      const a = vals[1], b = vals[2];
      if ((a?.kind === 'neg' || a?.kind === 'count') && (b?.kind === 'neg' || b?.kind === 'count') && (a.kind === 'neg' || b.kind === 'neg')) return { kind: 'neg' };
      // `pinned < 0 ? 0 : pinned`: the obtained count, clamped at 0 (nothing to release on failure)
      const zero = (k: number) => /^0+[uUlL]*$/.test(strip(n.namedChildren[k] ?? n).text);
      if (a?.kind === 'count' && zero(2)) return a;
      if (b?.kind === 'count' && zero(1)) return b;
      return null;
    }
    case 'binary_expression': {
      const l = n.childForFieldName('left');
      const r = n.childForFieldName('right');
      const lv = l ? evalExpr(sim, st, l) : null;
      if (r) evalExpr(sim, st, r);
      const op = n.childForFieldName('operator')?.text ?? n.children[1]?.text;
      if ((op === '+' || op === '-') && lv?.kind === 'holder') return { ...lv, element: true };
      // `page_to_pfn(page) << PAGE_SHIFT`: the page's physical address, still the page
      if ((op === '<<' || op === '>>') && lv?.kind === 'holder' && r?.text === 'PAGE_SHIFT') return lv;
      return null;
    }
    case 'true': return { kind: 'bool', value: true };
    case 'false': return { kind: 'bool', value: false };
    case 'update_expression': {
      // `req->n++` writes the field
      const arg = n.childForFieldName('argument');
      zeroedUpdate(st, arg);
      if (arg) slotAdvance(st, norm(arg.text), n.text.includes('++') ? 1 : -1);
      for (const c of n.namedChildren) if (c) evalExpr(sim, st, c);
      return null;
    }
    default:
      for (const c of n.namedChildren) if (c) evalExpr(sim, st, c);
      return null;
  }
}

/** The structs the function declares on its stack (`struct rds_info_iterator iter;`): not pointers, arrays, or statics. */
const stackStructs = perFunction((sim) => {
  const out = new Set<string>();
  for (const d of sim.def.body.descendantsOfType('declaration')) {
    if (!d || d.childForFieldName('type')?.type !== 'struct_specifier' || /\bstatic\b/.test(d.text.slice(0, d.text.indexOf('struct')))) continue;
    for (const c of d.namedChildren) {
      const decl = c?.type === 'init_declarator' ? c.childForFieldName('declarator') : c;
      if (decl?.type === 'identifier') out.add(decl.text);
    }
  }
  return out;
});

/** What an assignment does to the names that count an array's slots (PageSet.cover): `+=` advances, `-=` goes back, anything else is a value we do not follow. */
function slotCount(st: State, name: string, op: string, right: Node): void {
  if ((op === '+=' || op === '-=') && strip(right).text !== '0') slotAdvance(st, name, op === '+=' ? 1 : -1);
  else slotWrite(st, name);
}
