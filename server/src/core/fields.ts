// Ownership through struct fields: pages put into `struct foo.pages` by one
// function and released from that field by another (a teardown the kernel
// reaches through an ops table or a callback, in this file or — given the
// fills of the folder's other files — elsewhere). The teardown must release
// the way the field was filled:
//   PIN pages with unpin_user_page(s), GET pages with the put_page family;
//   EXTRACT pages (iov_iter_extract_pages()) are pinned for user-backed
//   iterators and carry no reference at all for kernel-backed ones, so a
//   put_page is always wrong, and an unpin is right only under the flag the
//   filling function set beside them from iov_iter_extract_will_pin()
//   (`ap->args.is_pinned`), tested true on every path to the release.
// False-positive policy: a field filled with more than one mode is not
// judged; an unpin of extracted pages is judged only when every fill names
// the same flag (a mode kept some other way, a bit in a flags word, is not
// known here).
import { consequence, dropPair, heldWords, ledger, pairFor } from './counters';
import { ACQUIRE_BY_NAME, BIO_PAGES, BVEC_KEY, CONTAINER_FREES, HARMLESS, MAPS_WITHOUT_REFERENCE, RELEASE_BY_NAME, RELEASE_NAMES } from './apis';
import { rightRelease } from './fixes';
import { WILL_PIN_GUARD } from './release-call';
import { rootOf } from './sim-state';
import type { FunctionDef, Node } from './syntax';
import { rangeOf } from './syntax';
import {
  Code, DEFAULT_SEVERITY, Family, FieldFill, FieldFlag, Finding, PathStep, Range, Settings,
} from './types';

/** A field release of a function, keyed (see fieldKey); `guards` by flag key (see SimResult.fieldReleases). */
export interface KeyedRelease {
  key: string; field: string; family: Family; api: string; range: Range; callee?: Range; fn: string;
  guards: Record<string, boolean>[];
  /** the statement just above releases the same page as written, nothing written between (double-release.ts sameSlotJustBefore()) */
  again?: Range;
}

/**
 * The struct type of the pointer `v` in the function: declared `struct foo
 * *ctx` (also later in a list: `struct foo *a, *ctx;`), or assigned from
 * container_of()/list_*entry() with the type named (`ctx = container_of(w,
 * struct foo, work)`). Undefined when the text does not say (a typedef, a
 * field of another struct, a global): such a release is not judged.
 */
function structOf(fn: FunctionDef, v: string): string | undefined {
  const t = fn.node.text;
  return new RegExp(`struct\\s+(\\w+)\\s*\\*+\\s*(?:const\\s+)?${v}\\b`).exec(t)?.[1]
    ?? new RegExp(`struct\\s+(\\w+)\\s+\\*+\\s*\\w+(?:\\s*\\[[^\\]]*\\])?(?:\\s*,\\s*\\*+\\s*\\w+(?:\\s*\\[[^\\]]*\\])?)*\\s*,\\s*\\*+\\s*${v}\\b`).exec(t)?.[1]
    ?? new RegExp(`\\b${v}\\s*=\\s*(?:container_of|list_(?:first_|last_|next_|prev_)?entry(?:_or_null)?|hlist_entry|rb_entry)\\s*\\([^;]*?,\\s*struct\\s+(\\w+)\\s*,`).exec(t)?.[1];
}

/**
 * `ctx->pages` -> `struct foo.pages`, from the declared type of `ctx` in the
 * function; a member of an array of structs keeps its path with the index
 * dropped: `pkt->addr[i].page` -> `struct pkt_t.addr[].page`,
 * `&tab->page[i].mem` (an sg entry) -> `struct tab_t.page[].mem`.
 */
export function fieldKey(fn: FunctionDef, field: string): string | undefined {
  if (field === BIO_PAGES) return BVEC_KEY;
  const f = field.replace(/\s+/g, '');
  // `dev->umem->pages`: the member `umem` of dev's struct, when the file defines that struct, is a `struct vduse_umem *`
  const nested = /^&?([A-Za-z_]\w*)->(\w+)->(.*)$/.exec(f);
  if (nested) {
    const outer = structOf(fn, nested[1]);
    const inner = outer ? memberStruct(fn, outer, nested[2]) : undefined;
    return inner ? keyOf(inner, nested[3]) : undefined;
  }
  const m = /^&?([A-Za-z_]\w*)->(\w+(?:\[[^\]]*\])*(?:\.\w+(?:\[[^\]]*\])*)*)$/.exec(f);
  if (!m) return undefined;
  const s = structOf(fn, m[1]);
  return s ? keyOf(s, m[2]) : undefined;
}

