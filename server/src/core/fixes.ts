// Quick fixes, computed with the finding so that front ends need no state:
// each is a title and text edits on the analysed text.
import { releasesFor } from './apis';
import type { CheckContext, ReleaseEvent } from './checkers/checker';
import type { AcquireSite, PageSet, State } from './ledger';
import { trailSteps } from './ledger';
import { calleeName, callArgs, norm, rangeOf } from './syntax';
import type { Node } from './syntax';
import type { Fix, Range, TextEdit } from './types';

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
  if (!api) return [];
  if (api.countArg >= 0) {
    const arg = callArgs(ev.node)[api.countArg];
    return arg ? [{ title: `Release the ${got} pages obtained, not ${norm(arg.text)}`, edits: [{ range: rangeOf(arg), newText: got }], preferred: true }] : [];
  }
  // one page at a time in `for (i = 0; i < count; i++)`: the loop's bound
  for (let p: Node | null = ev.node.parent; p && p.type !== 'function_definition'; p = p.parent) {
    if (p.type !== 'for_statement') continue;
    const cond = p.childForFieldName('condition');
    const right = cond?.type === 'binary_expression' && cond.childForFieldName('operator')?.text === '<' ? cond.childForFieldName('right') : null;
    if (right && ev.count && norm(right.text) === ev.count) {
      return [{ title: `Release the ${got} pages obtained, not ${ev.count}`, edits: [{ range: rangeOf(right), newText: got }], preferred: true }];
    }
    break;
  }
  return [];
}

// ---------------------------------------------------------------- whole lines

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEndOf(text: string, offset: number): number {
  const e = text.indexOf('\n', offset);
  return e < 0 ? text.length : e;
}

/** The node is the first thing on its line. */
function startsLine(text: string, n: Node): boolean {
  return /^[ \t]*$/.test(text.slice(lineStartOf(text, n.startIndex), n.startIndex));
}

/** Nothing but blanks (or a comment) after the node on its line. */
function endsLine(text: string, n: Node): boolean {
  return /^[ \t]*(?:\/\/.*|\/\*.*\*\/[ \t]*)?$/.test(text.slice(n.endIndex, lineEndOf(text, n.endIndex)));
}

/** Whole lines [first line of a, last line of b] (end: the start of the next line). */
function linesOf(a: Node, b: Node = a): Range {
  return { start: { line: a.startPosition.row, character: 0 }, end: { line: b.endPosition.row + 1, character: 0 } };
}

/** A new line before the node's line, indented as it is. */
function lineBefore(text: string, n: Node, stmt: string): TextEdit | undefined {
  if (!startsLine(text, n)) return undefined;
  const at = { line: n.startPosition.row, character: 0 };
  return { range: { start: at, end: at }, newText: `${indentOf(text, n)}${stmt}\n` };
}

/** A statement that has its lines to itself, wrapped in `if (cond)`. */
function guardLines(text: string, stmt: Node, cond: string): TextEdit | undefined {
  if (!startsLine(text, stmt) || !endsLine(text, stmt)) return undefined;
  const ind = indentOf(text, stmt);
  const body = stmt.text.split('\n').map((l, i) => (i === 0 ? `${ind}\t${l}` : `\t${l}`)).join('\n');
  return { range: linesOf(stmt), newText: `${ind}if (${cond})\n${body}\n` };
}

/** The statement, if it has its lines to itself, removed with them. */
function deleteLines(text: string, stmt: Node): TextEdit | undefined {
  return startsLine(text, stmt) && endsLine(text, stmt) ? { range: linesOf(stmt), newText: '' } : undefined;
}

// ---------------------------------------------------------------- leaks

