// The on-disk caches of the --tree index, under the XDG cache folder, never in
// the user's tree: helper summaries, checked files' results and struct-field
// fills, one JSON file per entry named by its key (sha256 of the pinlens
// build, the settings, the text and the summaries it was analysed with); and
// the definition scan, one file per tree, by file stamp. A file that does not
// parse, names another key or format, or holds anything malformed is deleted
// and the value computed again: the cache is never trusted.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { threadId } from 'worker_threads';
import { CODES, type ArgMode, type CallSite, type FieldFill, type Finding, type FunctionSummary, type ParamEffect, type ReleaseSite, type StructTypes } from '../core/types';
import pkg from '../../../package.json';
import type { ScanMemo, ScanStore } from './scan';

export const CACHE_FORMAT = 'pinlens-summaries/3';
export const RESULT_FORMAT = 'pinlens-results/3';
export const FOLDER_FORMAT = 'pinlens-folder/2';

/** `$XDG_CACHE_HOME/pinlens`, else `~/.cache/pinlens`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'pinlens');
}

/** Is `inner` the folder `outer` or inside it (after resolving links where they exist)? */
export function isInside(inner: string, outer: string): boolean {
  const real = (p: string) => {
    // the cache folder may not exist yet: resolve its nearest existing parent
    let cur = path.resolve(p), rest = '';
    for (;;) {
      try { return path.join(fs.realpathSync(cur), rest); } catch { /* climb */ }
      const up = path.dirname(cur);
      if (up === cur) return path.resolve(p);
      rest = path.join(path.basename(cur), rest);
      cur = up;
    }
  };
  const rel = path.relative(real(outer), real(inner));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A file that is not a regular file (a FIFO, a device, a folder): never read, it might block or never end. */
export class NotRegularFile extends Error {
  readonly code = 'ENOTREG';
  constructor(readonly file: string) { super(`${file} is not a regular file`); }
}

/**
 * Reads a regular file, and nothing else: opened without blocking (a FIFO
 * would wait for a writer) and checked by its descriptor before the read.
 * `follow: false` also refuses a symbolic link (the cache's own files).
 */
export function readRegular(f: string, follow = true): Buffer {
  return readRegularStat(f, follow).data;
}

/** readRegular(), with the status of the very file read (its descriptor's: a rename in between cannot mix two files). */
export function readRegularStat(f: string, follow = true): { data: Buffer; st: fs.Stats } {
  const st = (follow ? fs.statSync : fs.lstatSync)(f);
  if (!st.isFile()) throw new NotRegularFile(f);
  const fd = fs.openSync(f, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (follow ? 0 : fs.constants.O_NOFOLLOW));
  try {
    const own = fs.fstatSync(fd);
    if (!own.isFile()) throw new NotRegularFile(f);
    return { data: fs.readFileSync(fd), st: own };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Deletes a cache file found corrupt, unless another process has renamed a
 * new one into its place since it was read (that one is whole: it stays).
 */
function discardFile(f: string, read?: fs.Stats): void {
  try {
    if (read && fs.lstatSync(f).ino !== read.ino) return;
    fs.unlinkSync(f);
  } catch { /* gone, or a read-only cache: it is ignored all the same */ }
}

/**
 * Creates the cache folder, one component at a time and once (fs.mkdirSync's
 * recursive mode retries forever where a parent exists but refuses children,
 * as in /proc). Returns why it cannot be used, or undefined when it can.
 */
export function prepareCacheDir(dir: string): string | undefined {
  const missing: string[] = [];
  let cur = path.resolve(dir);
  for (;;) {
    let st: fs.Stats | undefined;
    try { st = fs.statSync(cur); } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    if (st) { if (!st.isDirectory()) return `${cur} is not a folder`; break; }
    const up = path.dirname(cur);
    if (up === cur) return 'no existing parent folder';
    missing.unshift(cur);
    cur = up;
  }
  for (const d of missing) {
    try { fs.mkdirSync(d); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return code ?? (e as Error).message;
    }
  }
  try {
    if (!fs.statSync(dir).isDirectory()) return `${dir} is not a folder`;
  } catch (e) { return (e as NodeJS.ErrnoException).code ?? (e as Error).message; }
  return undefined;
}

let fingerprint: string | undefined;
/** Identifies the analysis that produced a cache entry: the package version and this very build. */
export function buildFingerprint(): string {
  if (fingerprint) return fingerprint;
  const h = createHash('sha256').update(`${pkg.version}\0`);
  try { h.update(fs.readFileSync(__filename)); } catch { /* no file: the version alone */ }
  return (fingerprint = h.digest('hex'));
}

const EFFECTS = new Set(['releases', 'takes', 'acquires', 'references']);
const FAMILIES = new Set(['put', 'unpin', 'bio']);
const MODES = new Set(['GET', 'PIN', 'EXTRACT', 'NONE', 'UNKNOWN']);
const RETURNS = new Set(['count', 'status']);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNat = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const optIn = (v: unknown, set: Set<string>) => v === undefined || (typeof v === 'string' && set.has(v));

function isPosition(v: unknown): boolean {
  return isObj(v) && isNat(v.line) && isNat(v.character);
}

function isEffect(v: unknown): v is ParamEffect {
  return isObj(v) && isNat(v.index) && typeof v.name === 'string' && typeof v.effect === 'string' && EFFECTS.has(v.effect)
    && typeof v.always === 'boolean' && optIn(v.family, FAMILIES) && optIn(v.mode, MODES) && optIn(v.returns, RETURNS)
    && (v.api === undefined || typeof v.api === 'string') && (v.when === undefined || v.when === 'error') && (v.count === undefined || (typeof v.count === 'string' && /^\d+((->|\.)[\w>.-]+)?$/.test(v.count)));
}

export function isSummary(v: unknown): v is FunctionSummary {
  return isObj(v) && typeof v.name === 'string' && /^[A-Za-z_]\w*$/.test(v.name) && typeof v.text === 'string'
    && isObj(v.range) && isPosition(v.range.start) && isPosition(v.range.end)
    && Array.isArray(v.params) && v.params.every(isEffect)
    && (v.returns === undefined || (isObj(v.returns) && optIn(v.returns.mode, MODES) && typeof v.returns.api === 'string'))
    && (v.returnsField === undefined || (isObj(v.returnsField) && isNat(v.returnsField.index) && typeof v.returnsField.path === 'string' && typeof v.returnsField.element === 'boolean'));
}

const SEVERITIES = new Set(['error', 'warning', 'information', 'hint']);
const CODE_SET = new Set<string>(CODES);
const isRange = (v: unknown) => isObj(v) && isPosition(v.start) && isPosition(v.end);
const isStr = (v: unknown) => typeof v === 'string';
const listOf = (v: unknown, ok: (x: unknown) => boolean) => Array.isArray(v) && v.every(ok);
const isStep = (v: unknown) => isObj(v) && isRange(v.range) && isStr(v.note);
const isFix = (v: unknown) => isObj(v) && isStr(v.title) && listOf(v.edits, e => isObj(e) && isRange(e.range) && isStr(e.newText));

export function isFinding(v: unknown): v is Finding {
  return isObj(v) && isStr(v.code) && CODE_SET.has(v.code as string) && isStr(v.severity) && SEVERITIES.has(v.severity as string)
    && isStr(v.message) && isStr(v.function) && isRange(v.range) && listOf(v.path, isStep) && listOf(v.fixes, isFix)
    && (v.acquire === undefined || (isObj(v.acquire) && isRange(v.acquire.range) && isStr(v.acquire.api) && optIn(v.acquire.mode, MODES)));
}

export function isCallSite(v: unknown): v is CallSite {
  return isObj(v) && isRange(v.range) && isStr(v.function) && isStr(v.api) && optIn(v.mode, MODES) && isStr(v.modeReason)
    && isStr(v.holder) && listOf(v.releases, r => isObj(r) && isRange(r.range) && isStr(r.api))
    && listOf(v.handoffs, h => isObj(h) && isRange(h.range) && isStr(h.kind)) && listOf(v.trace, isStep)
    && isObj(v.paths) && ['total', 'released', 'handedOff', 'leaked', 'failed'].every(k => isNat((v.paths as Record<string, unknown>)[k]))
    && (v.later === undefined || listOf(v.later, l => isObj(l) && isStr(l.function) && isStr(l.api) && isRange(l.range) && isStr(l.field)));
}

export function isFieldFill(v: unknown): v is FieldFill {
  return isObj(v) && isStr(v.key) && optIn(v.mode, MODES) && isStr(v.api) && isStr(v.function) && isRange(v.range)
    && (v.file === undefined || isStr(v.file)) && (v.via === undefined || isStr(v.via))
    && (v.flag === undefined || (isObj(v.flag) && isStr(v.flag.key) && isStr(v.flag.field) && typeof v.flag.pinned === 'boolean' && isRange(v.flag.range)));
}

/** What `pinlens check` keeps of one file's analysis (cache.ts ResultCache). */
export interface CachedResult {
  findings: Finding[];
  callSites: CallSite[];
  functions: number;
  notes: string[];
  fieldFills: FieldFill[];
  openFieldReleases: string[];
  releaseSites: ReleaseSite[];
  /** structs its field keys needed that the file does not define (FileAnalysis.structsWanted) */
  structsWanted?: string[];
}

const PROVENANCES = ['acquire', 'helper', 'callers', 'field', 'unknown'];

export function isReleaseSite(v: unknown): v is ReleaseSite {
  return isObj(v) && isRange(v.range) && isStr(v.function) && isStr(v.api) && (v.via === undefined || isStr(v.via))
    && listOf(v.modes, m => optIn(m, MODES)) && typeof v.provenance === 'string' && PROVENANCES.includes(v.provenance) && listOf(v.from, isStr);
}

export function isCachedResult(v: unknown): v is CachedResult {
  return isObj(v) && listOf(v.findings, isFinding) && listOf(v.callSites, isCallSite) && isNat(v.functions)
    && listOf(v.notes, isStr) && listOf(v.fieldFills, isFieldFill) && listOf(v.openFieldReleases, isStr) && listOf(v.releaseSites, isReleaseSite)
    && (v.structsWanted === undefined || listOf(v.structsWanted, isStr));
}

/**
 * One JSON file per entry under `dir`, named by its key (a sha256 of
 * everything the value was computed from). A file that does not parse, names
 * another format or key, or whose value fails `valid` is deleted and
 * reported missing: the caller computes the value again.
 */
export class DiskCache<T> {
  discarded = 0;
  private broken = false;
  constructor(readonly dir: string, readonly format: string, private readonly valid: (v: unknown) => v is T,
    private readonly note: (msg: string) => void) {}

  private file(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }

  /** The value stored under this key, or undefined (missing, or discarded as corrupt or foreign). */
  get(key: string): T | undefined {
    if (this.broken) return undefined;
    const f = this.file(key);
    let raw: string, st: fs.Stats;
    try { const r = readRegularStat(f, false); raw = r.data.toString('utf8'); st = r.st; } catch (e) {
      if (e instanceof NotRegularFile || (e as NodeJS.ErrnoException).code === 'ELOOP') {
        // a FIFO, device or link where an entry should be: someone else's files, leave the cache alone
        this.broken = true;
        this.note(`cache not used: ${f} is not a regular file`);
      }
      return undefined;
    }
    let doc: unknown;
    try { doc = JSON.parse(raw); } catch { doc = undefined; }
    if (isObj(doc) && doc.format === this.format && doc.key === key && this.valid(doc.value)) return doc.value;
    this.discarded++;
    this.note(`discarded a corrupt or foreign cache file ${f}`);
    discardFile(f, st);
    return undefined;
  }

  put(key: string, value: T): void {
    if (this.broken) return;
    // private to this process and thread (`pinlens check --jobs` runs several
    // indexes in one process); the rename is atomic, so two writers of one key
    // leave one whole entry and a reader never sees a partial file
    if (!writeAtomic(this.file(key), JSON.stringify({ format: this.format, key, value }), e => this.note(`cache not written (${e}): ${this.dir}`))) this.broken = true;
  }
}

export const isSummaryList = (v: unknown): v is FunctionSummary[] => listOf(v, isSummary);
export const isFillList = (v: unknown): v is FieldFill[] => listOf(v, isFieldFill);

export function isArgMode(v: unknown): v is ArgMode {
  return isObj(v) && isStr(v.callee) && isNat(v.index) && optIn(v.mode, MODES) && isStr(v.api) && isStr(v.function)
    && isRange(v.range) && isRange(v.call) && (v.file === undefined || isStr(v.file));
}

/** What one file tells the others of its folder (TreeIndex.fieldFillsFor(), callersFor()). */
/** (`structs`: the header definitions its field keys were made with, for the structs it named but does not define, `wanted`) */
export interface FolderFacts { fieldFills: FieldFill[]; argModes: ArgMode[]; wanted?: string[]; structs?: StructTypes }
export const isFolderFacts = (v: unknown): v is FolderFacts => isObj(v) && listOf(v.fieldFills, isFieldFill) && listOf(v.argModes, isArgMode)
  && (v.wanted === undefined || listOf(v.wanted, isStr)) && (v.structs === undefined || isStructTypes(v.structs));

/** A StructTypes fact as JSON has it: names to null or to members' type strings. */
export const isStructTypes = (v: unknown): v is StructTypes => isObj(v)
  && Object.values(v).every(m => m === null || (isObj(m) && Object.values(m).every(isStr)));

export const SCAN_FORMAT = 'pinlens-scan/3';
/**
 * The ways runs split the scan: whole (one thread, the server), or two shares
 * (`pinlens check` with workers); `h`: with the headers listed too (`pinlens check`).
 */
const SCAN_LAYOUTS = ['', '0/2', '1/2', 'h', '0/2h', '1/2h'];

/**
 * The definition scan's memory between runs: one file per tree root under
 * `<cache>/scan/`, holding each C file's stamp (size, mtime, inode) and the
 * hashes of the names it defines and its class (select.ts). A file whose stamp is unchanged is not read
 * again. The document must name this build and this root, and be consistent
 * (counts add up, stamps are numbers), else it is deleted and the tree read.
 * `complete` says the document holds every file its scan listed: only such a
 * document can stand for the tree unchecked (trusted()); one saved while
 * files were being written lacks them and is a source of stamps only.
 */
export class ScanFileStore implements ScanStore {
  constructor(readonly dir: string, private readonly note: (msg: string) => void) {}

  private file(root: string, part: string): { f: string; key: string } {
    const key = createHash('sha256').update(buildFingerprint()).update('\0').update(root).update('\0').update(part).digest('hex');
    return { f: path.join(this.dir, `${key}.json`), key };
  }

  /**
   * The stamps remembered for this share of the files; when this share was
   * never saved (the last run split the scan otherwise: one thread or two),
   * what the other layouts remember, joined.
   */
  load(root: string, part = ''): ScanMemo | undefined {
    const own = this.loadOne(root, part)?.memo;
    if (own) return own;
    let joined: ScanMemo | undefined;
    for (const other of SCAN_LAYOUTS) {
      if (other === part) continue;
      const m = this.loadOne(root, other)?.memo;
      if (m) { joined ??= new Map(); for (const [k, v] of m) joined.set(k, v); }
    }
    return joined;
  }

  private broken = false;

  /**
   * This share's own document when it is complete and was saved less than
   * `maxAgeMs` ago (the age of the very file read); never another layout's,
   * never an incomplete one.
   */
  trusted(root: string, part: string, maxAgeMs: number): ScanMemo | undefined {
    const doc = this.loadOne(root, part);
    if (!doc?.complete) return undefined;
    // (a document dated ahead of the clock is as old as it is ahead)
    return Math.abs(Date.now() - doc.mtimeMs) < maxAgeMs ? doc.memo : undefined;
  }

  private loadOne(root: string, part: string): { memo: ScanMemo; complete: boolean; mtimeMs: number } | undefined {
    if (this.broken) return undefined;
    const { f, key } = this.file(root, part);
    let raw: string, st: fs.Stats;
    try { const r = readRegularStat(f, false); raw = r.data.toString('utf8'); st = r.st; } catch (e) {
      if (e instanceof NotRegularFile || (e as NodeJS.ErrnoException).code === 'ELOOP') {
        this.broken = true;
        this.note(`scan cache not used: ${f} is not a regular file`);
      }
      return undefined;
    }
    try {
      const doc: unknown = JSON.parse(raw);
      if (!isObj(doc) || doc.format !== SCAN_FORMAT || doc.key !== key || doc.root !== root) throw new Error('foreign');
      const { files, stamps, counts, hashes, classes, complete } = doc;
      if (typeof complete !== 'boolean') throw new Error('shape');
      if (!Array.isArray(files) || !Array.isArray(stamps) || !Array.isArray(counts) || !Array.isArray(classes) || typeof hashes !== 'string') throw new Error('shape');
      if (stamps.length !== files.length * 3 || counts.length !== files.length || classes.length !== files.length
        || !stamps.every(x => typeof x === 'number') || !counts.every(isNat) || !classes.every(c => isNat(c) && (c as number) < 256)) throw new Error('shape');
      const all = Buffer.from(hashes, 'base64');
      if (all.length % 4) throw new Error('hashes');
      const words = new Uint32Array(new Uint8Array(all).buffer);
      if (counts.reduce((a: number, b: number) => a + b, 0) !== words.length) throw new Error('counts');
      const memo: ScanMemo = new Map();
      let at = 0;
      for (let i = 0; i < files.length; i++) {
        if (typeof files[i] !== 'string') throw new Error('shape');
        memo.set(path.join(root, files[i] as string), { stamp: { size: stamps[3 * i], mtimeMs: stamps[3 * i + 1], ino: stamps[3 * i + 2] }, hashes: words.subarray(at, at + counts[i]), cls: classes[i] as number });
        at += counts[i];
      }
      return { memo, complete, mtimeMs: st.mtimeMs };
    } catch {
      this.note(`discarded a corrupt or foreign scan cache file ${f}`);
      discardFile(f, st);
      return undefined;
    }
  }

  /** `complete`: the memo holds every file its scan listed (else it is never trusted()). */
  save(root: string, memo: ScanMemo, part = '', complete = false): void {
    if (this.broken) return;
    const { f, key } = this.file(root, part);
    const files: string[] = [], stamps: number[] = [], counts: number[] = [], classes: number[] = [];
    let n = 0;
    for (const m of memo.values()) n += m.hashes.length;
    const words = new Uint32Array(n);
    let at = 0;
    for (const [abs, m] of memo) {
      files.push(path.relative(root, abs));
      stamps.push(m.stamp.size, m.stamp.mtimeMs, m.stamp.ino);
      counts.push(m.hashes.length);
      classes.push(m.cls);
      words.set(m.hashes, at);
      at += m.hashes.length;
    }
    const hashes = Buffer.from(words.buffer, words.byteOffset, words.byteLength).toString('base64');
    writeAtomic(f, JSON.stringify({ format: SCAN_FORMAT, key, root, complete, files, stamps, counts, classes, hashes }), e => this.note(`scan cache not written (${e}): ${this.dir}`));
  }
}

export const SELECTION_FORMAT = 'pinlens-selection/3';

/**
 * What an earlier run of the same tree learnt about a checked file: why it
 * was selected, and the facts of the other files it was analysed with (its
 * helpers' summaries, in the order looked up; the fills and callers' modes
 * of its folder). The same build, settings and stamps give the same facts.
 */
export interface KnownFacts {
  selected: 'api' | 'helper';
  external: [string, FunctionSummary][];
  fills: FieldFill[];
  callers: ArgMode[];
  /** the struct definitions from headers its field keys were made with */
  structs?: StructTypes;
}

function isKnownFacts(v: unknown): v is KnownFacts {
  return isObj(v) && (v.selected === 'api' || v.selected === 'helper')
    && listOf(v.external, e => Array.isArray(e) && e.length === 2 && isStr(e[0]) && isSummary(e[1]))
    && listOf(v.fills, isFieldFill) && listOf(v.callers, isArgMode) && (v.structs === undefined || isStructTypes(v.structs));
}

/** What SelectionStore keeps for one tree under one key. */
export interface Selection {
  /** files found to call no helper that acquires or releases pages (skipped 'no-page-helper') */
  skips: Set<string>;
  /** checked files' facts */
  facts: Map<string, KnownFacts>;
}

/**
 * What earlier runs learnt about a tree's files: those that cannot have a
 * finding although they name page types (no helper they call acquires or
 * releases pages), and, for the files checked, the facts of the other files
 * they were analysed with. One file per tree root, valid only under its key
 * (this build, the settings, and every file's stamp: any change in the tree
 * and it is not used). Saves the next run from reading those files and their
 * helpers' definitions again, and from looking the facts up again.
 */
export class SelectionStore {
  constructor(readonly dir: string, private readonly note: (msg: string) => void) {}

  private file(root: string): string {
    return path.join(this.dir, `${createHash('sha256').update(root).digest('hex')}.json`);
  }

  /** Paths relative to root; undefined when missing, foreign, or under another key. */
  load(root: string, key: string): Selection | undefined {
    const f = this.file(root);
    let raw: string, st: fs.Stats;
    try { const r = readRegularStat(f, false); raw = r.data.toString('utf8'); st = r.st; } catch { return undefined; }
    try {
      const doc: unknown = JSON.parse(raw);
      if (!isObj(doc) || doc.format !== SELECTION_FORMAT || doc.root !== root || typeof doc.key !== 'string' || !listOf(doc.files, isStr) || !isObj(doc.facts)) throw new Error('foreign');
      if (doc.key !== key) return undefined;
      const facts = new Map<string, KnownFacts>();
      for (const [rel, v] of Object.entries(doc.facts)) {
        if (!isKnownFacts(v)) throw new Error('shape');
        facts.set(rel, v);
      }
      return { skips: new Set(doc.files as string[]), facts };
    } catch {
      this.note(`discarded a corrupt or foreign selection cache file ${f}`);
      discardFile(f, st);
      return undefined;
    }
  }

  save(root: string, key: string, sel: Selection): void {
    const facts: Record<string, KnownFacts> = {};
    for (const rel of [...sel.facts.keys()].sort()) facts[rel] = sel.facts.get(rel)!;
    writeAtomic(this.file(root), JSON.stringify({ format: SELECTION_FORMAT, key, root, files: [...sel.skips].sort(), facts }), e => this.note(`selection cache not written (${e}): ${this.dir}`));
  }
}

/** Writes through a temp file private to this process and thread, renamed into place (atomic); never over what is not a regular file. */
export function writeAtomic(f: string, data: string, fail: (why: string) => void): boolean {
  const tmp = `${f}.${process.pid}.${threadId}.tmp`;
  try {
    const bad = prepareCacheDir(path.dirname(f));
    if (bad) throw new Error(bad);
    // a stale temp file of an earlier process with this pid goes; 'wx' never opens what exists (a FIFO)
    try { fs.unlinkSync(tmp); } catch { /* none */ }
    fs.writeFileSync(tmp, data, { flag: 'wx' });
    // what is there and not a regular file (a FIFO, a device, a folder) is someone else's: never replaced
    let there: fs.Stats | undefined;
    try { there = fs.lstatSync(f); } catch { /* none yet */ }
    if (there && !there.isFile()) throw new NotRegularFile(f);
    fs.renameSync(tmp, f);
    return true;
  } catch (e) {
    fail((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    try { fs.unlinkSync(tmp); } catch { /* never written */ }
    return false;
  }
}