/** `struct s.path`: the pages of `obj->pages[i]` are those of the field `pages`, a member of an array of structs keeps its path with the index dropped. */
function keyOf(s: string, member: string): string | undefined {
  if (!/^\w+(?:\[[^\]]*\])*(?:\.\w+(?:\[[^\]]*\])*)*$/.test(member)) return undefined;
  const path = member.replace(/\[[^\]]*\]/g, '[]').replace(/(\[\])+$/, '');
  return `struct ${s}.${path}`;
}

const memberMemo = new WeakMap<object, Map<string, string | undefined>>();

/** The struct a pointer member points to (`struct s { …; struct t *m; … }` -> `t`), when this file defines `struct s`. */
function memberStruct(fn: FunctionDef, s: string, member: string): string | undefined {
  const root = fn.node.tree.rootNode;
  let memo = memberMemo.get(fn.node.tree);
  if (!memo) memberMemo.set(fn.node.tree, memo = new Map());
  const k = `${s}.${member}`;
  if (memo.has(k)) return memo.get(k);
  let out: string | undefined;
  for (const d of root.descendantsOfType('struct_specifier')) {
    if (!d || d.childForFieldName('name')?.text !== s) continue;
    const body = d.childForFieldName('body');
    if (!body) continue;
    out = new RegExp(`\\bstruct\\s+(\\w+)\\s*\\*\\s*${member}\\s*;`).exec(body.text)?.[1];
    break;
  }
  memo.set(k, out);
  return out;
}

