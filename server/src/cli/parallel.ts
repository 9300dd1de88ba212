// `pinlens check --jobs N`: the file loop on worker threads. The workers run
// this same bundle (out/cli.js; main.ts hands them to runWorker()), each with
// its own parser and, with --tree, its own TreeIndex (the on-disk summary
// cache is shared: entries are written to a private temp file and renamed, so
// two workers storing the same key leave one whole entry). Only plain data
// crosses: a file's display name and path in, its FileResult out. Each worker
// holds one file at a time and asks for the next when it answers; the main
// thread only hands out files, largest first (a big file last would keep one
// worker busy while the others idle), and keeps the results in input order,
// so the output is the sequential run's.
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { Worker, isMainThread, parentPort, workerData } from 'worker_threads';
import type { Settings } from '../core/types';
import { collectGarbage } from '../host/memory';
import { loadParser } from '../host/treesitter';
import { type IndexStats, TreeIndex, resultLookup } from '../index/tree';
import type { ScanResult } from '../index/scan';
import type { KnownFacts } from '../index/cache';
import { CLASSIFIED, classifyText } from '../index/select';
import { scanInThreads } from '../index/scan-thread';
import { KnownSkips, checkFile, knownResult, notRead, scanClasses, skippedByClass, skippedResult, unreadResult } from './check-file';
import { type SourceFile, load } from './files';
import type { FileResult } from './format';

/** Fewer files than this are checked on the main thread (starting workers costs more). */
export const PARALLEL_MIN_FILES = 8;
const MAX_DEFAULT_JOBS = 4;

const KIND = 'pinlens-check-worker';

/**
 * Each check worker's V8 heap bound, in MB (PINLENS_WORKER_HEAP_MB overrides
 * it). Without one V8 lets a busy thread's heap grow far past what it keeps
 * alive: two workers reached 430 MB of RSS on Linux 6.12 cold. What a worker
 * kept alive halfway through 6.12 was 50 MB (a heap snapshot: tree texts 15,
 * the scan 7, the field-name map 6 — most of it whole file texts behind
 * matched names —, the function cache 6, resolved names 4); with the texts,
 * the function cache and those names made smaller it is 30–50 MB over the
 * run, and the rest of the bound is room for one file's analysis.
 */
const WORKER_HEAP_MB = Number(process.env.PINLENS_WORKER_HEAP_MB) || 80;
const WORKER_LIMITS = { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 8 };
/**
 * Characters of tree files' texts each worker's index keeps (the index's
 * default, 48M, would fill most of a bounded heap: the collector then runs
 * almost without pause; 12M kept 15 MB of a worker's heap on 6.12). A text
 * read again costs a read and a regex pass.
 */
const WORKER_TEXT_CHARS = 6 * 1024 * 1024;
/** Runs of this many files (a whole tree) collect the main thread's garbage between their phases. */
const BIG_RUN = 2000;
/** Threads sharing the definition scan (the check workers only wait for it). */
const SCAN_THREADS = 2;

interface Init { kind: typeof KIND; tree?: string; settings: Settings }
interface Task { i: number; file: SourceFile; all: boolean; cls: number; facts?: KnownFacts }
/** With --tree, the first message: the definition scan, done once on the main thread while the workers start. */
interface ScanMsg { scan: ScanResult }
type Reply = { i: number; result: FileResult; stats?: IndexStats } | { i: number; error: string } | { fatal: string };

/** Worker threads when --jobs is not given: one per core, at most 4. */
export function defaultJobs(): number {
  return Math.max(1, Math.min(os.availableParallelism(), MAX_DEFAULT_JOBS));
}

/** Workers run the bundle itself; from TypeScript sources (tsx) the loop stays on the main thread. */
export function canUseWorkers(): boolean {
  return __filename.endsWith('.js');
}

/** Is this thread a check worker started by checkParallel()? */
export function isCheckWorker(): boolean {
  return !isMainThread && (workerData as Init | undefined)?.kind === KIND;
}

