// The definition scan of a tree: which *.c file defines which non-static
// function, found by a byte-level text scan (no parse, no decode). Kernel
// style puts a definition's name at column 0 or after its return type on a
// line that starts at column 0; that is all this scan looks for. Names are
// kept as 32-bit hashes beside a file number (a few MB for all of Linux); a
// lookup's candidates are confirmed later on the file's text, so a hash
// collision costs one file read, never a wrong answer.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { definitionNames, NOT_NAMES } from './definitions';
import { classifyBytes } from './select';

/** Files larger than this are not scanned (generated tables), with a note. */
export const MAX_SCAN_BYTES = 2 * 1024 * 1024;

/** Top-level folders of a kernel tree that hold no kernel definitions (user space, docs, build scripts). */
const SKIP_TOP = new Set(['tools', 'scripts', 'Documentation', 'samples', 'usr', '.git']);
const SKIP_ANY = new Set(['.git', 'node_modules', '.pc']);

export interface ScanResult {
  files: string[];
  /**
   * Each file's class (select.ts: whether it names a page API, or may take
   * helpers' summaries), read in the same pass; 0 for a file not read
   * (oversized, unreadable, or another thread's share before the join).
   */
  classes: Uint8Array;
  /**
   * A hash of every listed file's path and stamp (size, mtime, inode): equal
   * only when no file of the tree changed. Undefined when a stamp could not
   * be trusted (a file unreadable, or written in the last seconds).
   */
  stamps?: string;
  /** sorted: hash * FILE_SLOTS + file number. */
  keys: Float64Array;
  notes: string[];
  bytes: number;
  /** files whose hashes came from the previous run's scan (unchanged stamp) */
  reused: number;
  ms: number;
}

const FILE_SLOTS = 2 ** 21;
const RECENT_MS = 2000;

/** Every *.c file (and with `headers`, *.h file) under root, symlinked folders followed once (no loops). */
export function listCFiles(root: string, notes: string[], headers = false): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (dir: string, top: boolean) => {
    let real: string;
    try { real = fs.realpathSync(dir); } catch (e) { notes.push(`unreadable folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); return; }
    if (seen.has(real)) return;
    seen.add(real);
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch (e) {
      notes.push(`unreadable folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return;
    }
    for (const e of entries) {
      if ((top ? SKIP_TOP : SKIP_ANY).has(e.name)) continue;
      const abs = path.join(dir, e.name);
      let isDir = e.isDirectory(), isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try { const st = fs.statSync(abs); isDir = st.isDirectory(); isFile = st.isFile(); } catch { continue; } // dangling or looping link
      }
      if (isDir) visit(abs, false);
      else if (isFile && (e.name.endsWith('.c') || (headers && e.name.endsWith('.h')))) out.push(abs);
    }
  };
  visit(root, true);
  return out;
}

/** FNV-1a over the bytes (or the characters, for ASCII names: the same value). */
export function hashBytes(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) { h ^= b[i]; h = Math.imul(h, 0x01000193); }
  return h >>> 0;
}
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) { h ^= name.charCodeAt(i) & 0xff; h = Math.imul(h, 0x01000193); }
  return h >>> 0;
}

const KW_HASHES = new Set([...NOT_NAMES].map(hashName));

/** Definition lines of one buffer (definitions.ts definitionNames()): calls push(hash) for each name. */
export function scanBuffer(b: Buffer, n: number, push: (hash: number) => void): void {
  definitionNames(b, n, (s, e) => {
    const h = hashBytes(b, s, e);
    if (!KW_HASHES.has(h)) push(h);
  });
}

/** What a file's definition hashes were computed from: unchanged stat, unchanged text. */
export interface FileStamp { size: number; mtimeMs: number; ino: number }

/** Earlier hashes of files, by absolute path, reused while the file's stamp is unchanged. */
export type ScanMemo = Map<string, { stamp: FileStamp; hashes: Uint32Array; cls: number }>;