/** The first member of a field key (`struct foo.addr[].page` -> `addr`): what a text that fills the field must name. */
export function fieldHead(key: string): string {
  return key.slice(key.indexOf('.') + 1).split(/[.[]/)[0];
}

/** `ap->args.is_pinned` -> `struct fuse_args_pages.args.is_pinned` (a member of an embedded struct keeps its path). */
export function flagKey(fn: FunctionDef, field: string): string | undefined {
  const m = /^([A-Za-z_]\w*)->(\w+(?:\.\w+)*)$/.exec(field);
  const s = m ? structOf(fn, m[1]) : undefined;
  return s ? `struct ${s}.${m![2]}` : undefined;
}

/** The names of flag fields set from a will-pin predicate in this text (`….is_pinned = iov_iter_extract_will_pin(`). */
export function flagNamesIn(text: string, predicates: Iterable<string>): string[] {
  const re = new RegExp(`[.>]\\s*(\\w+)\\s*=\\s*(?:${[...predicates].join('|')})\\s*\\(`, 'g');
  return [...text.matchAll(re)].map(m => m[1]);
}

const sameIter = (a?: string, b?: string) => !a || !b || a === b || a.endsWith(b) || b.endsWith(a);

/**
 * The flag a function set beside the extracted pages it stored in a field:
 * a field of the same object, set from iov_iter_extract_will_pin() on the
 * iterator the pages came from.
 */
export function flagOf(fn: FunctionDef, store: { field: string; iter?: string }, flags: { field: string; iter: string; node: Node }[]): FieldFlag | undefined {
  const f = flags.find(x => rootOf(x.field) === rootOf(store.field) && sameIter(x.iter, store.iter));
  const key = f ? flagKey(fn, f.field) : undefined;
  return f && key ? { key, field: f.field, pinned: true, range: rangeOf(f.node) } : undefined;
}

/** A path's tested flags, by flag key instead of text. */
export function guardKeys(fn: FunctionDef, guards: Record<string, boolean>[]): Record<string, boolean>[] {
  return guards.map(g => {
    const out: Record<string, boolean> = {};
    for (const [t, v] of Object.entries(g)) { const k = t === WILL_PIN_GUARD ? t : flagKey(fn, t); if (k) out[k] = v; }
    return out;
  });
}

/**
 * Teardowns judged by how their field was filled. A field filled with more
 * than one mode is not judged.
 */
export function fieldFindings(stores: FieldFill[], releases: KeyedRelease[], settings: Required<Settings>): Finding[] {
  const out: Finding[] = [];
  for (const r of releases) {
    const fills = stores.filter(s => s.key === r.key);
    const modes = new Set(fills.map(s => s.mode));
    if (fills.length === 0 || modes.size !== 1) continue;
    const f = fills[0].mode === 'EXTRACT' ? extractedRelease(fills, r, settings) : wrongFamily(fills[0], r, settings) ?? releasedAgain(fills[0], r, settings);
    if (f) out.push(f);
  }
  return out;
}

const whereOf = (fill: FieldFill) => `${fill.function}()${fill.file ? ` in ${fill.file}` : ''} (line ${fill.range.start.line + 1})`;

function finding(code: Code, settings: Required<Settings>, r: { fn: string; range: Range }, rest: Omit<Finding, 'code' | 'severity' | 'function' | 'range'>): Finding | undefined {
  if (settings.disabledCodes.includes(code)) return undefined;
  return { code, severity: settings.severity[code] ?? DEFAULT_SEVERITY[code], function: r.fn, range: r.range, ...rest };
}

/** The fill's step on the path (a fill in another file has no range in this one: the path starts at the release). */
function fillSteps(fill: FieldFill, r: KeyedRelease): PathStep[] {
  if (fill.file) return [];
  const steps: PathStep[] = [{ range: fill.range, note: `${fill.function}(): ${r.key} filled by ${fill.api}() (${fill.mode})` }];
  if (fill.flag) steps.push({ range: fill.flag.range, note: `${fill.function}(): ${fill.flag.field} = iov_iter_extract_will_pin(), the flag that says whether they were pinned` });
  return steps.sort((a, b) => a.range.start.line - b.range.start.line);
}

/** PIN pages put, GET pages unpinned. */
function wrongFamily(fill: FieldFill, r: KeyedRelease, settings: Required<Settings>): Finding | undefined {
  const wrong = (fill.mode === 'PIN' && r.family === 'put') || (fill.mode === 'GET' && r.family === 'unpin');
  if (!wrong) return undefined;
  const where = whereOf(fill);
  const after = dropPair(pairFor(fill.mode), r.family);
  const right = rightRelease(fill.mode as 'PIN' | 'GET', r.api);
  return finding('mismatched-release', settings, r, {
    message: `${r.api}() releases ${r.field} (${r.key}) with the ${r.family === 'put' ? 'put_page' : 'unpin'} family, but ${where} filled that field with ${fill.api}() (${fill.mode === 'PIN' ? 'FOLL_PIN' : 'FOLL_GET'}): release it with ${fill.mode === 'PIN' ? 'unpin_user_page(s)' : 'put_page()/release_pages()'}`,
    acquire: fill.file ? undefined : { range: fill.range, api: fill.api, mode: fill.mode },
    path: [...fillSteps(fill, r), { range: r.range, note: `${r.fn}(): ${r.api}(${r.field}), filled by ${where} with ${fill.mode} pages` }],
    counters: {
      before: ledger(r.field, fill.mode, 'held', '', pairFor(fill.mode)),
      after: ledger(r.field, fill.mode, 'released with the wrong family', '', after),
      consequence: consequence(after, fill.mode),
    },
    fixes: right && r.callee ? [{ title: `Release with ${right}()`, edits: [{ range: r.callee, newText: right }], preferred: true }] : [],
  });
}

/** One page of a field filled with one reference or pin per page, released twice in a row (`unpin_user_page(sg_page(&tab->page[i].mem))` twice). */
function releasedAgain(fill: FieldFill, r: KeyedRelease, settings: Required<Settings>): Finding | undefined {
  if (!r.again || (fill.mode !== 'PIN' && fill.mode !== 'GET')) return undefined;
  const after = dropPair(dropPair(pairFor(fill.mode), r.family), r.family);
  return finding('double-release', settings, r, {
    message: `${r.api}() releases the same page of ${r.field} (${r.key}) again: the call just above (line ${r.again.start.line + 1}) released it, and neither the slot nor its index changed between — each page ${whereOf(fill)} stored there holds one ${fill.mode === 'GET' ? 'reference' : 'pin'} from ${fill.api}()`,
    acquire: fill.file ? undefined : { range: fill.range, api: fill.api, mode: fill.mode },
    path: [...fillSteps(fill, r), { range: r.again, note: `${r.fn}(): the page released` }, { range: r.range, note: `${r.fn}(): the same page released again` }],
    counters: {
      before: ledger(r.field, fill.mode, 'held', '', pairFor(fill.mode)),
      after: ledger(r.field, fill.mode, 'released twice', '', after),
      consequence: consequence(after, fill.mode),
    },
    fixes: [],
  });
}

/** The flag every fill of the field names, if they agree on one. */
function commonFlag(fills: FieldFill[]): FieldFlag | undefined {
  const f = fills[0].flag;
  return f && fills.every(x => x.flag?.key === f.key && x.flag.pinned === f.pinned) ? f : undefined;
}

/** EXTRACT pages: never put; unpinned only under their flag. */
function extractedRelease(fills: FieldFill[], r: KeyedRelease, settings: Required<Settings>): Finding | undefined {
  const fill = fills[0];
  const flag = commonFlag(fills);
  const where = whereOf(fill);
  const test = flag ? `${flag.pinned ? '' : '!'}${flag.field}` : 'iov_iter_extract_will_pin()';
  if (r.family === 'put') {
    const after = dropPair(pairFor('PIN'), 'put');
    return finding('mismatched-release', settings, r, {
      message: `${r.api}() releases ${r.field} (${r.key}) with the put_page family, but ${where} filled that field with ${fill.api}(): user-backed iterators' pages are pinned (release them with unpin_user_page(s), only if ${test}) and kernel-backed iterators' pages carry no reference at all (release nothing)`,
      acquire: fill.file ? undefined : { range: fill.range, api: fill.api, mode: 'EXTRACT' },
      path: [...fillSteps(fill, r), { range: r.range, note: `${r.fn}(): ${r.api}(${r.field}), filled by ${where} with extracted pages` }],
      counters: { before: ledger(r.field, 'PIN', 'held', '', pairFor('PIN')), after: ledger(r.field, 'PIN', 'released with the wrong family', '', after), consequence: consequence(after, 'PIN') },
      fixes: [],
    });
  }
  // an unpin is right on the paths that tested the flag (or the iterator) as meaning pinned
  if (!flag || r.guards.every(g => g[flag.key] === flag.pinned || g[WILL_PIN_GUARD] === true)) return undefined;
  const negated = r.guards.some(g => g[flag.key] === !flag.pinned || g[WILL_PIN_GUARD] === false);
  const flagWhere = `${fill.function}()${fill.file ? ` in ${fill.file}` : ''} (line ${flag.range.start.line + 1})`;
  const after = dropPair(pairFor('NONE'), 'unpin');
  return finding('release-without-reference', settings, r, {
    message: `${r.api}() unpins ${r.field} (${r.key}) ${negated ? `on a path where ${flag.field} says the pages were not pinned` : `without testing ${flag.field}`}, but ${where} filled that field with ${fill.api}(), which takes no reference at all on kernel-backed iterators, and set ${flag.field} from iov_iter_extract_will_pin() in ${flagWhere}: unpin only if (${test})`,
    acquire: fill.file ? undefined : { range: fill.range, api: fill.api, mode: 'EXTRACT' },
    path: [...fillSteps(fill, r), { range: r.range, note: `${r.fn}(): ${r.api}(${r.field}) ${negated ? `under !${flag.field}` : `without ${flag.field} tested`}` }],
    counters: { before: ledger(r.field, 'NONE', 'held', '', pairFor('NONE')), after: ledger(r.field, 'NONE', 'unpinned without a pin', '', after), consequence: consequence(after, 'NONE') },
    fixes: [],
  });
}

// ---------------------------------------------------------------- fields no function releases

const RELEASE_CALL = new RegExp(`\\b(${RELEASE_NAMES})\\s*\\(`);

/** A field's array freed before this path released the pages in it (analyse.ts collects them per function). */
export interface FieldFree { key: string; field: string; api: string; range: Range; fn: string; ownFill?: boolean; releasedBelow?: boolean }

/** The pointers a function declares as `struct name *v`. */
function structVars(text: string, name: string): string[] {
  return [...text.matchAll(new RegExp(`\\bstruct\\s+${name}\\s*\\*+\\s*(\\w+)`, 'g'))].map(m => m[1]);
}

/**
 * A struct field's array freed (`kfree(dma->pages)`) on a path that did not
 * release its pages first, where the file (or, given their fills, another
 * file of the folder) fills that field with pages of one mode: the pages are
 * lost with the array (and a release after the free reads freed memory).
 * Judged where the freeing function fills the field itself or releases it
 * (below the free); and where this file fills the field and no function of
 * the file releases it — not by the field, a helper's summary, or a local
 * copied from it (a teardown whose release went missing: nothing in the file
 * could have released the pages before the free) — unless the filling
 * function passed the pages on to an owner (`scratch`: the field is a scratch
 * array, `sg_set_page(sg, pages[i], …)`). Elsewhere another function
 * may have released the pages before this path frees the array.
 */
export function freedHolding(frees: FieldFree[], fills: FieldFill[], released: Set<string>, fns: FunctionDef[], settings: Required<Settings>, scratch = new Set<string>(), atFill = new Set<string>()): Finding[] {
  const out: Finding[] = [];
  for (const f of frees) {
    const struct = /^struct (\w+)\./.exec(f.key)?.[1];
    // (not a field neverReleased() reported at its fill)
    const unreleased = () => !released.has(f.key) && !scratch.has(f.key) && fills.some(x => x.key === f.key && !x.file)
      && !!struct && !atFill.has(f.key) && !fns.some(g => movedOrReleased(g, struct, fieldHead(f.key)));
    const nowhere = !f.ownFill && !f.releasedBelow;
    const twin = nowhere && !scratch.has(f.key) ? releasingTwin(fns, f) : undefined;
    if (nowhere && !twin && !unreleased()) continue;
    const by = oneModeFills(fills, f.key);
    if (!by) continue;
    const fill = by[0];
    const x = finding('leaked-pages', settings, f, {
      fixes: [], path: [{ range: f.range, note: `${f.api}(${f.field}) before this path released the pages in it` }],
      message: `${f.api}() frees ${f.field} (${f.key}), which holds pages ${heldWords(fill.mode)} by ${fill.api}() in ${whereOf(fill)}, ${twin ? `before this path released them (${twin}() releases them before it frees that array)` : nowhere ? 'and no function of this file releases that field' : 'before this path released them'}: the pages are lost with the array${fill.mode === 'GET' ? '' : ' and stay pinned'}`,
    });
    if (x) out.push(x);
  }
  return out;
}

/**
 * The fills of a field with pages that hold something, when they are all of
 * one mode and none is an sg table (freed after its entries went back by
 * walking it, sg_free_table(): not an array of pages); else undefined.
 */
function oneModeFills(fills: FieldFill[], key: string): FieldFill[] | undefined {
  const by = fills.filter(x => x.key === key && (x.mode === 'PIN' || x.mode === 'GET' || x.mode === 'EXTRACT'));
  return by.length && !by.some(x => x.sg) && new Set(by.map(x => x.mode)).size === 1 ? by : undefined;
}

/** A count kept in a struct field set to 0 (`batch->nr_pages = 0`), and the fields (keys) its function's paths had released whole when they got there. */
export interface CountReset { key: string; count: string; range: Range; offset: number; fn: string; released: string[] }

/** Names of functions that take an object apart: a reset of its count there is not an initialisation. */
const TEARDOWN_NAME = /(^|_)(put|release|free|unmap|unpin|cleanup|clean_up|destroy|teardown|deinit|fini|drop|reset|unprepare|unregister|done|complete|finish|close)(_|$)/;

/**
 * The count kept beside a field of pages, as the file pairs them: field head
 * of the count to the field head of the pages. From a release with both
 * (`unpin_user_pages(b->pages, b->nr)`), a release loop bounded by the count
 * (`for (i = 0; i < b->nr; i++) put_page(b->pages[i])`), and a fill that
 * counts its slots (`b->pages[b->nr++] = page`), on the same object. Only
 * fields in `held` (filled with pages here or in the files that fill ours).
 */
export function countsOfPageFields(text: string, held: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  const add = (pages: string, count: string) => { if (held.has(pages) && count !== pages && !out.has(count)) out.set(count, pages); };
  for (const m of text.matchAll(new RegExp(`\\b(?:${RELEASE_NAMES})\\s*\\(\\s*(\\w+)\\s*->\\s*(\\w+)\\s*,\\s*(\\w+)\\s*->\\s*(\\w+)\\s*[,)]`, 'g'))) {
    if (m[1] === m[3]) add(m[2], m[4]);
  }
  for (const m of text.matchAll(/\bfor\s*\([^;]*;\s*\w+\s*<\s*(\w+)\s*->\s*(\w+)\s*;[^)]*\)\s*\{?([^}]*)/g)) {
    for (const r of m[3].matchAll(new RegExp(`\\b(?:${RELEASE_NAMES})\\s*\\(\\s*${m[1]}\\s*->\\s*(\\w+)\\s*\\[`, 'g'))) add(r[1], m[2]);
  }
  for (const m of text.matchAll(/\b(\w+)\s*->\s*(\w+)\s*\[\s*(\w+)\s*->\s*(\w+)\s*\+\+\s*\]\s*=/g)) {
    if (m[1] === m[3]) add(m[2], m[4]);
  }
  return out;
}

