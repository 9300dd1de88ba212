// Ownership through struct fields, the facts: pages put into `struct
// foo.pages` by one function and released from that field by another (a
// teardown the kernel reaches through an ops table or a callback, in this
// file or — given the fills of the folder's other files — elsewhere). Here:
// field and flag keys, the flag set beside extracted pages, which fills a
// teardown is judged by, and what the file's text says about a field (who
// releases it, moves it on, frees its array, resets its count, gives its
// object away). The findings they lead to are made by the checkers' file-level
// hooks (checkers/checker.ts onFieldRelease, onFileEnd), each in its code's
// file, which also states the rule and its false-positive policy.
import { ACQUIRE_BY_NAME, BIO_PAGES, BVEC_KEY, CONTAINER_FREES, HARMLESS, MAPS_WITHOUT_REFERENCE, RELEASE_BY_NAME, RELEASE_NAMES } from './apis';
import { WILL_PIN_GUARD } from './release-call';
import { rootOf } from './sim-state';
import type { FunctionDef, Node } from './syntax';
import { codeText, rangeOf } from './syntax';
import { closureOf, Members, structDefinitions } from './struct-defs';
import type { Family, FieldFill, FieldFlag, FunctionSummary, Mode, Range, StructTypes } from './types';

/** A field release of a function, keyed (see fieldKey; `via`: outerKey()); `guards` by flag key (see SimResult.fieldReleases). */
export interface KeyedRelease {
  key: string; via?: string; field: string; family: Family; api: string; range: Range; callee?: Range; fn: string;
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
 * `&tab->page[i].mem` (an sg entry) -> `struct tab_t.page[].mem`. One piece
 * of memory has one key: through a member that is an embedded struct
 * (`struct rm_atomic_op atomic;`, also defined inline or inside an anonymous
 * union) the key is that struct's (`rm->atomic.op_sg` -> `struct
 * rm_atomic_op.op_sg`, as `ao->op_sg` of a `struct rm_atomic_op *ao`), and
 * through a pointer member (`dev->umem->pages`) the struct it points to —
 * when this file or the given StructTypes (headers) define the outer struct.
 * An embedded kernel container (`struct sg_table sgt;`) is the field itself:
 * `obj->sgt.sgl[i]` -> `struct foo.sgt`. Undefined through a struct the tree
 * defines more than once, differently (structVia() says so).
 */
export function fieldKey(fn: FunctionDef, field: string): string | undefined {
  if (field === BIO_PAGES) return BVEC_KEY;
  const f = field.replace(/\s+/g, '').replace(/^&/, '');
  const m = /^([A-Za-z_]\w*)->(.+)$/.exec(f);
  const s = m ? structOf(fn, m[1]) : undefined;
  return s ? keyFrom(fn, s, m![2]) : undefined;
}

/**
 * The key of `field` as written, through the outer struct (`rm->atomic.op_sg`
 * -> `struct rds_message.atomic.op_sg`), when fieldKey() made it that of an
 * embedded struct; else undefined. A release written through one outer
 * struct (`ra->ap.pages`) is of that struct's embedded member only: fills
 * through the embedded struct's own pointer (`ap->pages`, any owner's) or
 * through another outer struct do not judge it. A release through the
 * embedded struct's pointer (`ao->op_sg`) is judged by all of them.
 */
export function outerKey(fn: FunctionDef, field: string): string | undefined {
  const f = field.replace(/\s+/g, '').replace(/^&/, '');
  const m = /^([A-Za-z_]\w*)->(\w+(?:\[[^\]]*\])*\.[\w.[\]]+)$/.exec(f);
  const s = m ? structOf(fn, m[1]) : undefined;
  const raw = s ? keyOf(s, m![2]) : undefined;
  const key = raw ? fieldKey(fn, field) : undefined;
  // (a key of the same struct, a container's member dropped, `obj->sgt.sgl` -> `struct obj.sgt`, is no outer one)
  return raw && key && !key.startsWith(`struct ${s}.`) ? raw : undefined;
}

/**
 * The struct types of kernel containers: many owners embed them, so a key
 * through one (`struct sg_table.sgl`) would join every owner's pages; the
 * member that holds one is the field.
 */
const CONTAINER_STRUCTS = new Set(['sg_table', 'sg_append_table', 'scatterlist', 'bio_vec', 'bio', 'bvec_iter', 'folio_batch', 'pagevec',
  'iov_iter', 'kvec', 'page', 'folio', 'list_head', 'hlist_head', 'hlist_node', 'rb_node', 'rb_root', 'xarray', 'kref', 'work_struct', 'rcu_head']);

/** The key of the member path `rest` (`atomic.op_sg`, `umem->pages[i]`) of `struct s`. */
function keyFrom(fn: FunctionDef, s: string, rest: string, depth = 0): string | undefined {
  const seg = /^(\w+)((?:\[[^\]]*\])*)(?:(\.|->)(.+))?$/.exec(rest);
  if (!seg) return undefined;
  const [, member, index, sep, more] = seg;
  if (!sep) return keyOf(s, rest);
  if (!index && depth < 8) {
    const t = memberType(fn, s, member);
    if (t === null) return undefined;
    const pointer = t?.startsWith('*'), array = t?.endsWith('[]');
    const inner = t?.replace(/^\*/, '');
    if (inner && !array && (sep === '->') === !!pointer) return CONTAINER_STRUCTS.has(inner) ? keyOf(s, member) : keyFrom(fn, inner, more, depth + 1);
  }
  // (`a->m->x` through a pointer whose struct is not known, `a->arr[i]->x`: no key)
  return sep === '->' ? undefined : keyOf(s, rest);
}

/** `struct s.path`: the pages of `obj->pages[i]` are those of the field `pages`, a member of an array of structs keeps its path with the index dropped. */
function keyOf(s: string, member: string): string | undefined {
  if (!/^\w+(?:\[[^\]]*\])*(?:\.\w+(?:\[[^\]]*\])*)*$/.test(member)) return undefined;
  const path = member.replace(/\[[^\]]*\]/g, '[]').replace(/(\[\])+$/, '');
  return `struct ${s}.${path}`;
}

/** What a file's field keys know of struct definitions: its own, over those given (headers); the structs looked up in vain, and through which a key was refused. */
interface StructView { text: string; ownDefs?: Map<string, Members | null>; given: StructTypes; wanted: Set<string>; ambiguous: Set<string>; collect?: Set<string> }

/** The file's own definitions, read when a key first needs them. */
const ownOf = (v: StructView) => (v.ownDefs ??= structDefinitions(v.text));

const views = new WeakMap<object, StructView>();

/**
 * Makes `types` (struct definitions from headers) what field keys of this
 * parse tree read beside the file's own definitions (analyse.ts, once per
 * analysis, before any key is made).
 */
export function useStructTypes(tree: object, text: string, types: StructTypes = {}): void {
  views.set(tree, { text, given: types, wanted: new Set(), ambiguous: new Set() });
}

function viewOf(fn: FunctionDef): StructView {
  let v = views.get(fn.node.tree);
  if (!v) views.set(fn.node.tree, v = { text: fn.node.tree.rootNode.text, given: {}, wanted: new Set(), ambiguous: new Set() });
  return v;
}

/** The type of member `m` of `struct s` (see Members), undefined when it is not a struct or `s` is not known, null when `s` is defined twice differently. */
function memberType(fn: FunctionDef, s: string, m: string): string | undefined | null {
  const v = viewOf(fn);
  // (a file that defines the struct twice, `#ifdef` variants, keeps the member's path: it agrees with itself)
  const own = ownOf(v);
  if (own.has(s)) return own.get(s)?.[m];
  const def = s in v.given ? v.given[s] : undefined;
  if (def === null) { v.ambiguous.add(s); return null; }
  if (def === undefined) { v.wanted.add(s); v.collect?.add(s); return undefined; }
  return def[m];
}