/** The release statement that fits the pages of a site, from the catalog; undefined when the count is not known. */
function releaseStatement(site: AcquireSite, set: PageSet): { stmt: string; api: string } | undefined {
  if (!('doc' in site.api) || site.perElement || set.offset || !set.holder) return undefined;
  const api = site.api;
  if (api.returns !== 'count' && api.returns !== 'bool') return undefined;
  const rels = releasesFor(api);
  const one = site.requested === '1' || api.returns === 'bool';
  if (one) {
    const rel = rels.find(r => !r.array && r.countArg < 0);
    return rel && { stmt: `${rel.name}(${set.holder});`, api: rel.name };
  }
  // the count obtained: the variable that holds the result, or the request when the path knows all came
  const count = set.countVars.find(v => v !== '<returned>' && /^[A-Za-z_][\w>.-]*$/.test(v))
    ?? (set.outcomes.every(o => o === 'full') ? site.requested : undefined);
  const rel = rels.find(r => r.array && r.countArg === 1 && !/dirty/.test(r.name));
  if (!count || !rel) return undefined;
  return { stmt: `${rel.name}(${set.holder}, ${count});`, api: rel.name };
}

/** The label the path jumped to that the statement follows in its block (`err_unpin:` … `return ret;`). */
function labelBefore(st: State, exit: Node): Node | undefined {
  const gotos = new Set(trailSteps(st.trail).map(s => /^goto (\w+)$/.exec(s.note)?.[1]).filter(Boolean));
  for (let p: Node | null = exit; p && p.type !== 'function_definition'; p = p.parent) {
    for (let q = p.previousNamedSibling; q; q = q.previousNamedSibling) {
      if (q.type !== 'labeled_statement') continue;
      const label = q.childForFieldName('label')?.text;
      return label && gotos.has(label) ? q : undefined;
    }
    if (p.parent?.type === 'labeled_statement') {
      const label = p.parent.childForFieldName('label')?.text;
      return label && gotos.has(label) ? p.parent : undefined;
    }
  }
  return undefined;
}

/**
 * Leaked pages: release them where the path leaves — before its return (in
 * braces when the return is an if's only statement), at the function's end,
 * or at the error label the path jumped to.
 */
export function leakFixes(cx: CheckContext, st: State, set: PageSet, site: AcquireSite, exit: Node | null): Fix[] {
  const rel = releaseStatement(site, set);
  if (!rel) return [];
  const text = cx.text;
  const fixes: Fix[] = [];
  const label = exit ? labelBefore(st, exit) : undefined;
  if (exit?.type === 'return_statement') {
    const parent = exit.parent;
    let edit: TextEdit | undefined;
    if (parent?.type === 'compound_statement') edit = lineBefore(text, exit, rel.stmt);
    else if (parent?.type === 'if_statement' && parent.childForFieldName('consequence')?.id === exit.id && !parent.childForFieldName('alternative')
      && startsLine(text, parent) && endsLine(text, exit)) {
      const head = text.slice(parent.startIndex, exit.startIndex).trimEnd();
      const ind = indentOf(text, parent), inner = indentOf(text, exit);
      edit = { range: linesOf(parent, exit), newText: `${ind}${head} {\n${inner}${rel.stmt}\n${inner}${exit.text}\n${ind}}\n` };
    }
    if (edit) fixes.push({ title: `Release ${set.holder} with ${rel.api}() before this return`, edits: [edit], preferred: !label });
  } else if (!exit) {
    const close = cx.fn.body.lastChild;
    const edit = close && close.type === '}' && startsLine(text, close)
      ? { range: { start: { line: close.startPosition.row, character: 0 }, end: { line: close.startPosition.row, character: 0 } }, newText: `${indentOf(text, cx.fn.body)}\t${rel.stmt}\n` }
      : undefined;
    if (edit) fixes.push({ title: `Release ${set.holder} with ${rel.api}() at the end of ${cx.fn.name}()`, edits: [edit], preferred: true });
  }
  if (label) {
    const inner = label.namedChildren.find(c => c && c.type !== 'statement_identifier' && c.type !== 'comment');
    const edit = inner && inner.startPosition.row > label.startPosition.row ? lineBefore(text, inner, rel.stmt) : undefined;
    const name = label.childForFieldName('label')?.text;
    if (edit) fixes.push({ title: `Release ${set.holder} with ${rel.api}() at ${name}: (every path that jumps there)`, edits: [edit] });
  }
  return fixes;
}