/**
 * leaked-pages where a function that takes an object apart sets the count of
 * a field of pages to 0 (`dma->page_count = 0`) while no path to it released
 * that field, nor does the function release it after (through the field, a
 * copy, or a function of the file that does): the object says it holds no
 * pages, and the pages it held stay pinned or referenced (a put whose release
 * went missing). Judged only where the file fills the field with pages of
 * one mode (not an sg table, not scratch space that went to an owner), the
 * function does not fill it itself, takes the object apart (its name says
 * so, or it tests the count or the field before the reset: `if
 * (!dma->page_count) return;`), gives the object to no function of another
 * file that might release it, and no function of the file releases the
 * field and then calls it (a reset after the release).
 */
export function countDropped(resets: CountReset[], fills: FieldFill[], fns: FunctionDef[], counts: Map<string, string>, settings: Required<Settings>, scratch = new Set<string>()): Finding[] {
  const out: Finding[] = [];
  const local = new Set(fns.map(f => f.name));
  for (const r of resets) {
    const countHead = fieldHead(r.key);
    const head = counts.get(countHead);
    if (!head) continue;
    const key = `${r.key.slice(0, r.key.lastIndexOf('.') + 1)}${head}`;
    const struct = /^struct (\w+)\./.exec(key)?.[1];
    const fn = fns.find(g => g.name === r.fn);
    if (!struct || !fn || scratch.has(key) || r.released.includes(key)) continue;
    const by = oneModeFills(fills, key);
    if (!by || by.some(x => !x.file && x.function === fn.name)) continue;
    const body = fn.body.text;
    const before = body.slice(0, r.offset);
    const tests = new RegExp(`\\b(if|while)\\s*\\([^;{]*(->|\\.)\\s*(${countHead}|${head})\\b`).test(before);
    if (!tests && !TEARDOWN_NAME.test(fn.name)) continue;
    if (movedOrReleased(fn, struct, head)) continue;
    const release = releaseOf(head);
    if (callsReleaser(fn, releasersOf(fns, release))) continue;
    // the object (the root of the count) given to a function of another file, which may release its pages
    const root = r.count.slice(0, r.count.indexOf('->'));
    if (givenTo(body, [root]).some(c => !local.has(c) && !KEEPS_NOTHING.test(c) && !HARMLESS.has(c))) continue;
    // a reset the file calls after releasing the field (`unpin_user_pages(b->pages, b->nr); batch_reset(b);`)
    const after = new RegExp(`\\b${fn.name}\\s*\\(`);
    if (fns.some(g => { const t = g.body.text, x = release.exec(t), y = after.exec(t); return !!x && !!y && x.index < y.index; })) continue;
    const fill = by[0];
    const x = finding('leaked-pages', settings, r, {
      fixes: [], path: [{ range: r.range, note: `${r.count} = 0 while ${head} may still hold pages` }],
      message: `${fn.name}() sets ${r.count} to 0 but nothing here released the pages it counts in ->${head} (${key}, pages ${heldWords(fill.mode)} by ${fill.api}() in ${whereOf(fill)}): the object now says it holds no pages, and they stay ${fill.mode === 'GET' ? 'referenced' : 'pinned'}`,
    });
    if (x) out.push(x);
  }
  return out;
}

