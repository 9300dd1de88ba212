// The definition scan on threads of its own, for the CLI's worker pool and the
// language server alike. Listing and reading a whole kernel tree makes a lot
// of short-lived garbage, and a thread's heap goes back to the system when it
// ends (on the main thread it would stay in the process's peak RSS); in the
// server the scan also no longer holds up the messages of the editor.
// Each bundle (out/cli.js, out/server.js) runs itself as the thread: its
// entry point asks isScanThread() first.
import { Worker, isMainThread, parentPort, workerData } from 'worker_threads';
import { mergeScans, type ScanOptions, type ScanPart, type ScanResult } from './scan';
import { scanWithCache } from './tree';

const SCAN_KIND = 'pinlens-scan-worker';
interface ScanInit { kind: typeof SCAN_KIND; tree: string; part?: ScanPart; opts?: ScanOptions }

/** Is this thread a scan thread started by scanInThreads()? */
export function isScanThread(): boolean {
  return !isMainThread && (workerData as ScanInit | undefined)?.kind === SCAN_KIND;
}

/** The scan thread's side: scan (with the scan cache), answer, end (nothing listens on the port). */
export function runScanThread(): void {
  const init = workerData as ScanInit;
  parentPort!.postMessage(scanWithCache(init.tree, undefined, init.part, init.opts));
}

/**
 * The scan of `tree` (an absolute path) on `threads` threads, a share of the
 * files each, joined; shares whose listings differ (the tree changed
 * meanwhile) give way to one whole scan. From TypeScript sources (tests run
 * through tsx) there is no bundle to start: the scan runs here.
 */
export async function scanInThreads(tree: string, threads: number, opts: ScanOptions = {}): Promise<ScanResult> {
  if (!__filename.endsWith('.js')) return scanWithCache(tree, undefined, undefined, opts);
  if (threads > 1) {
    const parts = await Promise.all(Array.from({ length: threads }, (_, index) => scanThread(tree, { index, count: threads }, opts)));
    const merged = mergeScans(parts);
    if (merged) return merged;
  }
  return scanThread(tree, undefined, opts);
}

/**
 * A scan thread's heap bound, in MB: reading a whole tree makes short-lived
 * buffers and strings that an unbounded heap keeps long after (RSS). A
 * thread that runs out is replaced by the scan on the calling thread.
 */
const SCAN_HEAP_MB = 160;

function scanThread(tree: string, part: ScanPart | undefined, opts: ScanOptions): Promise<ScanResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: { kind: SCAN_KIND, tree, ...(part ? { part } : {}), opts } satisfies ScanInit,
      resourceLimits: { maxOldGenerationSizeMb: SCAN_HEAP_MB, maxYoungGenerationSizeMb: 16 } });
    let got: ScanResult | undefined;
    w.once('message', (m: ScanResult) => { got = m; });
    w.once('error', e => ((e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' ? resolve(scanWithCache(tree, undefined, part, opts)) : reject(e)));
    w.once('exit', code => (got ? resolve(got) : reject(new Error(`the definition scan thread exited (code ${code})`))));
  });
}
