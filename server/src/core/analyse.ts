// Entry point of the analysis core: C text in, FileAnalysis out. Pure: no fs,
// no protocol types; never throws on bad C (a function that cannot be
// analysed gets a note, not an exception).
import type { Parser } from 'web-tree-sitter';
import { ACQUIRE_BY_NAME, ALL_API_NAMES, BVEC_KEY, CONTAINER_FREES, PAGE_TYPE, RELEASE_BY_NAME, RELEASE_NAMES, WILL_PIN_PREDICATES, mentionsPageApi } from './apis';
import { explainOwnership, installedCallbacks } from './callbacks';
import { buildCfg, compiledUnder } from './cfg';
import type { CheckContext, FieldContext, FindingDraft, Report } from './checkers/checker';
import { CHECKERS } from './checkers';
import { sameSlotJustBefore } from './checkers/double-release';
import { ambiguousVia, collectWanted, outerKey, CountReset, countsOfPageFields, FieldFree, fieldKey, flagNamesIn, flagOf, guardKeys, judgedFills, keptOnSuccess, KeyedRelease, structsKey, useStructTypes, wantedStructs } from './fields';
import { citedMessage, renderCited } from './cite';
import { convertToPinFix } from './fixes';
import { applySettings, overSizeLimit } from './settings';
import { State, trailSteps } from './ledger';
import { simulate } from './simulate';
import { holderText, rootOf } from './sim-state';
import type { SimResult } from './sim-state';
import type { ParamOrigin } from './sim-state';
import { FunctionDef, LastParse, Node, callArgs, calleeName, functionsOf, isNullLiteral, localsOf, memoiseNodes, parse, parseAgain, rangeOf, strip } from './syntax';
import {
  ArgMode, CallSite, CheckSettings, CitedText, Code, DEFAULT_SETTINGS, DEFAULT_SEVERITY, FieldFill, FieldFlag, FieldReleaseInfo, FileAnalysis, Finding, FunctionSummary, Mode, ParamEffect, Range, ReleaseSite, StructTypes, Settings,
} from './types';

/** Summaries of functions defined elsewhere (other files of the tree), by name. */
export type ExternalSummaries = Map<string, FunctionSummary>;

const API_NAMES = new Set(ALL_API_NAMES);
/** A release of the page of an sg entry (`put_page(sg_page(sg))`, `unpin_user_page(sg_page(&s[i]))`). */
const SG_ENTRY_RELEASE = new RegExp(`\\b(${RELEASE_NAMES})\\s*\\(\\s*sg_page\\s*\\(`);

/** Calls whose 6.1 signature had one more argument (the vmas array, removed in 6.5). */
const OLD_ARITY: Record<string, number> = { get_user_pages: 5, pin_user_pages: 5, get_user_pages_remote: 7, pin_user_pages_remote: 7 };

const OLD_ARITY_CALL = new RegExp(`\\b(${Object.keys(OLD_ARITY).join('|')})\\s*\\(`, 'g');

