// The --tree index: which file of a kernel tree defines which function, and
// the summaries of the helpers a checked file calls, computed by the core on
// the defining files (their own helpers first, to a bounded depth) and cached
// by content hash in memory and under the XDG cache folder.
//
// Lazily: nothing is read until the first summariesFor(). Then one byte-level
// scan of the tree's *.c files finds the definition lines (scan.ts). Only the
// callees of the checked file's page-handling functions are looked up; of
// their definitions only those that can matter for pages (they call the page
// APIs or take page/folio/bvec parameters, themselves or through the helpers
// they call) are analysed, and only as a slice: the function and the
// functions of its file it calls, the rest of the file dropped.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { ownString } from '../host/memory';
import { AnalysisCache, analyseSource, type ExternalSummaries } from '../core/analyse';
import { fieldHead } from '../core/fields';
import type { FileAnalysis } from '../core/types';
import { ACQUIRE_APIS, BVEC_KEY } from '../core/apis';
import { type ArgMode, type CheckSettings, DEFAULT_SETTINGS, type FieldFill, type FunctionSummary, type Settings, type StructTypes } from '../core/types';
import { HeaderStructs } from './structs';
import { configDigest } from './kconfig';
import { NAMES_API } from './select';
import {
  CACHE_FORMAT, CachedResult, DiskCache, FOLDER_FORMAT, FolderFacts, RESULT_FORMAT, ScanFileStore, buildFingerprint, defaultCacheDir,
  isCachedResult, isFolderFacts, isInside, isSummaryList, prepareCacheDir, readRegular,
} from './cache';
import { MAX_SCAN_BYTES, ScanOptions, ScanPart, ScanResult, definers, rescanFiles, scanTree } from './scan';
import { PAGE_API_WORDS as API_WORDS } from '../core/apis';
import { Definition, definitions } from './definitions';
import { CATALOG, RELEVANT_BODY, RELEVANT_PARAMS, calledNames, pageCallees } from './text';

export interface TreeIndexOptions {
  /** folder of the on-disk cache; null keeps summaries in memory only. Default: the XDG cache folder. */
  cacheDir?: string | null;
  /** helpers of helpers followed this deep (1: only the checked file's own callees). Default 2. */
  maxDepth?: number;
  /** a name defined (non-static) in more files than this is ambiguous: no summary. Default 3. */
  maxDefiners?: number;
  /** paths per helper function (at most the settings' pathBudget). Default 512. */
  helperPathBudget?: number;
  /** called before each analysis of a tree file (tests count them). */
  onAnalyse?: (abs: string, name: string) => void;
  /** a definition scan of this root done elsewhere (the CLI scans once for all its workers). */
  scan?: ScanResult;
  /** the scan lists (and classifies) the *.h files too: `pinlens check` selects among them. */
  scanHeaders?: boolean;
  /** a definition scan saved less than this many milliseconds ago is used unchecked (pinlens-kbuild). */
  trustScanFor?: number;
  /** characters of tree files' texts kept in memory (most recently used). Default MAX_TEXT_CACHE. */
  textCacheChars?: number;
}

export interface IndexStats {
  /** the definition scan: files, bytes, milliseconds (0 until the first need). */
  scannedFiles: number;
  scannedBytes: number;
  scanMs: number;
  /** slices of tree files (a function and its local helpers) parsed and simulated by the core. */
  analysed: number;
  memoryHits: number;
  diskHits: number;
  /** checked files whose analysis came from the disk cache. */
  resultHits: number;
  /** files whose definitions came from the previous run's scan (unchanged stamp). */
  reusedScan: number;
  /** cache files thrown away as corrupt or foreign (all caches). */
  discarded: number;
  /** names skipped because too many files define them. */
  ambiguous: number;
  /** why the disk cache was not used (a folder that cannot be made, a FIFO where an entry should be) */
  cacheSkipped?: string;
}

interface FileInfo {
  abs: string;
  text: string;
  sha: string;
  defs: Map<string, Definition>;
  slices?: Map<string, Slice>;
}

/** One function of a tree file with the functions of that file it calls: what gets analysed. */
interface Slice {
  abs: string;
  name: string;
  /** the definitions kept: the function and those of its file it calls */
  keep: Definition[];
  /** the file's text they are offsets of */
  full: string;
  /** the file's text with everything but `keep` dropped, line breaks kept (lines and columns stay); made when first analysed */
  text?: string;
  key: string;
  sha?: string;
  /** the names it calls that the file does not define. */
  calls: Set<string>;
  /** it mentions the page APIs or takes pages as parameters itself. */
  relevant: boolean;
  /** it names an acquire or release API (or a bio page flag) itself: only then, or through its helpers, can it acquire or release. */
  namesApi: boolean;
}

/** how many calls deep a slice follows the functions of its own file. */
const LOCAL_HOPS = 3;
const MAX_SLICE_CHARS = 64 * 1024;

