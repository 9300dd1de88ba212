// Fields of zero-filled allocations. After `req = kzalloc(sizeof(*req), …)`
// every field of *req is 0/NULL until the function writes it, so a test of
// such a field (`if (!req->page_list)` in an error path reached before the
// store) has one feasible side. Kept per path in State.zeroed: the pointer
// variable -> the fields written since.
//
// A field is written by a store to it (`req->f = …`, `req->f.g = …`,
// `req->f[i] = …`, `req->f++`), or by giving its address to a call that works
// on that field in place (an initialiser, a lock, an acquire filling it).
// Every field becomes unknown when the object itself is given to a call
// (other than readers), copied to another pointer or stored anywhere, when a
// field's address is given to any other call or kept in a pointer
// (container_of() leads back to the object; queue and list calls publish it),
// and when the variable is reassigned.
import { ACQUIRE_BY_NAME, IN_PLACE_FIELD, OBJECT_READERS, ZERO_ALLOC } from './apis';
import type { State } from './ledger';
import { calleeName, callArgs, strip } from './syntax';
import type { Node } from './syntax';

/** `kzalloc(…)`, `kcalloc(…)`, `kmalloc(…, GFP_KERNEL | __GFP_ZERO)`: memory that starts zeroed. */
export function isZeroAlloc(rhs: Node): boolean {
  const r = strip(rhs);
  if (r.type !== 'call_expression') return false;
  const name = (calleeName(r) ?? '').replace(/_noprof$/, '');
  if (ZERO_ALLOC.has(name)) return true;
  return /alloc/.test(name) && callArgs(r).some(a => /\b__GFP_ZERO\b/.test(a.text));
}

/** `req->f` (or `req->f.g`) of a zero-filled allocation whose field f this path has not written. */
export function knownZeroField(st: State, text: string): boolean {
  const m = /^([A-Za-z_]\w*)->(\w+)(?:\.\w+)*$/.exec(text);
  if (!m) return false;
  const written = st.zeroed[m[1]];
  return written !== undefined && !written.includes(m[2]);
}

/** How one occurrence of the pointer uses the object. */
type Use = { field: string; addressed: boolean } | { field: undefined };

function useOf(id: Node): Use {
  const p = id.parent;
  if (p?.type !== 'field_expression' || p.childForFieldName('argument')?.id !== id.id || p.children[1]?.text !== '->') return { field: undefined };
  // up through `.g`, `[i]` and parentheses to what the expression as a whole is
  let top: Node = p;
  while (top.parent && ['field_expression', 'subscript_expression', 'parenthesized_expression'].includes(top.parent.type)
    && top.parent.namedChildren[0]?.id === top.id) top = top.parent;
  const addressed = top.parent?.type === 'pointer_expression' && top.parent.text.startsWith('&');
  return { field: p.childForFieldName('field')?.text ?? '', addressed };
}

/** The innermost call, inside `scope`, that gets this occurrence among its arguments. */
function callOf(id: Node, scope: Node): string | null | undefined {
  if (id.id === scope.id) return undefined;
  let prev: Node = id;
  for (let a = id.parent; a; prev = a, a = a.parent) {
    if (a.type === 'call_expression' && a.childForFieldName('arguments')?.id === prev.id) return calleeName(a) ?? null;
    if (a.id === scope.id) break;
  }
  return undefined;
}

function unevaluated(id: Node, scope: Node): boolean {
  if (id.id === scope.id) return false;
  for (let a = id.parent; a && a.id !== scope.id; a = a.parent) if (a.type === 'sizeof_expression' || a.type === 'alignof_expression') return true;
  return false;
}

/**
 * The zero-allocated objects `n` writes or lets escape. `role`: a `call`
 * and its arguments, the `store` target of an assignment, or the `value`
 * assigned.
 */
function touch(st: State, n: Node, role: 'call' | 'store' | 'value'): void {
  for (const v of Object.keys(st.zeroed)) {
    if (!n.text.includes(v)) continue;
    for (const id of n.type === 'identifier' ? [n] : n.descendantsOfType('identifier')) {
      if (!id || id.text !== v || !st.zeroed[v] || unevaluated(id, n)) continue;
      const use = useOf(id);
      const callee = role === 'store' ? undefined : callOf(id, n);
      let drop: boolean;
      if (role === 'store') drop = use.field === undefined;
      else if (callee !== undefined) {
        // given to a call: a field's value is read; its address is written in place or leads back to the object
        drop = use.field === undefined ? !OBJECT_READERS.test(callee ?? '')
          : use.addressed && !(callee && (IN_PLACE_FIELD.test(callee) || ACQUIRE_BY_NAME.has(callee)));
      } else drop = use.field === undefined || use.addressed;
      const written = use.field !== undefined && (role === 'store' || use.addressed);
      if (drop) delete st.zeroed[v];
      else if (written && !st.zeroed[v].includes(use.field!)) st.zeroed[v].push(use.field!);
    }
  }
}

const tracked = (st: State) => Object.keys(st.zeroed).length > 0;

/** A call: the objects and field addresses among its arguments. */
export function zeroedCall(st: State, call: Node): void {
  if (tracked(st)) touch(st, call, 'call');
}

/** An assignment `left = right` (or `left op= right`, or a declaration with a value when `left` is null). */
export function zeroedStore(st: State, left: Node | null, right: Node | null): void {
  if (!tracked(st)) return;
  const l = left ? strip(left) : null;
  if (right) touch(st, right, 'value');
  if (l && l.type !== 'identifier') touch(st, l, 'store');
}

/** `req->n++`: the field is written. */
export function zeroedUpdate(st: State, operand: Node | null): void {
  if (tracked(st) && operand) touch(st, operand, 'store');
}

/** `req = …`: a new object, zero-filled or not. */
export function zeroedAssign(st: State, v: string, rhs: Node): void {
  delete st.zeroed[v];
  if (isZeroAlloc(rhs)) st.zeroed[v] = [];
}
