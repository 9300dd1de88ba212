// Quick fixes, computed with the finding so that front ends need no state:
// each is a title and text edits on the analysed text.
import type { CheckContext, ReleaseEvent } from './checkers/checker';
import type { PageSet } from './ledger';
import { calleeName, callArgs, rangeOf } from './syntax';
import type { Node } from './syntax';
import type { Fix, TextEdit } from './types';

const TO_UNPIN: Record<string, string> = {
  put_page: 'unpin_user_page', folio_put: 'unpin_folio', release_pages: 'unpin_user_pages',
};
const TO_PUT: Record<string, string> = {
  unpin_user_page: 'put_page', unpin_folio: 'folio_put', unpin_user_pages: 'release_pages', unpin_folios: 'release_pages',
};

/** The release of the right family for pages of this mode, if a plain rename fixes it. */
export function rightRelease(mode: 'PIN' | 'GET', api: string): string | undefined {
  return mode === 'PIN' ? TO_UNPIN[api] : TO_PUT[api];
}

export function renameCallee(call: Node, name: string): TextEdit | undefined {
  const f = call.childForFieldName('function');
  return f ? { range: rangeOf(f), newText: name } : undefined;
}

/** The statement that holds the call (expression statement), if any. */
function statementOf(call: Node): Node | undefined {
  let n: Node | null = call;
  while (n && n.type !== 'expression_statement') {
    if (/_statement$|declaration|function_definition/.test(n.type)) return undefined;
    n = n.parent;
  }
  return n ?? undefined;
}

/** `for (…) { [if (d)] set_page_dirty[_lock](pages[i]); put_page(pages[i]); }` -> the loop and its dirty flag. */
function dirtyLoop(call: Node): { loop: Node; holder: string; bound: string; dirty: string } | undefined {
  const stmt = statementOf(call);
  let loop: Node | null = stmt?.parent ?? null;
  if (loop?.type === 'compound_statement') loop = loop.parent;
  if (!loop || loop.type !== 'for_statement') return undefined;
  const body = loop.childForFieldName('body');
  const cond = loop.childForFieldName('condition');
  const m = cond && /^\s*(\w+)\s*<\s*(.+)$/.exec(cond.text);
  if (!body || !m) return undefined;
  const stmts = body.type === 'compound_statement' ? body.namedChildren.filter(c => c && c.type !== 'comment') : [body];
  const arg = callArgs(call)[0]?.text.replace(/\s+/g, '');
  const hm = arg && /^(.+)\[(\w+)\]$/.exec(arg);
  if (!hm || hm[2] !== m[1]) return undefined;
  let dirty = '';
  for (const s of stmts) {
    if (!s) continue;
    if (s.id === stmt?.id) continue;
    const t = s.text.replace(/\s+/g, '');
    const d = /^(?:if\((.+?)\))?set_page_dirty(?:_lock)?\((.+)\);$/.exec(t);
    if (d && d[2] === arg) { dirty = d[1] ?? 'true'; continue; }
    return undefined;
  }
  return dirty ? { loop, holder: hm[1], bound: m[2].trim(), dirty } : undefined;
}

export function fixesForMismatch(cx: CheckContext, set: PageSet, ev: ReleaseEvent): Fix[] {
  const fixes: Fix[] = [];
  if (ev.viaHelper) return fixes;
  const name = calleeName(ev.node) ?? ev.api;
  if (set.mode === 'PIN' && TO_UNPIN[name]) {
    const loop = name === 'put_page' ? dirtyLoop(ev.node) : undefined;
    if (loop) {
      fixes.push({
        title: `Replace the dirty-and-put loop with unpin_user_pages_dirty_lock(${loop.holder}, ${loop.bound}, ${loop.dirty})`,
        edits: [{ range: rangeOf(loop.loop), newText: `unpin_user_pages_dirty_lock(${loop.holder}, ${loop.bound}, ${loop.dirty});` }],
        preferred: true,
      });
    }
    const e = renameCallee(ev.node, TO_UNPIN[name]);
    if (e) fixes.push({ title: `Release with ${TO_UNPIN[name]}()`, edits: [e], preferred: !loop });
  } else if (set.mode === 'GET' && TO_PUT[name]) {
    const e = renameCallee(ev.node, TO_PUT[name]);
    if (e) fixes.push({ title: `Release with ${TO_PUT[name]}()`, edits: [e], preferred: true });
  } else if (set.mode === 'EXTRACT') {
    const stmt = statementOf(ev.node);
    const site = cx.sites.find(s => s.id === set.site);
    if (stmt) {
      const target = name === 'put_page' ? renameCallee(ev.node, 'unpin_user_page') : name === 'release_pages' ? renameCallee(ev.node, 'unpin_user_pages') : undefined;
      let body = stmt.text;
      if (target) {
        const f = ev.node.childForFieldName('function')!;
        const off = f.startIndex - stmt.startIndex;
        body = body.slice(0, off) + target.newText + body.slice(off + f.text.length);
      }
      fixes.push({
        title: `Release only if iov_iter_extract_will_pin(${site?.iter ?? 'iter'})`,
        edits: [{ range: rangeOf(stmt), newText: `if (iov_iter_extract_will_pin(${site?.iter ?? 'iter'}))\n${indentOf(cx.text, stmt)}\t${body}` }],
        preferred: true,
      });
    }
  }
  return fixes;
}

function indentOf(text: string, n: Node): string {
  const ls = text.lastIndexOf('\n', n.startIndex - 1) + 1;
  return /^[ \t]*/.exec(text.slice(ls))?.[0] ?? '';
}

export function replaceCountFix(ev: ReleaseEvent, got: string): Fix[] {
  const api = ev.release;
  if (!api || api.countArg < 0) return [];
  const arg = callArgs(ev.node)[api.countArg];
  return arg ? [{ title: `Release the ${got} pages obtained`, edits: [{ range: rangeOf(arg), newText: got }], preferred: true }] : [];
}

const ACQ_TO_PIN: Record<string, string> = {
  get_user_pages: 'pin_user_pages', get_user_pages_fast: 'pin_user_pages_fast', get_user_pages_remote: 'pin_user_pages_remote',
  get_user_pages_unlocked: 'pin_user_pages_unlocked',
};

/** Convert a get_user_pages* call to pin_user_pages* and all its releases, in one edit. */
export function convertToPinFix(acquire: Node, releases: Node[]): Fix | undefined {
  const name = calleeName(acquire);
  const pin = name ? ACQ_TO_PIN[name] : undefined;
  if (!pin) return undefined;
  const edits: TextEdit[] = [];
  const e = renameCallee(acquire, pin);
  if (e) edits.push(e);
  for (const r of releases) {
    const rn = calleeName(r);
    const to = rn ? TO_UNPIN[rn] : undefined;
    const re = to ? renameCallee(r, to) : undefined;
    if (re) edits.push(re);
  }
  return { title: `Convert ${name}() to ${pin}() and its ${releases.length} release(s) to unpin`, edits };
}