export function detectKernel(text: string, root?: Node): '6.1' | '6.12' {
  if (/\bBIO_NO_PAGE_REF\b|\biov_iter_get_pages(_alloc)?\s*\(/.test(text)) return '6.1';
  if (!root) return '6.12';
  // only the calls the text names (a walk over every call of a large file costs an editor's keystroke)
  for (const m of text.matchAll(OLD_ARITY_CALL)) {
    let c: Node | null = root.descendantForIndex(m.index!);
    while (c && c.type !== 'call_expression' && c.type !== 'translation_unit') c = c.parent;
    const n = c?.type === 'call_expression' ? calleeName(c) : undefined;
    if (c && n && OLD_ARITY[n] && callArgs(c).length === OLD_ARITY[n]) return '6.1';
  }
  return '6.12';
}

/**
 * Results per function, keyed by the function's text, position column, the
 * summaries of its callees and the settings: an editor re-analysing a file
 * after one edit simulates only the functions the edit changed. It also keeps
 * the document's last parse, so the next one is incremental. The caller owns
 * it (the core keeps no state of its own) and calls dispose() when the
 * document goes (the parse tree lives in the parser's wasm memory).
 */
export class AnalysisCache extends Map<string, FunctionResult> {
  last?: LastParse;
  /** the path steps its results carry and the characters of its keys, in all (a shared cache's bounds) */
  private steps = 0;
  private chars = 0;
  /**
   * `incremental`: keep the parse tree (an edited document); false for a text analysed once (git HEAD).
   * `shared`: the cache of many texts' analyses (the tree index's helper slices and folder files: a
   * function kept in several slices of its file is simulated once): not pruned to one text's functions,
   * but bounded, oldest out, and without parse trees (`incremental` is false).
   */
  constructor(readonly incremental = true, readonly shared?: { entries: number; steps: number; chars: number }) { super(); }
  override set(key: string, r: FunctionResult): this {
    const max = this.shared;
    if (!max) return super.set(key, r);
    const steps = weight(r);
    if (steps > max.steps / 8 || key.length > max.chars / 8 || this.has(key)) return this;
    super.set(key, r);
    this.steps += steps;
    this.chars += key.length;
    for (const [k, old] of this) {
      if (this.size <= max.entries && this.steps <= max.steps && this.chars <= max.chars) break;
      this.delete(k);
      this.steps -= weight(old);
      this.chars -= k.length;
    }
    return this;
  }
  override clear(): void {
    super.clear();
    this.steps = 0;
    this.chars = 0;
  }
  dispose(): void {
    this.last?.tree.delete();
    this.last = undefined;
    this.clear();
  }
}

/** What a function's result holds, as the path steps its findings and call sites carry (most of its size). */
function weight(r: FunctionResult): number {
  let n = 1;
  for (const f of r.findings) n += f.path.length;
  for (const c of r.callSites) n += c.trace.length;
  return n;
}

interface FunctionResult {
  line: number;
  findings: Finding[];
  callSites: CallSite[];
  summary?: FunctionSummary;
  /** `struct foo.pages` filled with pages of a mode, and released without a page set */
  fieldStores: { key: string; via?: string; field: string; mode: Mode; api: string; range: Range; fn: string; flag?: FieldFlag; sg?: boolean }[];
  fieldReleases: KeyedRelease[];
  /** pages of a known mode this function passes to callees */
  argModes: ArgMode[];
  /** keys of the struct fields it releases (itself or through a helper's summary) */
  releasedKeys: string[];
  /** struct fields' arrays it frees before their pages were released on that path */
  fieldFrees: FieldFree[];
  /** counts kept in struct fields it sets to 0, with the fields its paths released before */
  countResets: CountReset[];
  /** its release calls and the mode of what they release, where known */
  releaseSites: ReleaseSite[];
  /** structs its field keys needed that neither the file nor the given StructTypes define */
  structsWanted?: string[];
}

/**
 * `fills`: how other files fill struct fields with pages (from their
 * FileAnalysis.fieldFills), so that a teardown here is judged by them.
 * `structs`: the definitions of structs the file names that headers define
 * (its own definitions win): field keys through their members.
 */
export function analyseSource(parser: Parser, text: string, given: CheckSettings = {}, external?: ExternalSummaries, cache?: AnalysisCache, fills?: FieldFill[], callers?: ArgMode[], structs?: StructTypes): FileAnalysis {
  const settings = { ...DEFAULT_SETTINGS, ...given };
  const empty: FileAnalysis = { findings: [], callSites: [], summaries: [], functions: 0, notes: [] };
  const tooBig = overSizeLimit(text.length, settings.maxFileSize);
  if (tooBig) {
    empty.notes.push(tooBig);
    return empty;
  }
  if (text.includes('\0')) {
    empty.notes.push('not analysed: the file holds NUL bytes (binary, not C)');
    return empty;
  }
  const parsed = cache?.incremental ? parseAgain(parser, text, cache.last) : undefined;
  if (cache?.last && cache.last.tree !== parsed?.tree) { cache.last.tree.delete(); cache.last = undefined; }
  const tree = parsed ? parsed.tree : parse(parser, text);
  if (!tree) {
    empty.notes.push('not analysed: the parser gave up on this file');
    return empty;
  }
  const done = memoiseNodes(tree);
  try {
    useStructTypes(tree, tree.rootNode.text, structs);
    return analyseTree(tree.rootNode, text, settings, external, cache, fills, callers);
  } finally {
    done();
    // an editor's document keeps its tree for the next, incremental, parse
    if (cache && parsed) cache.last = parsed; else tree.delete();
  }
}

function analyseTree(root: Node, text: string, settings: Required<Settings>, external?: ExternalSummaries, cache?: AnalysisCache, fills: FieldFill[] = [], callers: ArgMode[] = []): FileAnalysis {
  const kernel = settings.kernelVersion === 'auto' ? detectKernel(text, root) : settings.kernelVersion;
  // functions the build's configuration leaves out (#ifdef CONFIG_… around them) are not analysed
  const config = (settings as CheckSettings).config;
  const fns = config ? functionsOf(root).filter(f => compiledUnder(f.node, config)) : functionsOf(root);
  const local = new Set(fns.map(f => f.name));
  const out: FileAnalysis = { findings: [], callSites: [], summaries: [], functions: fns.length, notes: [] };
  if (root.hasError) {
    const errors = root.descendantsOfType('ERROR').length;
    if (errors) out.notes.push(`${errors} region(s) the C grammar could not parse (macros); functions around them are still analysed`);
  }
  const summaries = new Map<string, FunctionSummary>(external ?? []);
  const findings: Finding[] = [];
  const fieldStores: FunctionResult['fieldStores'] = [];
  const fieldReleases: FunctionResult['fieldReleases'] = [];
  const used = new Set<string>();
  const settingsKey = JSON.stringify(settings);
  const calleeMemo = new Map<FunctionDef, Set<string>>();
  const callees0 = (f: FunctionDef) => { let c = calleeMemo.get(f); if (!c) { c = calleesOf(f); calleeMemo.set(f, c); } return c; };
  // flag fields that say whether extracted pages were pinned, set here or in the files that fill our fields
  const flagNames = new Set([...flagNamesIn(text, WILL_PIN_PREDICATES), ...fills.flatMap(f => (f.flag ? [f.flag.key.slice(f.flag.key.lastIndexOf('.') + 1)] : []))]);
  const argModes: ArgMode[] = [];
  const releasedKeys = new Set<string>();
  const fieldFrees: FunctionResult['fieldFrees'] = [];
  const countResets: CountReset[] = [];
  const releaseSites: ReleaseSite[] = [];
  const structsWanted = new Set<string>();
  // one function's result, from the cache when nothing it depends on changed
  const run = (fn: FunctionDef, paramModes?: Map<number, ParamOrigin>): FunctionResult => {
    const body = fn.body.text;
    const callees = callees0(fn);
    const key = cache && [fn.node.text, fn.node.startPosition.column, kernel, settingsKey,
      JSON.stringify([...callees].filter(c => summaries.has(c) || local.has(c)).sort().map(c => [c, summaries.get(c)?.params ?? null, summaries.get(c)?.returnsField ?? null])),
      [...flagNames].filter(n => body.includes(n)).sort().join(','), paramModes ? JSON.stringify([...paramModes]) : '', structsKey(fn)].join('\u0000');
    const hit = key !== undefined ? cache?.get(key) : undefined;
    const notes = out.notes.length;
    let r: FunctionResult;
    if (hit) r = shifted(hit, fn.node.startPosition.row);
    else {
      const wanted = new Set<string>();
      collectWanted(root.tree, wanted);
      try { r = analyseFunction(fn, text, settings, kernel, summaries, local, flagNames, out, paramModes); } finally { collectWanted(root.tree, undefined); }
      if (wanted.size) r.structsWanted = [...wanted].sort();
    }
    for (const w of r.structsWanted ?? []) structsWanted.add(w);
    // (a function whose analysis failed with a note is not kept: a cached result would lose the note)
    if (key !== undefined && !hit && out.notes.length === notes) cache!.set(key, r);
    if (key !== undefined) used.add(key);
    return r;
  };
  const skipped: FunctionDef[] = [];
  const take = (fn: FunctionDef) => {
    const r = run(fn);
    if (r.summary) { summaries.set(fn.name, r.summary); out.summaries.push(r.summary); }
    findings.push(...r.findings);
    out.callSites.push(...r.callSites);
    fieldStores.push(...r.fieldStores);
    fieldReleases.push(...r.fieldReleases);
    argModes.push(...r.argModes);
    for (const k of r.releasedKeys) releasedKeys.add(k);
    fieldFrees.push(...r.fieldFrees);
    countResets.push(...r.countResets);
    releaseSites.push(...r.releaseSites);
  };
  for (const fn of bottomUp(fns, callees0)) {
    const interesting = mentionsPageApi(fn.body.text) || fn.params.some(p => PAGE_TYPE.test(p.type))
      || [...callees0(fn)].some(c => summaries.get(c)?.params.length);
    if (interesting) take(fn); else skipped.push(fn);
    // (an accessor of a parameter's page field: its callers' variables name that field)
    const acc = !summaries.has(fn.name) ? accessorOf(fn) : undefined;
    if (acc) { summaries.set(fn.name, acc); out.summaries.push(acc); }
  }
  // a function that names no page API but frees the array of a field that holds pages
  // (`vfree(map->pages)` in a teardown whose release went missing) is simulated too
  const held = new Set([...fieldStores.map(f => f.key), ...fills.map(f => f.key)].map(k => k.slice(k.lastIndexOf('.') + 1)));
  const frees = held.size ? new RegExp(`\\b(?:${[...CONTAINER_FREES].join('|')})\\s*\\(\\s*[\\w>.-]*->(?:${[...held].join('|')})\\s*\\)`) : undefined;
  // and one that sets to 0 the count of such a field (`batch->nr_pages = 0` in a put whose release went missing)
  const counts = countsOfPageFields(text, held);
  const resets = counts.size ? new RegExp(`->\\s*(?:${[...counts.keys()].join('|')})\\s*=\\s*0\\s*;`) : undefined;
  for (const fn of skipped) if (frees?.test(fn.body.text) || resets?.test(fn.body.text)) take(fn);
  // top-down: a function that releases pages its callers pass in, all of one
  // mode, is judged again with that mode; what it does wrong is its own
  // finding, and the callers' findings through its summary give way to it
  // (a helper that hands its parameter on to another passes the mode down:
  // a few rounds, each with what the last one learned)
  const judged = new Map<string, string>();
  const storesBy = new Map<string, FunctionResult['fieldStores']>();
  for (let round = 0; round < 3; round++) {
    // (the page APIs' own implementations — mm/gup.c, mm/swap.c — are not judged by their callers)
    const origins = paramOrigins([...argModes.filter(a => local.has(a.callee)), ...callers].filter(a => !API_NAMES.has(a.callee)));
    let changed = false;
    for (const fn of fns) {
      const modes = origins.get(fn.name);
      const sum = summaries.get(fn.name);
      const uses = sum?.params.some(e => modes?.has(e.index) && (e.effect === 'releases' || e.effect === 'takes'));
      if (!modes || !uses || judged.get(fn.name) === JSON.stringify([...modes])) continue;
      judged.set(fn.name, JSON.stringify([...modes]));
      changed = true;
      const r = run(fn, modes);
      const own = new Set(r.findings.filter(f => f.code === 'mismatched-release' || f.code === 'double-release').map(f => f.code));
      findings.splice(0, findings.length, ...findings.filter(f => f.function !== fn.name && !(f.helper === fn.name && own.has(f.code))), ...r.findings);
      // what it passes on and stores now has a mode too
      argModes.splice(0, argModes.length, ...argModes.filter(a => a.function !== fn.name), ...r.argModes);
      storesBy.set(fn.name, r.fieldStores);
      releaseSites.splice(0, releaseSites.length, ...releaseSites.filter(x => x.function !== fn.name), ...r.releaseSites);
    }
    if (!changed) break;
  }
  for (const [name, stores] of storesBy) fieldStores.splice(0, fieldStores.length, ...fieldStores.filter(f => f.fn !== name), ...stores);
  out.argModes = argModes.filter(a => !local.has(a.callee) && a.mode !== 'UNKNOWN');
  // a release of a struct field's pages is judged by how the field is filled
  // (in this file, or — given fills — in others), whether the function is a
  // teardown reached through an ops table or callback or a helper called by name
  const called = new Set<string>();
  for (const f of fns) for (const c of callees0(f)) if (c !== f.name) called.add(c);
  const ownFills: FieldFill[] = fieldStores.map(f => ({ key: f.key, mode: f.mode, api: f.api, function: f.fn, range: f.range, ...(f.flag ? { flag: f.flag } : {}), ...(f.sg ? { sg: true } : {}), ...(f.via ? { via: f.via } : {}) }));
  // (a field the filling function's pages also went from to an owner — an sg table, an skb, a bio —
  // is scratch space: `pages = cmd->upages; iov_iter_get_pages2(…, pages, …); sg_set_page(…, pages[i], …)`)
  // (an sg table only where the file releases pages through its entries: `put_page(sg_page(sg))`;
  // sg_free_table() frees the entries, not the pages)
  const owners = SG_ENTRY_RELEASE.test(text) ? /^given to the (sg table|skb|bio_vec)\b|\bbio\b/ : /^given to the (skb|bio_vec)\b|\bbio\b/;
  const scratch = new Set(fieldStores.filter(fs => out.callSites.some(c => c.function === fs.fn
    && c.handoffs.some(h => owners.test(h.kind)))).map(fs => fs.key));
  // the checkers' file-level hooks: what becomes of the pages the fields hold, then each
  // teardown's release of a field judged by how the field was filled
  const fx: FieldContext = { text, fns, ownFills, fills: [...ownFills, ...fills], released: releasedKeys, frees: fieldFrees, resets: countResets, counts, scratch, keptOnSuccess: keptOnSuccess(out.summaries, fns) };
  for (const c of CHECKERS) if (c.onFileEnd) findings.push(...c.onFileEnd(fx).map(withSeverity));
  // a helper the file calls by name is judged by its field too: its callers hold no page set
  // for the field (filled in another function); where one did, the finding at that call gives way
  // (a bio's bvecs only in completions: a helper called by name walks the bio its caller has, filled any way)
  const byField: Finding[] = [];
  for (const r of fieldReleases.filter(r => r.key !== BVEC_KEY || !called.has(r.fn))) {
    // (a release written through an outer struct, `ra->ap.pages`: only the fills through that outer struct, outerKey())
    const by = judgedFills(r.via ? fx.fills.filter(f => f.via === r.via) : fx.fills, r.key);
    if (!by) continue;
    for (const c of CHECKERS) { const d = c.onFieldRelease?.(fx, r, by); if (d) byField.push(withSeverity(d)); }
  }
  // (a release the function's own simulation already reported with that code, by the acquire it saw, is not reported twice)
  const at = (f: Finding) => `${f.code}\u0000${f.range.start.line}:${f.range.start.character}`;
  const simulated = new Set(findings.filter(f => !f.helper).map(at));
  const ownField = byField.filter(f => !simulated.has(at(f)));
  const fieldJudged = new Set(ownField.map(f => `${f.function}\u0000${f.code}`));
  findings.splice(0, findings.length, ...findings.filter(f => !(f.helper && fieldJudged.has(`${f.helper}\u0000${f.code}`))), ...ownField);
  // where stored pages are released later, and how callbacks are reached
  let installed: ReturnType<typeof installedCallbacks> | undefined;
  const explained = explainOwnership(out.callSites, findings, fieldStores, fieldReleases, () => (installed ??= installedCallbacks(root, local)), called,
    new Map(fns.map(f => [f.name, rangeOf(f.node)])));
  out.callSites = explained.callSites;
  findings.splice(0, findings.length, ...explained.findings);
  // (a bio's pages are judged within the file: every bio of the tree has the same type)
  out.fieldFills = ownFills.filter(f => f.key !== BVEC_KEY);
  const allFills = [...ownFills, ...fills];
  out.fieldReleases = fieldReleases.map(r => ({ range: r.range, function: r.fn, api: r.api, field: r.field, key: r.key, fills: allFills.filter(f => f.key === r.key) }))
    .filter(r => r.fills.length);
  out.releaseSites = withFieldModes(releaseSites, out.fieldReleases);
  // structs a key needed that the file does not define: the index looks them up in its headers
  const wanted = [...new Set([...structsWanted, ...wantedStructs(root.tree)])].sort();
  if (wanted.length) out.structsWanted = wanted;
  out.openFieldReleases = [...new Set(fieldReleases.filter(r => r.key !== BVEC_KEY && !ownFills.some(f => f.key === r.key)).map(r => r.key))];
  // forget functions that no longer exist, so the cache follows the document
  if (cache && !cache.shared) for (const k of [...cache.keys()]) if (!used.has(k)) cache.delete(k);
  // the reporting settings, applied once to every finding of the file
  out.findings = applySettings(findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character), settings);
  return out;
}