/**
 * Starts (a set) or ends (undefined) collecting the structs the keys made in
 * between looked up in vain: a function's result keeps them, so that a
 * cached result still asks for them.
 */
export function collectWanted(tree: object, into: Set<string> | undefined): void {
  const v = views.get(tree);
  if (v) v.collect = into;
}

/** The structs this tree's keys looked up in vain (no definition in the file or the given types). */
export const wantedStructs = (tree: object): string[] => [...(views.get(tree)?.wanted ?? [])].sort();

/** Why `field` has no key when it goes through a struct the tree defines more than once, differently; else undefined. */
export function ambiguousVia(fn: FunctionDef, field: string): string | undefined {
  const v = viewOf(fn);
  const f = field.replace(/\s+/g, '').replace(/^&/, '');
  const m = /^([A-Za-z_]\w*)->/.exec(f);
  const s = m ? structOf(fn, m[1]) : undefined;
  if (!s) return undefined;
  // the structs the path goes through: its own and those its members name
  const seen = closureOf({ ...v.given, ...Object.fromEntries(ownOf(v)) }, [s]);
  return Object.keys(seen).find(n => seen[n] === null && v.ambiguous.has(n));
}

/**
 * The struct definitions a function's keys read (the structs its text names
 * and those their members name), for its cache key: a result computed with
 * other definitions is not reused.
 */
