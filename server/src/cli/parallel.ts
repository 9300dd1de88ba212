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
import { loadParser } from '../host/treesitter';
import { TreeIndex } from '../index/tree';
import { ScanResult, scanTree } from '../index/scan';
import { checkFile } from './check-file';
import type { SourceFile } from './files';
import type { FileResult } from './format';

/** Fewer files than this are checked on the main thread (starting workers costs more). */
export const PARALLEL_MIN_FILES = 8;
const MAX_DEFAULT_JOBS = 4;

const KIND = 'pinlens-check-worker';

interface Init { kind: typeof KIND; tree?: string; settings: Settings; scan?: ScanResult }
interface Task { i: number; file: SourceFile }
type Reply = { i: number; result: FileResult } | { i: number; error: string } | { fatal: string };

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
    const index = init.tree ? new TreeIndex(init.tree, parser, init.settings, { scan: init.scan }) : undefined;
    port.on('message', (task: Task | null) => {
      if (!task) { port.close(); return; }
      let reply: Reply;
      try {
        reply = { i: task.i, result: checkFile(task.file, parser, init.settings, index) };
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
 */
export function checkParallel(files: SourceFile[], tree: string | undefined, settings: Settings, jobs: number,
  progress?: (done: number, file: SourceFile) => void): Promise<FileResult[]> {
  const results: FileResult[] = new Array(files.length);
  const workers: Worker[] = [];
  let order: number[] = [];
  let next = 0, done = 0, failed = false;
  return new Promise<FileResult[]>((resolve, reject) => {
    const finish = (err?: Error) => {
      if (failed) return;
      if (err) failed = true;
      for (const w of workers) void w.terminate();
      if (err) reject(err); else resolve(results);
    };
    const give = (w: Worker) => {
      if (next < files.length) {
        const i = order[next++];
        w.postMessage({ i, file: { display: files[i].display, abs: files[i].abs, ...(files[i].note ? { note: files[i].note } : {}) } } satisfies Task);
      }
    };
    // one definition scan of the tree for all workers (each would redo it)
    const init: Init = { kind: KIND, tree, settings, ...(tree ? { scan: scanTree(path.resolve(tree)) } : {}) };
    for (let k = 0; k < Math.max(1, Math.min(jobs, files.length)); k++) {
      const w = new Worker(__filename, { workerData: init });
      workers.push(w);
      w.on('message', (m: Reply) => {
        if (failed) return;
        if ('fatal' in m) { finish(new Error(`worker thread: ${m.fatal}`)); return; }
        if ('error' in m) { finish(new Error(`${files[m.i].display}: ${m.error}`)); return; }
        results[m.i] = m.result;
        done++;
        progress?.(done, files[m.i]);
        if (done === files.length) finish();
        else give(w);
      });
      w.on('error', e => finish(e instanceof Error ? e : new Error(String(e))));
      w.on('exit', code => { if (done < files.length) finish(new Error(`worker thread exited (code ${code}) before the check was done`)); });
    }
    // while the workers start: largest files first, equal sizes in input order
    const size = (f: SourceFile) => { try { return fs.statSync(f.abs).size; } catch { return 0; } };
    const sizes = files.map(size);
    order = files.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
    for (const w of workers) give(w);
  });
}