/** Calls that keep no object: what an object of the file's own struct may be given without being handed on. */
const KEEPS_NOTHING = /^(k[vz]?free|kvfree|kfree_sensitive|kvfree_sensitive|vfree|kmem_cache_free|free_pages?|__free_pages?|k[mvz]?alloc\w*|kcalloc|kmem_cache_\w+|memset|memcpy|memcmp|sizeof|offsetof|container_of|list_\w+|hlist_\w+|INIT_\w+|init_\w+|mutex_\w+|spin_\w+|raw_spin_\w+|rcu_\w+|kref_\w+|refcount_\w+|atomic_\w+|WARN\w*|BUG\w*|pr_\w+|dev_\w+|printk|READ_ONCE|WRITE_ONCE|likely|unlikely|IS_ERR\w*|PTR_ERR\w*|ERR_PTR|min\w*|max\w*|array_size|struct_size|copy_to_user|copy_from_user|put_user|get_user)$/;

/**
 * In `g`, the field `head` of an object of `struct name` is copied to a local
 * that a release is called on, given to a release (also through a chain of
 * pointers: `dev->umem->pages`), or given to another function (the pages
 * move on: `batch_from_pages(b, user->upages, n)`).
 */
function movedOrReleased(g: FunctionDef, name: string, head: string): boolean {
  const t = g.body.text;
  if (new RegExp(`\\b(${RELEASE_NAMES})\\s*\\([^;]*?(->|\\.)${head}\\b`).test(t)) return true;
  const vars = structVars(g.node.text, name);
  if (!vars.length) return false;
  const field = `(${vars.join('|')})\\s*(->|\\.)\\s*${head}\\b`;
  if (new RegExp(`=\\s*&?\\s*${field}`).test(t) && RELEASE_CALL.test(t)) return true;
  const passes = (arg: string) => {
    for (const m of t.matchAll(new RegExp(`\\b(\\w+)\\s*\\([^;{}]*?[(,]?\\s*&?\\s*${arg}`, 'g'))) {
      // (an acquire into the field fills it; a mapping or a look at a page keeps no reference)
      if (!KEEPS_NOTHING.test(m[1]) && !RELEASE_BY_NAME.has(m[1]) && !ACQUIRE_BY_NAME.has(m[1]) && !HARMLESS.has(m[1]) && !MAPS_WITHOUT_REFERENCE.has(m[1])
        && !/^(if|while|for|switch|return|sizeof)$/.test(m[1])) return true;
    }
    return false;
  };
  if (passes(field)) return true;
  // copied to a local that goes to another function (`pages = &tidbuf->pages[idx]; release_helper(mm, pages, n)`)
  // (or one of its slots: `sg_set_page(sg, pages[i], …)`)
  for (const m of t.matchAll(new RegExp(`\\b(\\w+)\\s*=\\s*&?\\s*${field}`, 'g'))) if (passes(`${m[1]}\\s*(\\[[^\\]]*\\]\\s*)?[,)]`)) return true;
  return false;
}