export function structsKey(fn: FunctionDef): string {
  const v = viewOf(fn);
  const names = [...new Set([...fn.node.text.matchAll(/\b(?:struct|union)\s+([A-Za-z_]\w*)/g)].map(m => m[1]))];
  if (!names.length) return '';
  const all: StructTypes = { ...v.given, ...Object.fromEntries(ownOf(v)) };
  const c = closureOf(all, names);
  return JSON.stringify(Object.keys(c).sort().map(k => [k, c[k] && Object.entries(c[k]!).sort()]));
}

/** The first member of a field key (`struct foo.addr[].page` -> `addr`): what a text that fills the field must name. */
export function fieldHead(key: string): string {
  return key.slice(key.indexOf('.') + 1).split(/[.[]/)[0];
}

/**
 * `ap->args.is_pinned` -> `struct fuse_args_pages.args.is_pinned`; through an
 * embedded struct whose definition is known, that struct's key, as fieldKey()
 * (`rsgl->sgl.need_unpin` -> `struct af_alg_sgl.need_unpin`).
 */
export function flagKey(fn: FunctionDef, field: string): string | undefined {
  const m = /^([A-Za-z_]\w*)->(\w+(?:\.\w+)*)$/.exec(field);
  const s = m ? structOf(fn, m[1]) : undefined;
  return s ? keyFrom(fn, s, m![2]) : undefined;
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
 * The fills a release of the field `key` is judged by: all of them, when
 * they are of one mode; undefined for a field filled with more than one mode
 * (not judged) or not at all.
 */
export function judgedFills(fills: FieldFill[], key: string): FieldFill[] | undefined {
  const by = fills.filter(s => s.key === key);
  return by.length && new Set(by.map(s => s.mode)).size === 1 ? by : undefined;
}

/** PIN pages released with the put_page family, GET pages unpinned. */
export const otherFamily = (mode: Mode, family: Family) => (mode === 'PIN' && family === 'put') || (mode === 'GET' && family === 'unpin');

/** The flag every fill of the field names, if they agree on one. */
export function commonFlag(fills: FieldFill[]): FieldFlag | undefined {
  const f = fills[0].flag;
  return f && fills.every(x => x.flag?.key === f.key && x.flag.pinned === f.pinned) ? f : undefined;
}

// ---------------------------------------------------------------- a field's fate: who releases it, moves it on, frees it, resets its count

const RELEASE_CALL = new RegExp(`\\b(${RELEASE_NAMES})\\s*\\(`);

/** A field's array freed before this path released the pages in it (analyse.ts collects them per function). */
export interface FieldFree { key: string; field: string; api: string; range: Range; fn: string; ownFill?: boolean; releasedBelow?: boolean }

/** The pointers a function declares as `struct name *v` (any of `names`). */
function structVars(text: string, ...names: string[]): string[] {
  if (!names.length) return [];
  return [...text.matchAll(new RegExp(`\\bstruct\\s+(?:${names.join('|')})\\s*\\*+\\s*(\\w+)`, 'g'))].map(m => m[1]);
}

/**
 * The structs that embed `struct name` (a member of that type, also through
 * structs that embed those), as the file and the given definitions say: an
 * object of one holds the field (`job->buf.pages` is `struct zq_buf.pages`).
 */
function embeddersOf(fn: FunctionDef, name: string): string[] {
  const v = viewOf(fn);
  const all: StructTypes = { ...v.given, ...Object.fromEntries(ownOf(v)) };
  const out = new Set<string>();
  let level = [name];
  for (let d = 0; d < 4 && level.length; d++) {
    const next: string[] = [];
    for (const [s, m] of Object.entries(all)) {
      if (!m || out.has(s) || s === name) continue;
      if (Object.values(m).some(t => level.includes(t))) { out.add(s); next.push(s); }
    }
    level = next;
  }
  return [...out];
}

/** `v->head` for an object of the struct, `o->m.head` (members between) for one that embeds it. */
function fieldOf(g: FunctionDef, name: string, head: string): string | undefined {
  const vars = structVars(g.node.text, name), outer = structVars(g.node.text, ...embeddersOf(g, name));
  const alts = [...(vars.length ? [`(?:${vars.join('|')})\\s*(?:->|\\.)\\s*${head}\\b`] : []),
    ...(outer.length ? [`(?:${outer.join('|')})\\s*->\\s*(?:\\w+\\s*\\.\\s*)+${head}\\b`] : [])];
  return alts.length ? `(?:${alts.join('|')})` : undefined;
}

/**
 * The fills of a field with pages that hold something, when they are all of
 * one mode and none is an sg table (freed after its entries went back by
 * walking it, sg_free_table(): not an array of pages); else undefined.
 */
export function oneModeFills(fills: FieldFill[], key: string): FieldFill[] | undefined {
  const by = fills.filter(x => x.key === key && (x.mode === 'PIN' || x.mode === 'GET' || x.mode === 'EXTRACT'));
  return by.length && !by.some(x => x.sg) && new Set(by.map(x => x.mode)).size === 1 ? by : undefined;
}

/** A count kept in a struct field set to 0 (`batch->nr_pages = 0`), and the fields (keys) its function's paths had released whole when they got there. */
export interface CountReset { key: string; count: string; range: Range; offset: number; fn: string; released: string[] }

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

/** Calls that keep no object: what an object of the file's own struct may be given without being handed on. */
export const KEEPS_NOTHING = /^(k[vz]?free|kvfree|kfree_sensitive|kvfree_sensitive|vfree|kmem_cache_free|free_pages?|__free_pages?|k[mvz]?alloc\w*|kcalloc|kmem_cache_\w+|memset|memcpy|memcmp|sizeof|offsetof|container_of|list_\w+|hlist_\w+|INIT_\w+|init_\w+|mutex_\w+|spin_\w+|raw_spin_\w+|rcu_\w+|kref_\w+|refcount_\w+|atomic_\w+|WARN\w*|BUG\w*|pr_\w+|dev_\w+|printk|READ_ONCE|WRITE_ONCE|likely|unlikely|IS_ERR\w*|PTR_ERR\w*|ERR_PTR|min\w*|max\w*|array_size|struct_size|copy_to_user|copy_from_user|put_user|get_user)$/;

/**
 * In `g`, the field `head` of an object of `struct name` is copied to a local
 * that a release is called on, given to a release (also through a chain of
 * pointers: `dev->umem->pages`), or given to another function (the pages
 * move on: `batch_from_pages(b, user->upages, n)`).
 */
export function movedOrReleased(g: FunctionDef, name: string, head: string): boolean {
  const t = codeText(g.body);
  if (new RegExp(`\\b(${RELEASE_NAMES})\\s*\\([^;]*?(->|\\.)${head}\\b`).test(t)) return true;
  const field = fieldOf(g, name, head);
  if (!field) return false;
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

/**
 * An object of `struct name` (a pointer declared with that type) given to a
 * function this file does not define (not one of those that keep nothing):
 * that function may release what it holds.
 */
export function escapes(name: string, fns: FunctionDef[]): boolean {
  const local = new Set(fns.map(f => f.name));
  return fns.some(f => {
    // (or of a struct that embeds it: the object holds the field)
    const vars = structVars(f.node.text, name, ...embeddersOf(f, name));
    return vars.length > 0 && givenTo(codeText(f.node), vars).some(c => !local.has(c) && !KEEPS_NOTHING.test(c));
  });
}

/** Words before a parenthesis that are not calls (`if (obj)`, `sizeof(*obj)`). */
const NOT_CALLS = new Set(['if', 'while', 'for', 'switch', 'return', 'sizeof', 'typeof', '__typeof__', 'alignof', '_Alignof', 'defined', 'do', 'else', 'case']);

/** The functions `text` calls with one of `vars` (or its address) as an argument. */
export function givenTo(text: string, vars: string[]): string[] {
  const arg = new RegExp(`\\b(\\w+)\\s*\\(([^;{}]*?[(,]\\s*)?&?\\s*(${vars.join('|')})\\s*[,)]`, 'g');
  return [...text.matchAll(arg)].map(m => m[1]).filter(c => !NOT_CALLS.has(c));
}

/**
 * Another function of the file that releases the field's pages and then
 * frees its array — the file's way of tearing it down — where the freeing
 * function neither releases them nor calls a function of the file that
 * does: its release went missing. The other function's name, or undefined.
 */
export function releasingTwin(fns: FunctionDef[], f: FieldFree): string | undefined {
  const head = fieldHead(f.key);
  const own = fns.find(g => g.name === f.fn);
  if (!own) return undefined;
  const release = releaseOf(head);
  const free = new RegExp(`\\b(${[...CONTAINER_FREES].join('|')})\\s*\\([^;]*?(->|\\.)\\s*${head}\\s*\\)`);
  const releasers = releasersOf(fns, release);
  if (releasers.has(own.name) || callsReleaser(own, releasers)) return undefined;
  return fns.find(g => {
    if (g.name === own.name) return false;
    const r = release.exec(codeText(g.body)), x = free.exec(codeText(g.body));
    return !!r && !!x && r.index < x.index;
  })?.name;
}

/** A release call of a field named `head` (`unpin_user_pages(obj->pages, n)`, `put_page(b.pages[i])`). */
export const releaseOf = (head: string) => new RegExp(`\\b(${RELEASE_NAMES})\\s*\\([^;]*?(->|\\.)\\s*${head}\\b`);

/** The functions of the file whose body holds such a release. */
export const releasersOf = (fns: FunctionDef[], release: RegExp) => new Set(fns.filter(g => release.test(codeText(g.body))).map(g => g.name));

/** `fn` calls one of them. */
export const callsReleaser = (fn: FunctionDef, releasers: Set<string>) => [...codeText(fn.body).matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].some(m => releasers.has(m[1]));

/** The struct is defined in this file (not in a header another file includes). */
export const privateStruct = (text: string, struct: string) => new RegExp(`\\bstruct\\s+${struct}\\s*\\{`).test(text);

/**
 * The fields a function of the file fills for its caller and leaves filled
 * when it succeeds (its summary acquires into a parameter's field always, and
 * keeps nothing there when it fails: `orangefs_bufmap_map()` into
 * bufmap->page_array): key -> that function.
 */
export function keptOnSuccess(summaries: FunctionSummary[], fns: FunctionDef[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const sum of summaries) {
    const def = fns.find(f => f.name === sum.name);
    for (const e of sum.params) {
      if (!def || e.effect !== 'acquires' || !e.always || e.keptOnError || (e.mode !== 'PIN' && e.mode !== 'GET')) continue;
      const key = fieldKey(def, e.name);
      if (key && !out.has(key)) out.set(key, sum.name);
    }
  }
  return out;
}