const HELPER_PATH_BUDGET = 512;
const MAX_TEXT_CACHE = 48 * 1024 * 1024;
/**
 * Entries kept in memory per content-keyed map (summaries, fills, callers'
 * modes): an editor session keeps one index across its edits, and every
 * saved version of a helper adds entries; the oldest go first (the disk
 * cache still has the summaries and fills).
 */
const MAX_MEMO = 20_000;
/**
 * The per-function results kept across helper analyses: entries, the path
 * steps their findings and call sites carry, and the characters of their keys
 * (the function's text and its callees' summaries), in all. A check worker's
 * heap is bounded (80 MB): a step is a few hundred bytes, so about 5 MB of
 * results and 4 MB of keys at most. (Twice as many, 10 MB in each worker of
 * a whole-tree run, saved no CPU the runs on a loaded machine could tell
 * apart: the slices of one file are analysed close together.)
 */
const FUNCTION_CACHE = { entries: 1000, steps: 20_000, chars: 2_000_000 };

/** Sets a memo entry, dropping the oldest beyond MAX_MEMO. */
function remember<K, V>(m: Map<K, V>, k: K, v: V): void {
  m.set(k, v);
  if (m.size > MAX_MEMO) for (const old of m.keys()) { m.delete(old); if (m.size <= MAX_MEMO) break; }
}