/** The worker's side: load a parser (and index), then answer one file at a time. */
export function runWorker(): void {
  const port = parentPort;
  if (!port) return;
  const init = workerData as Init;
  loadParser().then(parser => {
    let index: TreeIndex | undefined;
    port.on('message', (task: Task | ScanMsg | null) => {
      if (!task) { port.close(); return; }
      if ('scan' in task) { index = new TreeIndex(init.tree!, parser, init.settings, { scan: task.scan, textCacheChars: WORKER_TEXT_CHARS }); return; }
      let reply: Reply;
      try {
        const result = checkFile(task.file, parser, init.settings, index, { all: task.all, cls: task.cls, facts: task.facts });
        reply = { i: task.i, result, ...(index ? { stats: index.stats } : {}) };
      } catch (e) {
        reply = { i: task.i, error: e instanceof Error ? e.stack ?? e.message : String(e) };
      }
      port.postMessage(reply);
    });
  }, e => port.postMessage({ fatal: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies Reply));
}

/**
 * Checks `files` on `jobs` worker threads; the results come back in input
 * order. `progress(done, file)` is called on the main thread as each file is
 * answered. Rejects on the first error (the sequential loop would throw too).
 *
 * Memory: each worker's V8 heap is bounded (WORKER_HEAP_MB). A worker that
 * runs out of it on some extreme file is replaced, and that file is checked
 * on the main thread without the bound — a slower answer, never a failure.
 */
export function checkParallel(files: SourceFile[], tree: string | undefined, settings: Settings, jobs: number,
  progress?: (done: number, file: SourceFile) => void, all = true): Promise<{ results: FileResult[]; index?: IndexStats }> {
  const results: FileResult[] = new Array(files.length);
  const workers = new Set<Worker>();
  // each worker's index statistics, as of its last answer (cumulative)
  const stats = new Map<Worker | 'main' | 'known', IndexStats>();
  // set once the scan is in: the files to hand out (largest first) and each one's class
  let order: number[] = [];
  let classes: Uint8Array = new Uint8Array(files.length);
  let next = 0, done = 0, failed = false;
  // (the files answered while the scan's answer is read are counted, the run not finished, until all are read)
  let planning = true;
  let known: KnownSkips | undefined;
  let fallback: Promise<(file: SourceFile, cls: number) => FileResult> | undefined;
  return new Promise((resolve, reject) => {
    const finish = (err?: Error) => {
      if (failed) return;
      if (err) failed = true;
      for (const w of workers) void w.terminate();
      if (!err) known?.record(files, results);
      if (err) reject(err); else resolve({ results, ...(stats.size ? { index: sumStats([...stats.values()]) } : {}) });
    };
    const fail = (e: unknown) => finish(e instanceof Error ? e : new Error(String(e)));
    // the scan first, on threads of its own; the check workers start once it is
    // done and only for the files it leaves (its threads' memory is gone by then)
    // headers are listed (and classified) only when there are some to check
    const headers = !all && files.some(f => f.abs.endsWith('.h'));
    // (the walk's garbage goes before the scan threads grow)
    if (files.length >= BIG_RUN) collectGarbage();
    const scan: Promise<ScanMsg | undefined> = tree ? scanInThreads(path.resolve(tree), Math.min(jobs, SCAN_THREADS), { headers }).then(s => ({ scan: s })) : Promise.resolve(undefined);
    // the files the scan ruled out are answered here, unread, and so are those whose
    // facts and result an earlier run of the unchanged tree left; the others go to the workers
    const planned = scan.then(m => {
      if (!all) classes = scanClasses(files, m?.scan);
      if (!all && tree) known = KnownSkips.open(tree, m?.scan, settings);
      const notes: string[] = [];
      const lookup = known && tree ? resultLookup(tree, n => notes.push(n)) : undefined;
      let reused = 0, read = 0;
      const rest: number[] = [];
      for (let i = 0; i < files.length; i++) {
        if (!all && skippedByClass(classes[i])) { answered(i, skippedResult(files[i], 'no-page-api')); continue; }
        if (known?.skips(files[i], classes[i])) { answered(i, skippedResult(files[i], 'no-page-helper')); continue; }
        const facts = lookup ? known?.facts(files[i]) : undefined;
        // a file the scan did not read (over its size limit) may be one the check would not
        // read either (too big), or one its text rules out: known here, without a worker
        if (m?.scan && !all && !(classes[i] & CLASSIFIED)) {
          const r = unreadResult(files[i]);
          if (r) { answered(i, r); continue; }
          const f = load(files[i]);
          if (f.text === undefined) { answered(i, notRead(f)); continue; }
          classes[i] = classifyText(f.text);
          if (skippedByClass(classes[i])) { answered(i, skippedResult(files[i], 'no-page-api')); continue; }
        }
        const r = facts && lookup ? knownResult(files[i], settings, lookup, { all, cls: classes[i], facts }) : undefined;
        if (r) { if (r.selected === 'api' || r.selected === 'helper') reused++; answered(i, r); } else rest.push(i);
        // each file and cache entry read leaves garbage the idle-looking heap keeps (RSS): dropped as it goes
        if (facts && ++read % 128 === 0 && files.length >= BIG_RUN) collectGarbage();
      }
      if (m?.scan) stats.set('known', scanStats(m.scan, reused, notes));
      order = largestFirst(files, rest);
      planning = false;
      if (done === files.length) finish();
      return m;
    });
    const answered = (i: number, r: FileResult) => {
      results[i] = r;
      done++;
      progress?.(done, files[i]);
      if (done === files.length && !planning) finish();
    };
    // a file whose worker ran out of heap: on the main thread, one at a time, unbounded
    const onMainThread = (i: number) => {
      fallback ??= Promise.all([loadParser(), planned]).then(([parser, m]) => {
        const index = tree ? new TreeIndex(tree, parser, settings, { scan: m?.scan }) : undefined;
        return (file: SourceFile, cls: number) => {
          const r = checkFile(file, parser, settings, index, { all, cls, facts: known?.facts(file) });
          if (index) stats.set('main', index.stats);
          return r;
        };
      });
      fallback.then(check => {
        if (failed) return;
        const r = check(files[i], classes[i]);
        answered(i, { ...r, notes: [...r.notes, `checked on the main thread: its worker thread ran out of its ${WORKER_HEAP_MB} MB heap`] });
      }, fail);
    };
    const start = () => {
      const w = new Worker(__filename, { workerData: { kind: KIND, tree, settings } satisfies Init, resourceLimits: WORKER_LIMITS });
      workers.add(w);
      let cur = -1;
      const give = () => {
        if (next >= order.length) return;
        cur = order[next++];
        const f = files[cur];
        const facts = known?.facts(f);
        w.postMessage({ i: cur, file: { display: f.display, abs: f.abs, ...(f.note ? { note: f.note } : {}) }, all, cls: classes[cur], ...(facts ? { facts } : {}) } satisfies Task);
      };
      w.on('message', (m: Reply) => {
        if (failed) return;
        if ('fatal' in m) { finish(new Error(`worker thread: ${m.fatal}`)); return; }
        if ('error' in m) { finish(new Error(`${files[m.i].display}: ${m.error}`)); return; }
        cur = -1;
        if (m.stats) stats.set(w, m.stats);
        answered(m.i, m.result);
        give();
      });
      w.on('error', e => {
        if (failed) return;
        if ((e as NodeJS.ErrnoException).code !== 'ERR_WORKER_OUT_OF_MEMORY' || cur < 0) { fail(e); return; }
        workers.delete(w);
        onMainThread(cur);
        if (next < order.length) start();
      });
      w.on('exit', code => { if (workers.has(w) && !failed && done < files.length) finish(new Error(`worker thread exited (code ${code}) before the check was done`)); });
      // messages wait in the worker's queue until its parser is loaded
      planned.then(m => { if (failed || done === files.length) return; if (m) w.postMessage(m); give(); }, fail);
    };
    planned.then(() => {
      if (failed || done === files.length) return;
      // what the scan's shares left on this thread goes before the workers grow
      if (files.length >= BIG_RUN) collectGarbage();
      for (let k = 0; k < Math.max(1, Math.min(jobs, order.length)); k++) start();
    }, fail);
  });
}

/** The index statistics of the main thread's part: the scan, and the results it answered from the cache. */
function scanStats(scan: ScanResult, resultHits: number, notes: string[]): IndexStats {
  const skipped = notes.find(n => /^cache (not used:|\S+ cannot be used)/.test(n));
  return {
    scannedFiles: scan.files.length, scannedBytes: scan.bytes, scanMs: Math.round(scan.ms), reusedScan: scan.reused,
    analysed: 0, memoryHits: 0, diskHits: 0, resultHits, discarded: notes.filter(n => n.startsWith('discarded')).length, ambiguous: 0,
    ...(skipped ? { cacheSkipped: skipped } : {}),
  };
}

/** The workers' index statistics together: one scan shared by all, the rest added up. */
function sumStats(all: IndexStats[]): IndexStats {
  const out = { ...all[0] };
  for (const s of all.slice(1)) {
    for (const k of ['analysed', 'memoryHits', 'diskHits', 'resultHits', 'discarded', 'ambiguous'] as const) out[k] += s[k];
    out.cacheSkipped ??= s.cacheSkipped;
  }
  return out;
}

/** The indexes `which` of `files`, largest first (a big file last would keep one worker busy while the others idle), equal sizes in input order. */
function largestFirst(files: SourceFile[], which: number[]): number[] {
  const size = (f: SourceFile) => { try { return fs.statSync(f.abs).size; } catch { return 0; } };
  const sizes = new Map(which.map(i => [i, size(files[i])]));
  return [...which].sort((a, b) => sizes.get(b)! - sizes.get(a)! || a - b);
}