/** The offset of a 0-based line/UTF-16 column position in `text`. */
function offsetOf(text: string, p: { line: number; character: number }): number {
  let off = 0;
  for (let l = 0; l < p.line; l++) { const n = text.indexOf('\n', off); if (n < 0) return text.length; off = n + 1; }
  return off + p.character;
}

/**
 * An object of `struct name` (a pointer declared with that type) given to a
 * function this file does not define (not one of those that keep nothing):
 * that function may release what it holds.
 */
function escapes(name: string, fns: FunctionDef[]): boolean {
  const local = new Set(fns.map(f => f.name));
  return fns.some(f => {
    const vars = structVars(f.node.text, name);
    return vars.length > 0 && givenTo(f.node.text, vars).some(c => !local.has(c) && !KEEPS_NOTHING.test(c));
  });
}

/** The functions `text` calls with one of `vars` (or its address) as an argument. */
function givenTo(text: string, vars: string[]): string[] {
  const arg = new RegExp(`\\b(\\w+)\\s*\\(([^;{}]*?[(,]\\s*)?&?\\s*(${vars.join('|')})\\s*[,)]`, 'g');
  return [...text.matchAll(arg)].map(m => m[1]);
}

/**
 * Another function of the file that releases the field's pages and then
 * frees its array — the file's way of tearing it down — where the freeing
 * function neither releases them nor calls a function of the file that
 * does: its release went missing. The other function's name, or undefined.
 */