function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter(k => (v as Record<string, unknown>)[k] !== undefined)
      .map(k => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Settings in a cache key: a configuration (thousands of options) by its digest. */
export function settingsJson(s: CheckSettings): string {
  return sortedJson(s.config ? { ...s, config: configDigest(s.config) } : s);
}

/** The summary's effect, without where it was found (equal effects from two files agree). */
const effectOf = (s: FunctionSummary | undefined) => (s ? sortedJson([s.params, s.returns ?? null, s.returnsField ?? null]) : '');

/** At most this many files outside the folder are analysed for one field's fills. */
const TREE_FILL_FILES = 8;

const ACQUIRE_RE = new RegExp(`\\b(${ACQUIRE_APIS.map(a => a.name).join('|')})\\s*\\(`);

/**
 * The cache folder for a tree: `dir` (default: the XDG cache folder), unless
 * it lies inside the tree — a tool must not write into the user's sources.
 */
export function usableCacheDir(absRoot: string, dir: string | null | undefined, note: (m: string) => void): string | undefined {
  const d = dir === undefined ? defaultCacheDir() : dir;
  if (!d) return undefined;
  if (isInside(d, absRoot)) { note(`cache ${d} is inside the tree: not used (results kept in memory)`); return undefined; }
  const bad = prepareCacheDir(d);
  if (bad) { note(`cache ${d} cannot be used (${bad}): results kept in memory`); return undefined; }
  return d;
}

/** The definition scan of a tree, remembered between runs in the cache folder when there is one. */
export function scanWithCache(absRoot: string, dir?: string | null, part?: ScanPart, opts: ScanOptions = {}): ScanResult {
  // (a cache inside the tree is noted by the TreeIndex that uses this scan)
  const d = usableCacheDir(absRoot, dir, () => undefined);
  const notes: string[] = [];
  const scan = scanTree(absRoot, d ? new ScanFileStore(path.join(d, 'scan'), m => notes.push(m)) : undefined, part, opts);
  scan.notes.push(...notes);
  return scan;
}

/** A cache key: this build, what is computed, and everything it is computed from. */
function cacheKey(kind: string, sha: string, settingsKey: string, external?: ExternalSummaries, fills: FieldFill[] = [], callers: ArgMode[] = [], structs?: StructTypes): string {
  const ext = external ? [...external].sort((a, b) => (a[0] < b[0] ? -1 : 1)) : [];
  const h = createHash('sha256').update(buildFingerprint()).update('\0').update(kind).update('\0').update(settingsKey).update('\0')
    .update(sha).update('\0').update(sortedJson(ext)).update('\0').update(sortedJson(fills));
  if (callers.length) h.update('\0').update(sortedJson(callers));
  if (structs && Object.keys(structs).length) h.update('\0structs\0').update(sortedJson(structs));
  return h.digest('hex');
}

/** The key of a checked file's analysis (TreeIndex.analysis()). */
function resultKey(text: string, settings: Settings, external: ExternalSummaries | undefined, fills: FieldFill[], callers: ArgMode[], structs?: StructTypes): string {
  return cacheKey(RESULT_FORMAT, createHash('sha256').update(text).digest('hex'), settingsJson(settings), external, fills, callers, structs);
}

/**
 * The disk cache of checked files' analyses, read only, without an index or
 * a parser (the CLI's main thread answers the files whose facts an earlier
 * run of the unchanged tree remembered): what TreeIndex.analysis() would
 * return from the cache for the same arguments, or undefined.
 */
export type ResultLookup = (text: string, settings: Settings, external: ExternalSummaries | undefined, fills: FieldFill[], callers: ArgMode[], structs?: StructTypes) => CachedResult | undefined;

export function resultLookup(root: string, note: (m: string) => void = () => undefined): ResultLookup | undefined {
  const dir = usableCacheDir(path.resolve(root), undefined, note);
  if (!dir) return undefined;
  const results = new DiskCache(path.join(dir, 'results'), RESULT_FORMAT, isCachedResult, note);
  return (text, settings, external, fills, callers, structs) => results.get(resultKey(text, settings, external, fills, callers, structs));
}

export class TreeIndex {
  readonly notes: string[] = [];
  private readonly counts: Omit<IndexStats, 'discarded'> = { scannedFiles: 0, scannedBytes: 0, scanMs: 0, analysed: 0, memoryHits: 0, diskHits: 0, resultHits: 0, reusedScan: 0, ambiguous: 0 };
  private scan?: ScanResult;
  private readonly disk?: DiskCache<FunctionSummary[]>;
  private readonly results?: DiskCache<CachedResult>;
  private readonly folderDisk?: DiskCache<FolderFacts>;
  private readonly maxDepth: number;
  private readonly maxDefiners: number;
  private readonly settingsKey: string;
  /** key → the file's summaries. */
  private readonly summaries = new Map<string, FunctionSummary[]>();
  /** texts read, most recent last, bounded by MAX_TEXT_CACHE characters (a view: its own). */
  private texts = new Map<string, FileInfo | null>();
  private textChars = 0;
  private relevance = new Map<string, boolean>();
  private apiRelevance = new Map<string, boolean>();
  /** name and calling folder → whether pageHelper() takes it */
  private helperMemo = new Map<string, boolean>();
  private resolved = new Map<string, FunctionSummary | null>();
  /** a view's files that differ from the disk (absolute path → text; undefined: deleted) and the index it views. */
  private files?: ReadonlyMap<string, string | undefined>;
  private base?: TreeIndex;
  /** content hash → the struct fields that file fills and the pages of known mode it passes to functions it does not define */
  private readonly folder = new Map<string, FolderFacts>();
  /** field head → the tree's C files that name it after `->` and an acquire API (built once, on the first look beyond a folder) */
  private fillHeads?: Map<string, string[]>;
  private readonly absRoot: string;
  private readonly helperSettings: Required<Settings> & CheckSettings;
  /** per-function results of the helper slices' and folder files' analyses (a view shares its index's) */
  private readonly functions = new AnalysisCache(false, FUNCTION_CACHE);
  /** struct definitions of the headers files include (a view: its own, made when first asked) */
  private headerStructs?: HeaderStructs;

  constructor(readonly root: string, readonly parser: Parser, readonly settings: CheckSettings, readonly opts: TreeIndexOptions = {}) {
    this.absRoot = path.resolve(root);
    this.maxDepth = opts.maxDepth ?? 2;
    this.maxDefiners = opts.maxDefiners ?? 3;
    const full = { ...DEFAULT_SETTINGS, ...settings };
    // helpers are summarised with a smaller path budget: a function that runs
    // out of it gets no summary (never a guessed one)
    this.helperSettings = { ...full, pathBudget: Math.min(full.pathBudget, opts.helperPathBudget ?? HELPER_PATH_BUDGET), disabledCodes: [] };
    this.settingsKey = settingsJson(this.helperSettings);
    const dir = usableCacheDir(this.absRoot, opts.cacheDir, m => this.notes.push(m));
    if (dir) {
      const note = (m: string) => this.notes.push(m);
      this.disk = new DiskCache(path.join(dir, 'summaries'), CACHE_FORMAT, isSummaryList, note);
      this.results = new DiskCache(path.join(dir, 'results'), RESULT_FORMAT, isCachedResult, note);
      this.folderDisk = new DiskCache(path.join(dir, 'folder'), FOLDER_FORMAT, isFolderFacts, note);
    }
  }

  /**
   * The tree with some files as given instead of as on disk (absolute path →
   * text; undefined: the file is gone): a patch's tree before or after it.
   * The view shares the definition scan and the summaries and fills cached by
   * content; what it read or resolved is its own. A function a given file
   * defines is found there even when the scan did not see it.
   */
  withFiles(files: ReadonlyMap<string, string | undefined>): TreeIndex {
    const v = Object.assign(Object.create(TreeIndex.prototype) as TreeIndex, this);
    v.texts = new Map();
    v.textChars = 0;
    v.relevance = new Map();
    v.apiRelevance = new Map();
    v.helperMemo = new Map();
    v.resolved = new Map();
    v.fillHeads = undefined;
    v.headerStructs = undefined;
    v.files = new Map([...this.files ?? [], ...[...files].map(([f, t]) => [path.resolve(f), t] as const)]);
    v.base = this.base ?? this;
    return v;
  }

  /** Summaries of functions defined elsewhere in the tree that `text` calls. */
  summariesFor(text: string, abs: string): ExternalSummaries | undefined {
    try {
      this.ensureScan();
      const own = definitions(text);
      const out: ExternalSummaries = new Map();
      const stack = new Set([path.resolve(abs)]);
      for (const name of pageCallees(text, own)) {
        const s = this.resolve(name, path.resolve(abs), 1, stack);
        if (s) out.set(name, s);
      }
      return out.size ? out : undefined;
    } catch (e) {
      // the index is an aid: a bug in it must not stop the check of the file
      this.notes.push(`index: ${abs}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  /**
   * A function `text` calls from a function that can hold pages (the only
   * ones summariesFor() looks up), defined elsewhere in the tree, whose
   * summary may acquire or release pages: its definition names an acquire or
   * release API, or calls a helper that does, as deep as summaries are
   * followed. Undefined when there is none: then no helper's summary can give
   * the file an acquire or a release. Text only: nothing is parsed.
   */
  pageHelper(text: string, abs: string): string | undefined {
    try {
      this.ensureScan();
      const from = path.resolve(abs);
      const dir = path.dirname(from);
      for (const name of pageCallees(text, definitions(text))) {
        const memo = `${name}\0${dir}`;
        let yes = this.helperMemo.get(memo);
        if (yes === undefined) {
          yes = this.definersOf(name, from).some(i => this.apiRelevant(this.sliceOf(i, name), 1));
          this.helperMemo.set(ownString(memo), yes);
        }
        if (yes) return name;
      }
      return undefined;
    } catch (e) {
      this.notes.push(`index: ${abs}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  /**
   * The definitions of the structs `wanted` (FileAnalysis.structsWanted) in
   * the headers `text`, the file `abs`, includes (structs.ts); {} when none.
   */
  structsFor(abs: string, text: string, wanted: string[] | undefined): StructTypes {
    if (!wanted?.length) return {};
    try {
      this.headerStructs ??= new HeaderStructs(this.absRoot, f => this.headerText(f));
      return this.headerStructs.structsFor(path.resolve(abs), text, wanted);
    } catch (e) {
      this.notes.push(`index: ${abs}: ${e instanceof Error ? e.message : String(e)}`);
      return {};
    }
  }

  /** A header's text as this index has the tree (a view: a patch's version), undefined when it is not there; no note. */
  private headerText(abs: string): string | undefined {
    if (this.files?.has(abs)) return this.files.get(abs);
    try {
      const buf = readRegular(abs);
      return buf.length > MAX_SCAN_BYTES || buf.subarray(0, 65536).includes(0) ? undefined : buf.toString('latin1');
    } catch {
      return undefined;
    }
  }

  /** The definition scan (done now if it was not yet). */
  scanned(): ScanResult {
    return this.ensureScan();
  }

  /**
   * How the other C files of the same folder fill the given struct fields
   * (`struct foo.pages`), for teardowns checked in `abs`: a field filled with
   * pinned pages in foo_main.c and put in foo_release.c is a mismatch. Only
   * files that name one of the fields and an acquire API are analysed.
   */
  fieldFillsFor(abs: string, keys: string[]): FieldFill[] {
    if (!keys.length) return [];
    const out: FieldFill[] = [];
    try {
      const dir = path.dirname(path.resolve(abs));
      const fields = [...new Set(keys.map(fieldHead))];
      // (`->pages`, or through an embedded struct, `rm->atomic.op_sg`)
      const mention = new RegExp(`(?:->|[\\w\\]]\\.)\\s*(${fields.join('|')})\\b`);
      for (const file of this.folderFiles(dir)) {
        const name = path.basename(file);
        if (file === path.resolve(abs)) continue;
        const info = this.info(file);
        if (!info || !mention.test(info.text) || !ACQUIRE_RE.test(info.text)) continue;
        const { fieldFills: fills } = this.folderFacts(info, file);
        const rel = path.relative(this.absRoot, file) || name;
        for (const f of fills) if (keys.includes(f.key)) out.push({ ...f, file: rel });
      }
      // beyond the folder: a struct no file of the folder fills, declared in a header
      const found = new Set(out.map(f => f.key));
      out.push(...this.treeFills(abs, keys.filter(k => !found.has(k) && k !== BVEC_KEY)));
    } catch (e) {
      this.notes.push(`index: ${abs}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return out;
  }

  /**
   * How C files of other folders fill struct fields that no file of the
   * checked file's folder fills: `struct foo` declared in a header (neither
   * the checked file nor the filling one defines it) is the same struct in
   * every file that includes it. Candidates are the files that name the
   * field after `->`, the struct, and an acquire API; a field that more than
   * TREE_FILL_FILES files may fill is left unjudged (a note says so).
   */
  private treeFills(abs: string, keys: string[]): FieldFill[] {
    if (!keys.length) return [];
    const file0 = path.resolve(abs);
    const dir = path.dirname(file0);
    const own = this.info(file0)?.text ?? '';
    const out: FieldFill[] = [];
    for (const key of keys) {
      const struct = /^struct (\w+)\./.exec(key)?.[1];
      if (!struct) continue;
      const named = new RegExp(`\\bstruct\\s+${struct}\\b`), defined = new RegExp(`\\bstruct\\s+${struct}\\s*\\{`);
      if (defined.test(own)) continue;
      const files = (this.fieldHeads().get(fieldHead(key)) ?? []).filter(f => path.dirname(f) !== dir)
        .map(f => this.info(f)).filter((i): i is FileInfo => !!i && named.test(i.text) && !defined.test(i.text));
      if (files.length > TREE_FILL_FILES) {
        this.notes.push(`index: ${key}: ${files.length} files outside ${path.relative(this.absRoot, dir) || '.'} may fill it; not looked at (more than ${TREE_FILL_FILES})`);
        continue;
      }
      for (const info of files) {
        const rel = path.relative(this.absRoot, info.abs) || path.basename(info.abs);
        for (const f of this.folderFacts(info, info.abs).fieldFills) if (f.key === key) out.push({ ...f, file: rel });
      }
    }
    return out;
  }

  /**
   * The field heads named after `->` in the tree's C files that name a page
   * API and an acquire (the scan's classes), with those files, sorted. A view
   * (a patch's side) takes its index's map and reads only its own files again.
   */
  private fieldHeads(): Map<string, string[]> {
    if (this.fillHeads) return this.fillHeads;
    const heads = new Map<string, string[]>();
    const add = (f: string) => this.addHeads(heads, f);
    if (this.base) {
      const own = new Set(this.files?.keys() ?? []);
      for (const [h, fs] of this.base.fieldHeads()) {
        const kept = fs.filter(f => !own.has(f));
        if (kept.length) heads.set(h, kept);
      }
      for (const [f, t] of this.files ?? []) if (f.endsWith('.c') && t !== undefined) add(f);
      for (const l of heads.values()) l.sort();
    } else {
      const scan = this.ensureScan();
      const files: string[] = [];
      scan.files.forEach((f, i) => { if ((scan.classes[i] & NAMES_API) && f.endsWith('.c')) files.push(f); });
      for (const f of files.sort()) add(f);
    }
    return (this.fillHeads = heads);
  }

  /** The field heads `f` names, if it names an acquire API, added to `heads` with it. */
  private addHeads(heads: Map<string, string[]>, f: string): void {
    const info = this.info(f);
    if (!info || !ACQUIRE_RE.test(info.text)) return;
    // (a member after `->`, or after `x.` / `x[i].`: `rm->atomic.op_sg`; not a designated initializer's `.pages =`)
    for (const h of new Set([...info.text.matchAll(/(?:->|[\w\]]\.)\s*([A-Za-z_]\w*)/g)].map(m => m[1]))) {
      const l = heads.get(h);
      // (a name matched in the text would keep the whole text alive, long after the text cache let it go)
      if (l) l.push(f); else heads.set(ownString(h), [f]);
    }
  }

  /**
   * The pages of a known mode that the other C files of the same folder pass
   * to the given functions of `abs` (its functions that take pages and
   * release them): `xb_unpin(pages, n)` after a pin_user_pages_fast() in
   * xb_main.c judges xb_unpin()'s put_page() in xb_lib.c. Only files that
   * call one of them and name an acquire API are analysed.
   */
  callersFor(abs: string, names: string[]): ArgMode[] {
    if (!names.length) return [];
    const out: ArgMode[] = [];
    try {
      const dir = path.dirname(path.resolve(abs));
      const call = new RegExp(`\\b(${names.join('|')})\\s*\\(`);
      for (const file of this.folderFiles(dir)) {
        if (file === path.resolve(abs)) continue;
        const info = this.info(file);
        if (!info || !call.test(info.text) || !ACQUIRE_RE.test(info.text)) continue;
        const { argModes: passes } = this.folderFacts(info, file);
        const rel = path.relative(this.absRoot, file) || path.basename(file);
        for (const a of passes) if (names.includes(a.callee)) out.push({ ...a, file: rel });
      }
    } catch (e) {
      this.notes.push(`index: ${abs}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return out;
  }

  /**
   * What another file of a folder tells fieldFillsFor() and callersFor(): the
   * struct fields it fills and the pages of known mode it passes on, from one
   * analysis (with its helpers' summaries), kept in memory by content and on
   * disk under everything it was computed from.
   */
  private folderFacts(info: FileInfo, file: string): FolderFacts {
    let facts = this.folder.get(info.sha);
    if (!facts) {
      const external = this.summariesFor(info.text, file);
      const key = this.keyOf(FOLDER_FORMAT, info.sha, this.settingsKey, external);
      facts = this.folderDisk?.get(key);
      // (kept with the header definitions its keys were made with: a header changed since, and it is made again)
      if (facts?.wanted && sortedJson(this.structsFor(file, info.text, facts.wanted)) !== sortedJson(facts.structs ?? {})) facts = undefined;
      if (!facts) {
        let a = analyseSource(this.parser, info.text, this.helperSettings, external, this.functions);
        const wanted = a.structsWanted;
        const structs = this.structsFor(file, info.text, wanted);
        if (Object.keys(structs).length) a = analyseSource(this.parser, info.text, this.helperSettings, external, this.functions, undefined, undefined, structs);
        facts = { fieldFills: a.fieldFills ?? [], argModes: a.argModes ?? [], ...(wanted?.length ? { wanted, structs } : {}) };
        this.folderDisk?.put(key, facts);
      }
      remember(this.folder, info.sha, facts);
    }
    return facts;
  }

  /** The C files of a folder (a view's files too), sorted. */
  private folderFiles(dir: string): string[] {
    const names = new Set(fs.readdirSync(dir));
    for (const f of this.files?.keys() ?? []) if (path.dirname(f) === dir) names.add(path.basename(f));
    return [...names].filter(n => n.endsWith('.c')).sort().map(n => path.join(dir, n));
  }

  /**
   * The analysis of a checked file, from the disk cache when this build
   * analysed the same text with the same settings, helper summaries, field
   * fills and callers before; else `compute()`'s, stored. (The CLI's warm runs.)
   */
  analysis(text: string, settings: Settings, external: ExternalSummaries | undefined, fills: FieldFill[],
    compute: () => FileAnalysis, callers: ArgMode[] = [], structs?: StructTypes): CachedResult {
    const key = resultKey(text, settings, external, fills, callers, structs);
    const hit = this.results?.get(key);
    if (hit) { this.counts.resultHits++; return hit; }
    const a = compute();
    const r: CachedResult = { findings: a.findings, callSites: a.callSites, functions: a.functions, notes: a.notes,
      fieldFills: a.fieldFills ?? [], openFieldReleases: a.openFieldReleases ?? [], releaseSites: a.releaseSites ?? [],
      ...(a.structsWanted?.length ? { structsWanted: a.structsWanted } : {}) };
    this.results?.put(key, r);
    return r;
  }

  get stats(): IndexStats {
    const skipped = this.notes.find(n => /^(scan )?cache (not used:|\S+ cannot be used)/.test(n));
    return { ...this.counts, discarded: (this.disk?.discarded ?? 0) + (this.results?.discarded ?? 0) + (this.folderDisk?.discarded ?? 0), ...(skipped ? { cacheSkipped: skipped } : {}) };
  }

  /** A cache key: this build, what is computed, and everything it is computed from. */
  private keyOf(kind: string, sha: string, settingsKey: string, external?: ExternalSummaries, fills: FieldFill[] = [], callers: ArgMode[] = []): string {
    return cacheKey(kind, sha, settingsKey, external, fills, callers);
  }

  /**
   * Forget what was read from the tree (a file changed on disk, e.g. a helper
   * saved in the editor): texts and resolutions are redone on the next call;
   * summaries stay cached by content. `rescan` also redoes the definition scan
   * (files added, or definitions added or removed).
   */
  invalidate(opts: { rescan?: boolean } = {}): void {
    this.base?.invalidate(opts);
    this.texts.clear();
    this.textChars = 0;
    this.resolved.clear();
    this.relevance.clear();
    this.apiRelevance.clear();
    this.helperMemo.clear();
    this.headerStructs?.clear();
    if (opts.rescan) this.scan = undefined;
  }

  /**
   * Files of the tree changed, came or went (absolute paths): the definition
   * scan reads just those again (no listing of the tree) and what was read or
   * resolved is forgotten; summaries stay cached by content.
   */
  filesChanged(files: string[]): void {
    if (this.base) { this.base.filesChanged(files); return; }
    if (this.scan) this.scan = rescanFiles(this.scan, this.absRoot, files);
    this.invalidate();
    // the field heads each changed file names, read again (a file that now fills a field, or no longer does)
    const heads = this.fillHeads;
    if (heads) {
      const changed = new Set(files.map(f => path.resolve(f)));
      for (const [h, fs] of heads) {
        const kept = fs.filter(f => !changed.has(f));
        if (kept.length) heads.set(h, kept); else heads.delete(h);
      }
      for (const f of changed) if (f.endsWith('.c')) this.addHeads(heads, f);
      for (const l of heads.values()) l.sort();
    }
  }

  private ensureScan(): ScanResult {
    if (this.base) return (this.scan = this.base.ensureScan());
    if (!this.scan) {
      this.scan = this.opts.scan ?? scanWithCache(this.absRoot, this.opts.cacheDir, undefined, { headers: this.opts.scanHeaders, trustFor: this.opts.trustScanFor });
      this.notes.push(...this.scan.notes);
      Object.assign(this.counts, { scannedFiles: this.scan.files.length, scannedBytes: this.scan.bytes, scanMs: Math.round(this.scan.ms), reusedScan: this.scan.reused });
    }
    return this.scan;
  }

  /** The text of a tree file and the functions it defines; null when it cannot be read. */
  private info(abs: string): FileInfo | null {
    const hit = this.texts.get(abs);
    if (hit !== undefined) { this.texts.delete(abs); this.texts.set(abs, hit); return hit; }
    let info: FileInfo | null = null;
    const given = this.files?.has(abs) ? this.files.get(abs) : null;
    if (given !== null) {
      info = given === undefined ? null : { abs, text: given, sha: createHash('sha256').update(given).digest('hex'), defs: definitions(given) };
    } else try {
      const buf = readRegular(abs);
      if (buf.length > MAX_SCAN_BYTES) this.notes.push(`${abs}: not analysed by the index, ${buf.length} bytes is over ${MAX_SCAN_BYTES}`);
      else if (buf.subarray(0, 65536).includes(0)) this.notes.push(`${abs}: not analysed by the index, binary (NUL bytes)`);
      else {
        let text: string;
        try { text = new TextDecoder('utf-8', { fatal: true }).decode(buf); } catch { text = buf.toString('latin1'); }
        info = { abs, text, sha: createHash('sha256').update(buf).digest('hex'), defs: definitions(text) };
      }
    } catch (e) {
      this.notes.push(`${abs}: unreadable, not analysed by the index (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    this.texts.set(abs, info);
    this.textChars += info?.text.length ?? 0;
    for (const [k, v] of this.texts) {
      if (this.textChars <= (this.opts.textCacheChars ?? MAX_TEXT_CACHE)) break;
      this.texts.delete(k);
      this.textChars -= v?.text.length ?? 0;
    }
    return info;
  }

  /** The tree files that define `name` (non-static, not `from`), nearest first; [] when none or ambiguous. */
  private definersOf(name: string, from: string): FileInfo[] {
    const files = definers(this.ensureScan(), name).filter(f => f !== from);
    // a view's files: a definition the patch added is found too
    for (const f of this.files?.keys() ?? []) if (f.endsWith('.c') && f !== from && !files.includes(f) && this.info(f)?.defs.has(name)) files.push(f);
    if (files.length > this.maxDefiners) { this.counts.ambiguous++; return []; }
    const found = files.map(f => this.info(f)).filter((i): i is FileInfo => !!i && i.defs.has(name));
    const fromDir = path.dirname(from).split(path.sep);
    const near = (f: string) => {
      const d = path.dirname(f).split(path.sep);
      let n = 0;
      while (n < d.length && n < fromDir.length && d[n] === fromDir[n]) n++;
      return n;
    };
    const best = Math.max(...found.map(i => near(i.abs)));
    // the same folder first, then the same subsystem: only the nearest files count
    return found.filter(i => near(i.abs) === best);
  }

  /** The summary of `name` as called from `from`: agreed by its nearest definitions, else none. */
  private resolve(name: string, from: string, depth: number, stack: Set<string>): FunctionSummary | undefined {
    const memo = `${name}\0${path.dirname(from)}\0${depth}`;
    const known = this.resolved.get(memo);
    if (known !== undefined) return known ?? undefined;
    const slices = this.definersOf(name, from).map(i => this.sliceOf(i, name)).filter(sl => this.relevant(sl, depth));
    let out: FunctionSummary | undefined;
    let cyclic = false;
    if (slices.length) {
      const sums = slices.map(sl => {
        if (stack.has(sl.key)) { cyclic = true; return undefined; }
        return this.sliceSummaries(sl, depth, stack)?.find(s => s.name === name);
      });
      // definitions that disagree (arch or config variants) give no summary
      if (sums.every(s => effectOf(s) === effectOf(sums[0]))) out = sums[0];
    }
    // (kept as a string of its own: the key's pieces would stay with it)
    if (!cyclic) this.resolved.set(ownString(memo), out ?? null);
    return out;
  }

  /**
   * The definition of `name` and the functions of its file it calls (a few
   * hops deep), everything else of the file blanked: offsets, lines and so
   * the summaries' ranges stay those of the file, and the parse is small.
   */
  private sliceOf(info: FileInfo, name: string): Slice {
    let sl = info.slices?.get(name);
    if (sl) return sl;
    const keep: Definition[] = [];
    const calls = new Set<string>();
    let relevant = false, namesApi = false;
    const seen = new Set([name]);
    let level = [name], chars = 0;
    for (let hop = 0; level.length && hop <= LOCAL_HOPS; hop++) {
      const next: string[] = [];
      for (const n of level) {
        const d = info.defs.get(n)!;
        if (chars + d.end - d.start > MAX_SLICE_CHARS && keep.length) continue;
        chars += d.end - d.start;
        keep.push(d);
        const body = info.text.slice(d.start, d.end);
        if (RELEVANT_BODY.test(body) || RELEVANT_PARAMS.test(body.slice(0, body.indexOf('{')))) relevant = true;
        if (API_WORDS.test(body)) namesApi = true;
        for (const c of calledNames(body)) {
          if (seen.has(c) || CATALOG.has(c)) continue;
          seen.add(c);
          if (info.defs.has(c)) next.push(c);
          else calls.add(c);
        }
      }
      level = next;
    }
    keep.sort((x, y) => x.start - y.start);
    sl = { abs: info.abs, name, keep, full: info.text, key: `${info.abs}\0${name}`, calls, relevant, namesApi };
    (info.slices ??= new Map()).set(name, sl);
    return sl;
  }

  /** The slice's text and its hash, made on first need (only analysed slices need them). */
  private material(sl: Slice): { text: string; sha: string } {
    if (sl.text === undefined || sl.sha === undefined) {
      const full = sl.full;
      const parts: string[] = [];
      let at = 0;
      for (const d of sl.keep) {
        // a definition starts a line: keeping the gap's line breaks keeps every line and column
        parts.push(full.slice(at, d.start).replace(/[^\n]+/g, ''), full.slice(d.start, d.end));
        at = d.end;
      }
      sl.text = parts.join('');
      sl.sha = createHash('sha256').update(sl.text).digest('hex');
    }
    return { text: sl.text, sha: sl.sha };
  }

  /** Can this slice have an effect on pages, by itself or through the helpers it calls (depth permitting)? */
  private relevant(sl: Slice, depth: number): boolean {
    if (sl.relevant) return true;
    if (depth >= this.maxDepth) return false;
    const memo = `${sl.key}\0${depth}`;
    const known = this.relevance.get(memo);
    if (known !== undefined) return known;
    let yes = false;
    for (const c of sl.calls) {
      if (this.definersOf(c, sl.abs).some(i => this.relevant(this.sliceOf(i, c), depth + 1))) { yes = true; break; }
    }
    this.relevance.set(memo, yes);
    return yes;
  }

  /** Can this slice's summary acquire or release pages: it names the APIs, or calls a helper that does (depth permitting)? */
  private apiRelevant(sl: Slice, depth: number): boolean {
    if (sl.namesApi) return true;
    if (depth >= this.maxDepth) return false;
    const memo = `${sl.key}\0${depth}`;
    const known = this.apiRelevance.get(memo);
    if (known !== undefined) return known;
    let yes = false;
    for (const c of sl.calls) {
      if (this.definersOf(c, sl.abs).some(i => this.apiRelevant(this.sliceOf(i, c), depth + 1))) { yes = true; break; }
    }
    this.apiRelevance.set(memo, yes);
    return yes;
  }

  /** The summaries of a slice, analysed with the summaries of the helpers it calls (depth permitting). */
  private sliceSummaries(sl: Slice, depth: number, stack: Set<string>): FunctionSummary[] | undefined {
    const external: ExternalSummaries = new Map();
    if (depth < this.maxDepth) {
      stack.add(sl.key);
      for (const c of sl.calls) {
        const s = this.resolve(c, sl.abs, depth + 1, stack);
        if (s) external.set(c, s);
      }
      stack.delete(sl.key);
    }
    const { text, sha } = this.material(sl);
    const key = this.keyOf(CACHE_FORMAT, sha, this.settingsKey, external);
    const mem = this.summaries.get(key);
    if (mem) { this.counts.memoryHits++; return mem; }
    const disk = this.disk?.get(key);
    if (disk) { this.counts.diskHits++; remember(this.summaries, key, disk); return disk; }
    this.opts.onAnalyse?.(sl.abs, sl.name);
    this.counts.analysed++;
    let sums: FunctionSummary[];
    try {
      const a = analyseSource(this.parser, text, this.helperSettings, external.size ? external : undefined, this.functions);
      const incomplete = new Set(a.findings.filter(f => f.code === 'analysis-incomplete').map(f => f.function));
      sums = a.summaries.filter(x => !incomplete.has(x.name));
    } catch (e) {
      this.notes.push(`${sl.abs} ${sl.name}(): not summarised (${e instanceof Error ? e.message : String(e)})`);
      return undefined;
    }
    remember(this.summaries, key, sums);
    this.disk?.put(key, sums);
    return sums;
  }
}