// ---------------------------------------------------------------- bio flags

/** The statement that carries a call, when it is a statement of its own. */
function ownStatement(call: Node): Node | undefined {
  const s = statementOf(call);
  return s && s.namedChildren[0]?.id === call.id ? s : undefined;
}

/**
 * A bio flag that disagrees with its pages: set BIO_PAGE_PINNED only if the
 * iterator pinned, name the flag the pages need, drop a flag for pages that
 * hold nothing, or pin pages that a pinned bio will unpin.
 */
export function bioFlagFixes(cx: CheckContext, site: AcquireSite | undefined, mode: string, flag: string, node: Node, bio: string): Fix[] {
  const text = cx.text;
  const call = node.type === 'call_expression' && calleeName(node) === 'bio_set_flag' ? node : undefined;
  const stmt = call && ownStatement(call);
  const flagArg = call && callArgs(call)[1];
  const fixes: Fix[] = [];
  if (call && flag === 'BIO_PAGE_PINNED' && mode === 'EXTRACT' && stmt) {
    const e = guardLines(text, stmt, `iov_iter_extract_will_pin(${site?.iter ?? 'iter'})`);
    if (e) fixes.push({ title: `Set BIO_PAGE_PINNED only if iov_iter_extract_will_pin(${site?.iter ?? 'iter'})`, edits: [e], preferred: true });
  } else if (call && flagArg && mode === 'PIN' && (flag === 'BIO_PAGE_REFFED' || (flag === 'BIO_NO_PAGE_REF' && cx.kernel !== '6.1'))) {
    fixes.push({ title: `Mark ${bio} BIO_PAGE_PINNED: its pages are pinned`, edits: [{ range: rangeOf(flagArg), newText: 'BIO_PAGE_PINNED' }], preferred: true });
  } else if (call && stmt && ((flag === 'BIO_PAGE_PINNED' && mode === 'NONE') || (flag === 'BIO_NO_PAGE_REF' && mode === 'GET'))) {
    const e = deleteLines(text, stmt);
    if (e) fixes.push({ title: `Remove ${flag} from ${bio}: its pages ${mode === 'NONE' ? 'carry no pin' : 'hold references that bio_release_pages() must put'}`, edits: [e], preferred: true });
  }
  if (flag === 'BIO_PAGE_PINNED' && mode === 'GET' && site) {
    const conv = convertToPinFix(site.call, []);
    if (conv) fixes.push({ ...conv, title: `Pin the pages instead: ${conv.title.replace(/ and its 0 release\(s\) to unpin$/, '')}` });
  }
  return fixes;
}

/** A bio that never got the flag its pages need: set it before the pages go in (outside the loop that adds them). */
export function missingBioFlagFix(cx: CheckContext, site: AcquireSite | undefined, mode: string, bio: string, added: Node | undefined, flag: string): Fix[] {
  if (!added) return [];
  let at: Node | undefined = statementOf(added) ?? added;
  for (let p: Node | null = at.parent; p && p.type !== 'function_definition'; p = p.parent) {
    if (p.type === 'for_statement' || p.type === 'while_statement' || p.type === 'do_statement') at = p;
  }
  const set = `bio_set_flag(${bio}, ${flag});`;
  const stmt = mode === 'EXTRACT' ? `if (iov_iter_extract_will_pin(${site?.iter ?? 'iter'}))\n${indentOf(cx.text, at)}\t${set}` : set;
  const e = at && lineBefore(cx.text, at, stmt);
  return e ? [{ title: `Mark ${bio} ${flag}${mode === 'EXTRACT' ? ' if iov_iter_extract_will_pin()' : ''} before its pages go in`, edits: [e], preferred: true }] : [];
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