/** Release sites of struct fields take the mode of the field's fills (this file's and, given them, other files'). */
function withFieldModes(sites: ReleaseSite[], fieldReleases: FieldReleaseInfo[]): ReleaseSite[] {
  const at = (r: { range: Range }) => `${r.range.start.line}:${r.range.start.character}`;
  const byAt = new Map(fieldReleases.map(r => [at(r), r]));
  return sites.map(s => {
    const f = s.provenance === 'unknown' ? byAt.get(at(s)) : undefined;
    if (!f) return s;
    return { ...s, modes: [...new Set(f.fills.map(x => x.mode))].sort(), provenance: 'field' as const, from: [...new Set(f.fills.map(x => x.api))].sort() };
  }).sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

/**
 * For each function, the parameters whose pages have one mode (PIN or GET) at
 * every call that passes pages of a known mode, and the words that say where
 * the callers took them.
 */
function paramOrigins(calls: ArgMode[]): Map<string, Map<number, ParamOrigin>> {
  const by = new Map<string, ArgMode[]>();
  for (const c of calls) {
    const k = `${c.callee}\u0000${c.index}`;
    by.set(k, [...(by.get(k) ?? []), c]);
  }
  const out = new Map<string, Map<number, ParamOrigin>>();
  for (const list of by.values()) {
    const modes = new Set(list.map(c => c.mode));
    // one mode at every call (a call that passes anything else — UNKNOWN — leaves the parameter unjudged);
    // extracted pages, pinned on some paths and bare on others as the iterator is, are EXTRACT
    const extracted = list.every(c => c.mode === 'PIN' || c.mode === 'NONE' || c.mode === 'EXTRACT') && list.every(c => ACQUIRE_BY_NAME.get(c.api)?.mode === 'EXTRACT') && !(modes.size === 1 && modes.has('PIN'));
    const mode: Mode = extracted ? 'EXTRACT' : [...modes][0];
    if (!extracted && (modes.size !== 1 || (mode !== 'PIN' && mode !== 'GET'))) continue;
    const where = (c: ArgMode) => `${c.function}() (${c.file ? `${c.file}:` : 'line '}${c.range.start.line + 1})`;
    const seen = [...new Map(list.map(c => [where(c), c])).values()];
    const apis = [...new Set(seen.map(c => c.api))];
    const text = `${apis.map(a => `${a}()`).join(' or ')} in ${seen.length === 1 ? 'its caller' : 'its callers'} ${seen.slice(0, 3).map(where).join(', ')}${seen.length > 3 ? ` and ${seen.length - 3} more` : ''}`;
    const m = out.get(list[0].callee) ?? new Map<number, ParamOrigin>();
    m.set(list[0].index, { mode, api: apis[0], text });
    out.set(list[0].callee, m);
  }
  return out;
}

/** Simulates one function: its findings, call sites and summary. */
function analyseFunction(fn: FunctionDef, text: string, settings: Required<Settings>, kernel: '6.1' | '6.12',
  summaries: Map<string, FunctionSummary>, local: Set<string>, flagNames: Set<string>, out: FileAnalysis, paramModes?: Map<number, ParamOrigin>): FunctionResult {
  const result: FunctionResult = { line: fn.node.startPosition.row, findings: [], callSites: [], fieldStores: [], fieldReleases: [], argModes: [], releasedKeys: [], fieldFrees: [], countResets: [], releaseSites: [] };
  const seen = new Map<string, Finding>();
  {
    let res: SimResult;
    const graph = buildCfg(fn.body, (settings as CheckSettings).config);
    const locals = localsOf(fn.body);
    const released = releasedHolders(fn);
    const params = new Set(fn.params.map(p => p.name));
    const cx: CheckContext = {
      fn, sites: [], kernel, text,
      isCallerOwned: (holder: string) => {
        const r = rootOf(holder);
        return params.has(r) || holder.includes('->') || holder.includes('.') || !locals.has(r);
      },
      releasesHere: (holder: string) => released.has(holder),
      report: (st: State, r: Report) => addFinding(seen, settings, cx, st, r),
    };
    try {
      res = simulate(fn, graph, { pathBudget: settings.pathBudget, summaries, checkers: CHECKERS, cx, local, flagNames, paramModes });
    } catch (e) {
      out.notes.push(`${fn.name}: not analysed (${e instanceof Error ? e.message : String(e)})`);
      return result;
    }
    if (res.incomplete || graph.truncated) {
      addIncomplete(seen, settings, fn, res.incomplete ?? 'the function is too large for the CFG limit');
    }
    const rp = res.returnsPages;
    result.summary = summarize(fn, res.effects, rp && rp.modes.size === 1 ? { mode: [...rp.modes][0], api: [...rp.apis].join('/') } : undefined);
    result.releaseSites = [...res.releaseModes.values()].map(r => {
      // a path that knew the mode outweighs one that did not (a guard the simulation could not tie to the pages)
      const how = [...r.how].find(h => h !== 'unknown') ?? 'unknown';
      return { range: rangeOf(r.node), function: fn.name, api: r.api, ...(r.via ? { via: r.via } : {}), modes: [...r.modes].sort(), provenance: how, from: [...r.from].sort() };
    });
    result.argModes = res.argCalls.map(c => ({ callee: c.callee, index: c.index, mode: c.mode, api: c.api, function: fn.name, range: rangeOf(c.acquire), call: rangeOf(c.call) }));
    for (const f of res.fieldStores) {
      const key = fieldKey(fn, f.field);
      const flag = f.mode === 'EXTRACT' ? flagOf(fn, f, res.flagStores) : undefined;
      const via = key ? outerKey(fn, f.field) : undefined;
      if (key) result.fieldStores.push({ key, ...(via ? { via } : {}), field: f.field, mode: f.mode, api: f.api, range: rangeOf(f.node), fn: fn.name, ...(flag ? { flag } : {}), ...(f.sg ? { sg: true } : {}) });
    }
    for (const r of res.fieldFrees) {
      const key = fieldKey(fn, r.field);
      const ownFill = res.fieldStores.some(x => fieldKey(fn, x.field) === key);
      if (key) result.fieldFrees.push({ key, field: r.field, api: r.api, range: rangeOf(r.node), fn: fn.name, ownFill, releasedBelow: r.releasedBelow });
    }
    for (const r of res.countResets.values()) {
      const key = fieldKey(fn, r.count);
      if (key) result.countResets.push({ key, count: r.count, range: rangeOf(r.node), offset: r.node.startIndex - fn.body.startIndex, fn: fn.name, released: [...r.released].map(h => fieldKey(fn, h)).filter((k): k is string => !!k) });
    }
    for (const r of res.fieldReleases) {
      const key = fieldKey(fn, r.field);
      if (key) result.releasedKeys.push(key);
      // (`a->b->c`: the struct b points to is known only where this file defines a's struct)
      const via = /^&?([A-Za-z_]\w*->\w+)->/.exec(r.field.replace(/\s+/g, ''))?.[1];
      const twice = !key ? ambiguousVia(fn, r.field) : undefined;
      const unknown = twice ? `struct ${twice} is defined more than once in the tree, differently, so the type of its member is not resolved`
        : via ? `the struct that ${via} points to is not defined in this file or the headers it includes` : `the struct type of ${rootOf(r.field)} is not written in ${fn.name}() (a typedef, a global, or a field of another struct)`;
      if (!key && !r.viaHelper) addUnjudged(seen, settings, fn, r.node, `${r.api}() releases ${r.field}, but ${unknown}: how the field was filled is not looked up and this release is not judged`);
      const pagesArg = !r.viaHelper ? callArgs(r.node)[RELEASE_BY_NAME.get(r.api)?.pagesArg ?? -1] : undefined;
      const again = pagesArg ? sameSlotJustBefore(r.node, pagesArg.text) : undefined;
      const outer = key && !r.viaHelper ? outerKey(fn, r.field) : undefined;
      if (key && !r.viaHelper) result.fieldReleases.push({ key, ...(outer ? { via: outer } : {}), field: r.field, family: r.family, api: r.api, range: rangeOf(r.node), callee: r.node.childForFieldName('function') ? rangeOf(r.node.childForFieldName('function')!) : undefined, fn: fn.name, guards: guardKeys(fn, r.guards), ...(again ? { again: rangeOf(again) } : {}) });
    }
    for (const site of res.sites) {
      if (site.id < 0) continue;
      const o = res.outcomes.get(site.id);
      const releases = [...(o?.releases.values() ?? [])];
      result.callSites.push({
        range: rangeOf(site.call), function: fn.name, api: site.api.name, mode: site.mode, modeReason: site.modeReason,
        holder: site.holder,
        releases: releases.map(r => ({ range: rangeOf(r.node), api: r.api, viaHelper: r.viaHelper })),
        handoffs: [...(o?.handoffs.values() ?? [])].map(h => ({ range: rangeOf(h.node), kind: h.kind, note: h.kind })),
        paths: { total: o?.total ?? 0, released: o?.released ?? 0, handedOff: o?.handedOff ?? 0, leaked: o?.leaked ?? 0, failed: o?.failed ?? 0 },
        trace: trailSteps(res.traces.get(site.id) ?? null),
      });
      // fixes that need every release of the site
      for (const f of seen.values()) {
        if (f.function !== fn.name || !f.acquire || f.acquire.range.start.line !== site.call.startPosition.row) continue;
        if (f.code === 'should-pin' || (f.code === 'mismatched-release' && site.mode === 'GET')) {
          const conv = convertToPinFix(site.call, releases.filter(r => !r.viaHelper).map(r => r.node));
          if (conv && !f.fixes.some(x => x.title === conv.title)) f.fixes.push(conv);
        }
      }
    }
  }
  result.findings = [...seen.values()];
  return result;
}

/** Holders the function releases directly somewhere (`unpin_user_pages(dma->map, n)`). */
function releasedHolders(fn: FunctionDef): Set<string> {
  const out = new Set<string>();
  for (const c of fn.body.descendantsOfType('call_expression')) {
    const name = c ? calleeName(c) : undefined;
    const rel = name ? RELEASE_BY_NAME.get(name) : undefined;
    const a = rel && c ? callArgs(c)[rel.pagesArg] : undefined;
    if (a) out.add(holderText(a).text);
  }
  return out;
}

/** A cached function result moved to where the function now starts. */
function shifted(r: FunctionResult, line: number): FunctionResult {
  const d = line - r.line;
  if (d === 0) return r;
  const mv = <T extends { range: Range }>(x: T): T => ({ ...x, range: { start: { ...x.range.start, line: x.range.start.line + d }, end: { ...x.range.end, line: x.range.end.line + d } } });
  // the lines a message cites ("pinned by … (line 42)") are data: those of the function move with it
  const moved = (c: CitedText): CitedText => ({ text: c.text, lines: c.lines.map(l => (l >= r.line ? l + d : l)) });
  return {
    line,
    findings: r.findings.map(f => ({
      ...mv(f),
      ...(f.cited ? { message: renderCited(moved(f.cited)), cited: moved(f.cited) } : {}),
      ...(f.acquire ? { acquire: mv(f.acquire) } : {}),
      path: f.path.map(mv),
      fixes: f.fixes.map(x => ({ ...x, edits: x.edits.map(mv) })),
    })),
    callSites: r.callSites.map(c => ({ ...mv(c), releases: c.releases.map(mv), handoffs: c.handoffs.map(mv), trace: c.trace.map(mv) })),
    summary: r.summary && mv(r.summary),
    fieldStores: r.fieldStores.map(x => ({ ...mv(x), ...(x.flag ? { flag: mv(x.flag) } : {}) })),
    fieldReleases: r.fieldReleases.map(x => ({ ...mv(x), callee: x.callee && mv({ range: x.callee }).range, ...(x.again ? { again: mv({ range: x.again }).range } : {}) })),
    argModes: r.argModes.map(x => ({ ...mv(x), call: mv({ range: x.call }).range })),
    releasedKeys: r.releasedKeys,
    fieldFrees: r.fieldFrees.map(mv),
    countResets: r.countResets.map(mv),
    releaseSites: r.releaseSites.map(mv),
  };
}

/** A checker's file-level finding with its code's default severity (the settings are applied once, when the file's analysis ends). */
const withSeverity = ({ code, ...rest }: FindingDraft): Finding => ({ code, severity: DEFAULT_SEVERITY[code], ...rest });

function addFinding(seen: Map<string, Finding>, settings: Required<Settings>, cx: CheckContext, st: State, r: Report): void {
  const key = `${r.code}:${r.node.startIndex}:${r.set?.site ?? ''}`;
  if (seen.has(key)) return;
  const fn = cx.fn;
  const s = r.set ? cx.sites.find(x => x.id === r.set!.site && x.id >= 0) : undefined;
  const site = s ? { range: rangeOf(s.call), api: s.api.name, mode: s.mode } : undefined;
  const path = trailSteps(st.trail);
  path.push({ range: rangeOf(r.node), note: r.step });
  seen.set(key, {
    code: r.code,
    severity: DEFAULT_SEVERITY[r.code],
    ...citedMessage(r.message),
    function: fn.name,
    range: rangeOf(r.node),
    acquire: site,
    path,
    counters: r.counters,
    helper: r.helper,
    fixes: r.fixes ?? [],
  });
}

/** An information note on what the model could not decide at `node` (never a guess). */
function addUnjudged(seen: Map<string, Finding>, settings: Required<Settings>, fn: FunctionDef, node: Node, message: string): void {
  const code: Code = 'analysis-incomplete';
  seen.set(`${code}:${node.startIndex}`, {
    code, severity: DEFAULT_SEVERITY[code], message, function: fn.name, range: rangeOf(node), path: [], fixes: [],
  });
}

function addIncomplete(seen: Map<string, Finding>, settings: Required<Settings>, fn: FunctionDef, why: string): void {
  const code: Code = 'analysis-incomplete';
  const name = fn.node.childForFieldName('declarator') ?? fn.node;
  seen.set(`${code}:${fn.node.startIndex}`, {
    code, severity: DEFAULT_SEVERITY[code],
    message: `${fn.name}(): ${why}; findings for this function may be missing (raise pinlens.pathBudget to explore further)`,
    function: fn.name, range: rangeOf(name), path: [], fixes: [],
  });
}

/** Names called in the body (from the text: a tree walk per function costs more). */
function calleesOf(fn: FunctionDef): Set<string> {
  const out = new Set<string>();
  for (const m of fn.body.text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) out.add(m[1]);
  return out;
}

/** Callees before callers; functions in a cycle in file order. */
function bottomUp(fns: FunctionDef[], calleesOf: (f: FunctionDef) => Set<string>): FunctionDef[] {
  const byName = new Map(fns.map(f => [f.name, f]));
  const order: FunctionDef[] = [];
  const state = new Map<FunctionDef, number>();
  const visit = (f: FunctionDef, depth: number) => {
    if (state.has(f)) return;
    state.set(f, 1);
    if (depth < 64) for (const c of calleesOf(f)) { const g = byName.get(c); if (g && g !== f) visit(g, depth + 1); }
    order.push(f);
  };
  for (const f of fns) visit(f, 0);
  return order;
}

/**
 * A function that returns pages or folios and, on every return but NULL or an
 * error pointer, a field of one of its parameters (`return dio->pages[sdio->head];`,
 * `return (struct page **)(vec->ptrs);`): what its caller's variable names.
 */
function accessorOf(fn: FunctionDef): FunctionSummary | undefined {
  const head = fn.node.text.slice(0, Math.max(0, fn.body.startIndex - fn.node.startIndex));
  const at = head.search(new RegExp(`\\b${fn.name}\\s*\\(`));
  if (at < 0 || !PAGE_TYPE.test(head.slice(0, at))) return undefined;
  let found: FunctionSummary['returnsField'];
  for (const r of fn.body.descendantsOfType('return_statement')) {
    const e = r?.namedChildren[0];
    if (!e) return undefined;
    const x = strip(e);
    if (isNullLiteral(x) || (x.type === 'call_expression' && /^ERR_(PTR|CAST)$/.test(calleeName(x) ?? ''))) continue;
    const h = holderText(x);
    const m = /^([A-Za-z_]\w*)->([\w.>-]+)$/.exec(h.text);
    const index = m ? fn.params.findIndex(p => p.name === m[1]) : -1;
    if (!m || index < 0 || (x.type === 'pointer_expression' && !h.element)) return undefined;
    const cur = { index, path: m[2], element: h.element };
    if (found && JSON.stringify(found) !== JSON.stringify(cur)) return undefined;
    found = cur;
  }
  if (!found) return undefined;
  return { name: fn.name, range: rangeOf(fn.node.childForFieldName('declarator') ?? fn.node), params: [], returnsField: found,
    text: `${fn.name}(): returns ${found.element ? 'a page of ' : ''}${fn.params[found.index].name}->${found.path}` };
}

function summarize(fn: FunctionDef, all: ParamEffect[], returns?: FunctionSummary['returns']): FunctionSummary | undefined {
  // a helper that takes a reference and drops it again (get_page … put_page)
  // leaves its caller's pages as they were: neither effect is passed on
  const balanced = (e: ParamEffect) => all.some(o => o.index === e.index && o.name === e.name
    && ((e.effect === 'references' && o.effect === 'releases' && o.family === 'put') || (e.effect === 'releases' && e.family === 'put' && o.effect === 'references')));
  const effects = all.filter(e => !balanced(e));
  if (!effects.length && !returns) return undefined;
  const parts = effects.map(e => {
    const how = e.effect === 'releases' ? `releases ${e.name} with ${e.api ?? e.family}()`
      : e.effect === 'takes' ? `takes ${e.name}`
      : e.effect === 'references' ? `takes a reference on ${e.name}`
      : `acquires into ${e.name} with ${e.api}() (${e.mode})`;
    return `${how}${e.always ? '' : e.when === 'error' ? ' when it fails (returns non-zero)' : ' on some paths'}`;
  });
  if (returns) parts.push(`returns pages it acquired with ${returns.api}() (${returns.mode})`);
  return { name: fn.name, range: rangeOf(fn.node.childForFieldName('declarator') ?? fn.node), params: effects, ...(returns ? { returns } : {}), text: `${fn.name}(): ${parts.join('; ')}` };
}

export type { CallSite };