/**
 * Scans the files (any order); unreadable and oversized files become notes.
 * With `memo`, a file whose size, mtime and inode are those remembered is not
 * read again: its hashes are reused; `fresh` receives every file's stamp and
 * hashes (the next run's memo).
 */
export function scanFiles(files: string[], notes: string[], memo?: ScanMemo, fresh?: ScanMemo, only?: (i: number) => boolean): { keys: Float64Array; classes: Uint8Array; bytes: number; reused: number; stamps?: string; complete: boolean } {
  let keys = new Float64Array(1 << 16);
  const classes = new Uint8Array(files.length);
  const stamps = createHash('sha256');
  let sure = true;
  // every file scanned is in `fresh` (or was passed over for its size, as it would be again)
  let complete = true;
  const stamp = (f: string, st: fs.Stats) => {
    stamps.update(`${f}\0${st.size}\0${st.mtimeMs}\0${st.ino}\n`);
    if (Date.now() - st.mtimeMs <= RECENT_MS) sure = false;
  };
  let len = 0, bytes = 0, reused = 0;
  let buf = Buffer.allocUnsafe(1 << 20);
  const push = (h: number, i: number) => {
    if (len === keys.length) { const k = new Float64Array(keys.length * 2); k.set(keys); keys = k; }
    keys[len++] = h * FILE_SLOTS + i;
  };
  for (let i = 0; i < files.length; i++) {
    if (only && !only(i)) continue;
    let fd: number | undefined;
    try {
      if (memo) {
        const st = fs.statSync(files[i]);
        stamp(files[i], st);
        const m = memo.get(files[i]);
        if (m && m.stamp.size === st.size && m.stamp.mtimeMs === st.mtimeMs && m.stamp.ino === st.ino) {
          for (const h of m.hashes) push(h, i);
          classes[i] = m.cls;
          fresh?.set(files[i], m);
          reused++;
          continue;
        }
      }
      fd = fs.openSync(files[i], 'r');
      const st = fs.fstatSync(fd);
      if (!memo) stamp(files[i], st);
      if (st.size > MAX_SCAN_BYTES) { notes.push(`${files[i]}: skipped by the index, ${st.size} bytes is over ${MAX_SCAN_BYTES}`); continue; }
      if (st.size + 1 > buf.length) buf = Buffer.allocUnsafe(Math.max(st.size + 1, buf.length * 2));
      let n = 0, r: number;
      while (n < buf.length && (r = fs.readSync(fd, buf, n, buf.length - n, n)) > 0) n += r;
      bytes += n;
      const start = len;
      // definitions only in .c files (a header's are static inline); the class of every file
      if (files[i].endsWith('.c')) scanBuffer(buf, n, h => push(h, i));
      classes[i] = classifyBytes(buf, n);
      // a file that changed while it was read, or may still be changing (written in the
      // last seconds, within the clock's reach), is not remembered: its stamp could lie
      if (fresh && n === st.size && Date.now() - st.mtimeMs > RECENT_MS) {
        const hashes = new Uint32Array(len - start);
        for (let k = start; k < len; k++) hashes[k - start] = Math.floor(keys[k] / FILE_SLOTS);
        fresh.set(files[i], { stamp: { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino }, hashes, cls: classes[i] });
      } else complete = false;
    } catch (e) {
      sure = false;
      complete = false;
      notes.push(`${files[i]}: unreadable, not indexed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    } finally {
      if (fd !== undefined) try { fs.closeSync(fd); } catch { /* closed */ }
    }
  }
  return { keys: keys.slice(0, len).sort(), classes, bytes, reused, complete, ...(sure ? { stamps: stamps.digest('hex') } : {}) };
}

/** Where a scan's hashes are remembered between runs (the XDG cache; never the tree): see cache.ts ScanFileStore. */
export interface ScanStore {
  /**
   * Stamps to reuse (`part`: which share of the files, '1/2'; '' for all of
   * them): only a source of hashes for files whose stamp is unchanged, never
   * a listing of the tree (it may lack files, e.g. those written in the last
   * seconds).
   */
  load(root: string, part?: string): ScanMemo | undefined;
  /**
   * The memo saved for this share, as the scan itself, when it is whole
   * (saved `complete`: every file its scan listed is in it) and was saved
   * less than `maxAgeMs` ago; else undefined (the caller scans).
   */
  trusted?(root: string, part: string, maxAgeMs: number): ScanMemo | undefined;
  /** `complete`: every file of the share is in `memo` (none unreadable, changing or written in the last seconds). */
  save(root: string, memo: ScanMemo, part?: string, complete?: boolean): void;
}

/** One share of a scan split across threads: the files whose number is `index` modulo `count`. */
export interface ScanPart { index: number; count: number }

/**
 * `headers`: list the *.h files too (classified for `pinlens check`'s
 * selection; they define nothing for the index). `trustFor`: a whole scan
 * (every file of the tree remembered) saved less than this many milliseconds
 * ago is taken as it is, the tree neither listed nor its files' stamps read
 * (pinlens-kbuild: one process per file of a build, which does not edit its
 * sources; the first one validates it). A scan that is not whole is only
 * reused file by file, by stamp.
 */
export interface ScanOptions { headers?: boolean; trustFor?: number }

/**
 * Lists the tree and scans its files (with `part`, only that share: every
 * thread lists the same tree, so file numbers agree and mergeScans() can
 * join the shares).
 */
export function scanTree(root: string, store?: ScanStore, part?: ScanPart, opts: ScanOptions = {}): ScanResult {
  const t0 = performance.now();
  const key = (part ? `${part.index}/${part.count}` : '') + (opts.headers ? 'h' : '');
  const trusting = !!(store && opts.trustFor && !part);
  if (trusting) {
    // only a whole scan stands for the tree: one saved while files were still
    // being written (or unreadable) lacks them, and its helpers would be missing
    const memo = store!.trusted?.(root, key, opts.trustFor!);
    if (memo) return fromMemo(memo, performance.now() - t0);
  }
  const notes: string[] = [];
  const files = listCFiles(root, notes, opts.headers);
  if (files.length >= FILE_SLOTS) {
    notes.push(`the tree has ${files.length} C files; only the first ${FILE_SLOTS - 1} are indexed`);
    files.length = FILE_SLOTS - 1;
  }
  // every share lists the tree: its notes are said once
  if (part && part.index > 0) notes.length = 0;
  const memo = store?.load(root, key);
  const fresh: ScanMemo | undefined = store ? new Map() : undefined;
  const only = part ? (i: number) => i % part.count === part.index : undefined;
  const { keys, classes, bytes, reused, stamps, complete } = scanFiles(files, notes, memo, fresh, only);
  // saved when it differs from the memory, and (trusting) whenever it is whole:
  // the saved time is what later processes trust it by
  if (store && fresh && (!memo || reused !== memo.size || fresh.size !== memo.size || (trusting && complete))) store.save(root, fresh, key, complete);
  return { files, keys, classes, notes, bytes, reused, ms: performance.now() - t0, ...(stamps ? { stamps } : {}) };
}

/** A whole remembered scan as it was saved (scanTree's `trustFor`). */
function fromMemo(memo: ScanMemo, ms: number): ScanResult {
  const files = [...memo.keys()];
  const classes = new Uint8Array(files.length);
  let n = 0;
  for (const m of memo.values()) n += m.hashes.length;
  const keys = new Float64Array(n);
  let at = 0;
  files.forEach((f, i) => {
    const m = memo.get(f)!;
    classes[i] = m.cls;
    for (const h of m.hashes) keys[at++] = h * FILE_SLOTS + i;
  });
  return { files, keys: keys.sort(), classes, notes: [], bytes: 0, reused: files.length, ms };
}

/** The shares of one scan joined; undefined when their listings differ (the tree changed between them). */
export function mergeScans(parts: ScanResult[]): ScanResult | undefined {
  const [first] = parts;
  if (!first || parts.some(p => p.files.length !== first.files.length || p.files.some((f, i) => f !== first.files[i]))) return undefined;
  const keys = new Float64Array(parts.reduce((n, p) => n + p.keys.length, 0));
  let at = 0;
  for (const p of parts) { keys.set(p.keys, at); at += p.keys.length; }
  // each share classified its own files (the others are 0)
  const classes = new Uint8Array(first.files.length);
  for (const p of parts) for (let i = 0; i < classes.length; i++) classes[i] |= p.classes[i];
  const stamps = parts.every(p => p.stamps) ? createHash('sha256').update(parts.map(p => p.stamps).join('\0')).digest('hex') : undefined;
  return {
    ...(stamps ? { stamps } : {}),
    files: first.files, keys: keys.sort(), classes, notes: parts.flatMap(p => p.notes),
    bytes: parts.reduce((n, p) => n + p.bytes, 0), reused: parts.reduce((n, p) => n + p.reused, 0), ms: Math.max(...parts.map(p => p.ms)),
  };
}

/** The files whose definition lines name a function with this name's hash. */
export function definers(scan: ScanResult, name: string): string[] {
  const h = hashName(name);
  const lo = h * FILE_SLOTS, hi = (h + 1) * FILE_SLOTS;
  const k = scan.keys;
  let a = 0, b = k.length;
  while (a < b) { const m = (a + b) >> 1; if (k[m] < lo) a = m + 1; else b = m; }
  const out: string[] = [];
  for (let i = a; i < k.length && k[i] < hi; i++) {
    const f = scan.files[k[i] - lo];
    if (out[out.length - 1] !== f) out.push(f);
  }
  return out;
}

/**
 * The scan with some files read again — changed, created or deleted, as an
 * editor's watched-file events name them — without listing the tree: a new
 * file (where the listing would find it) gets the next file number, a
 * deleted one keeps its number and loses its names.
 */
export function rescanFiles(scan: ScanResult, root: string, changed: string[]): ScanResult {
  const t0 = performance.now();
  const files = [...scan.files];
  const number = new Map(files.map((f, i) => [f, i]));
  const nums = new Set<number>();
  const absRoot = path.resolve(root);
  for (const f of new Set(changed.map(c => path.resolve(c)))) {
    const parts = path.relative(absRoot, f).split(path.sep);
    if (!f.endsWith('.c') || parts[0] === '..' || path.isAbsolute(parts[0]) || SKIP_TOP.has(parts[0]) || parts.some(p => SKIP_ANY.has(p))) continue;
    let i = number.get(f);
    if (i === undefined) {
      if (!fs.existsSync(f) || files.length >= FILE_SLOTS - 1) continue;
      i = files.length;
      files.push(f);
      number.set(f, i);
    }
    nums.add(i);
  }
  if (!nums.size) return scan;
  const notes: string[] = [];
  const again = scanFiles(files, notes, undefined, undefined, i => nums.has(i));
  const kept = scan.keys.filter(k => !nums.has(k % FILE_SLOTS));
  const keys = new Float64Array(kept.length + again.keys.length);
  keys.set(kept);
  keys.set(again.keys, kept.length);
  // a deleted file is no note: it just defines nothing now
  const gone = (n: string) => /\(ENOENT\)$/.test(n);
  // the files read again are classified again; the others keep their class (a new file's slot is new)
  const classes = new Uint8Array(files.length);
  classes.set(scan.classes.subarray(0, Math.min(scan.classes.length, files.length)));
  for (const i of nums) classes[i] = again.classes[i];
  return { files, keys: keys.sort(), classes, notes: [...scan.notes, ...notes.filter(n => !gone(n))], bytes: again.bytes, reused: 0, ms: performance.now() - t0 };
}