function releasingTwin(fns: FunctionDef[], f: FieldFree): string | undefined {
  const head = fieldHead(f.key);
  const own = fns.find(g => g.name === f.fn);
  if (!own) return undefined;
  const release = releaseOf(head);
  const free = new RegExp(`\\b(${[...CONTAINER_FREES].join('|')})\\s*\\([^;]*?(->|\\.)\\s*${head}\\s*\\)`);
  const releasers = releasersOf(fns, release);
  if (releasers.has(own.name) || callsReleaser(own, releasers)) return undefined;
  return fns.find(g => {
    if (g.name === own.name) return false;
    const r = release.exec(g.body.text), x = free.exec(g.body.text);
    return !!r && !!x && r.index < x.index;
  })?.name;
}

/** A release call of a field named `head` (`unpin_user_pages(obj->pages, n)`, `put_page(b.pages[i])`). */
const releaseOf = (head: string) => new RegExp(`\\b(${RELEASE_NAMES})\\s*\\([^;]*?(->|\\.)\\s*${head}\\b`);

/** The functions of the file whose body holds such a release. */
const releasersOf = (fns: FunctionDef[], release: RegExp) => new Set(fns.filter(g => release.test(g.body.text)).map(g => g.name));

/** `fn` calls one of them. */
const callsReleaser = (fn: FunctionDef, releasers: Set<string>) => [...fn.body.text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].some(m => releasers.has(m[1]));

/** The struct is defined in this file (not in a header another file includes). */
const privateStruct = (text: string, struct: string) => new RegExp(`\\bstruct\\s+${struct}\\s*\\{`).test(text);

/**
 * Fields of a struct private to this file (defined in it) that a function
 * fills with pages and no function of the file releases — not by the field,
 * not through a helper's summary, not through a local copied from the field
 * (`pages = obj->pages; unpin_user_pages(pages, n)`): nothing else can
 * release them, so they stay held after the object goes.
 */
export function neverReleased(fills: FieldFill[], released: Set<string>, fns: FunctionDef[], text: string, settings: Required<Settings>): { findings: Finding[]; keys: Set<string> } {
  const out: Finding[] = [];
  const keys = new Set<string>();
  const seen = new Set<string>();
  for (const f of fills) {
    if (seen.has(f.key) || released.has(f.key) || f.key === BVEC_KEY || (f.mode !== 'PIN' && f.mode !== 'GET' && f.mode !== 'EXTRACT')) continue;
    seen.add(f.key);
    const struct = /^struct (\w+)\./.exec(f.key)?.[1];
    if (!struct || !privateStruct(text, struct)) continue;
    // stored slot by slot (`obj->folios[i] = folio`): a view of pages some other holder keeps
    if (/^[^=;]*\]\s*=/.test(text.slice(offsetOf(text, f.range.start), offsetOf(text, f.range.end)))) continue;
    if (escapes(struct, fns)) continue;
    const head = fieldHead(f.key);
    if (fns.some(g => movedOrReleased(g, struct, head))) continue;
    const x = finding('leaked-pages', settings, { fn: f.function, range: f.range }, {
      fixes: [], path: [{ range: f.range, note: `${f.function}() stores pages from ${f.api}() in ${f.key}; no function of the file releases it` }],
      message: `pages ${heldWords(f.mode)} by ${f.api}() are stored in ${f.key}, but no function of this file releases that field, and struct ${struct} is private to this file: they stay ${f.mode === 'GET' ? 'referenced' : 'pinned'} when the object goes`,
    });
    keys.add(f.key);
    if (x) out.push(x);
  }
  return { findings: out, keys };
}
