// The server's workspace, on the main thread: its folders and their
// definition scans (each on a scan thread; rescans when .c files change), and
// the analysis threads (pool.ts) that hold the rest — each folder's index
// made from its scan, each open document's function cache and facts, the
// HEAD baselines (analyst.ts). Every analysis goes through index/facts.ts on
// an analysis thread, so open documents, files of a folder check and patch
// documents see the same facts, and none holds up the request loop.
// No LSP types: the server binds it to the connection (server.ts).
import * as path from 'path';
import type { Settings } from '../core/types';
import type { ScanResult } from '../index/scan';
import { scanInThreads } from '../index/scan-thread';
import { failedAnalysis } from './analysis';
import type { DocAnalysed, Event, Notice } from './analyst';
import { fileOf } from './files';
import { PatchAnalysed, failedPatch } from './patch';
import { AnalysisPool, RunOptions } from './pool';

export { fileOf };

export interface WorkspaceHost {
  /** work-done progress shown while a folder is indexed; undefined when the client has none. */
  progress(title: string, message: string): Promise<{ done(): void } | undefined> | undefined;
  error(message: string): void;
  /** the open documents whose file `where` accepts must be analysed again (their facts are forgotten already). */
  reanalyse(where: (file: string) => boolean): void;
  /** every open document must be analysed again (their facts are forgotten already). */
  reanalyseAll(): void;
  /**
   * A folder's definition scan started, or ended (`end`: its result, or the
   * thread's error when it failed and the index scans on an analysis thread
   * instead); the end comes before the folder's documents are analysed again.
   */
  scan?(folder: string, end?: { scan?: ScanResult; error?: string }): void;
}

interface FolderState {
  /** the scan handed to the analysis threads (scan undefined: the scan thread failed), with the .c files changed since. */
  ready?: { scan?: ScanResult; settings: Settings; changed: string[] };
  /** a scan is running; `again`: a .c file changed meanwhile, scan once more when it ends. */
  scanning?: { again: boolean };
  /** waiting for the index (Check Workspace, patch documents). */
  waiters: (() => void)[];
}

export class Workspace {
  /** workspace folders, as paths. */
  private folderPaths: string[] = [];
  private readonly folders = new Map<string, FolderState>();
  private readonly pool: AnalysisPool;

  constructor(private readonly host: WorkspaceHost) {
    this.pool = new AnalysisPool({ init: () => this.notices(), event: e => this.event(e), log: m => host.error(m) });
    // the first analysis thread starts now: it loads its parser while the client initializes
    this.pool.warm();
  }

  /** rootUri and workspace folders (file: URIs). */
  setFolders(uris: string[]): void {
    this.folderPaths = uris.map(fileOf).filter(Boolean);
    this.pool.notify({ op: 'folders', folders: this.folderPaths });
  }

  /** The workspace folder holding `file` (the deepest), or undefined. */
  folderOf(file: string): string | undefined {
    return this.folderPaths.filter(f => file === f || file.startsWith(f + path.sep)).sort((a, b) => b.length - a.length)[0];
  }

  /**
   * An open document analysed in its tree on an analysis thread (its function
   * cache, facts looked up once, HEAD marks); its folder's scan is started
   * when there is none yet (until it is done, without other files' facts).
   * Undefined: dropped (no longer wanted, cancelled).
   */
  async analyseDocument(uri: string, text: string, settings: Required<Settings>, opts: RunOptions = {}): Promise<DocAnalysed | undefined> {
    const file = fileOf(uri);
    if (file) this.ensureScan(file, settings);
    try {
      return await this.pool.run({ op: 'document', uri, text, settings }, { ...opts, uri }) as DocAnalysed | undefined;
    } catch (err) {
      return failedAnalysis(text, err);
    }
  }

  /** A file that is not open (a folder check), analysed in its tree once its folder's index is ready. */
  async analyseFile(file: string, text: string, settings: Required<Settings>, opts: RunOptions = {}): Promise<DocAnalysed | undefined> {
    await this.ready(file, settings);
    try {
      return await this.pool.run({ op: 'file', file, text, settings }, opts) as DocAnalysed | undefined;
    } catch (err) {
      return failedAnalysis(text, err);
    }
  }

  /** A patch document against the folders (file: URIs); the index of a workspace folder it applies to is waited for. */
  async analysePatch(uri: string, text: string, settings: Required<Settings>, folders: string[], opts: RunOptions = {}): Promise<PatchAnalysed | undefined> {
    try {
      return await this.pool.run({ op: 'patch', uri, text, settings, folders }, opts) as PatchAnalysed | undefined;
    } catch (err) {
      return failedPatch(text, err);
    }
  }

  /** The document closed: its cache, facts and HEAD analysis go. */
  closed(uri: string): void {
    this.pool.forget(uri);
  }

  /** Shutdown: the analysis threads end now, whatever they were doing. */
  shutdown(): void {
    this.pool.close();
  }

  /**
   * Files of the tree changed (saved, or outside the editor: a git checkout, a
   * build): every open document's facts are looked up again, and the index of
   * the folder holding a changed, created or deleted .c file reads just those
   * files again for what they define (a folder still in its first scan is
   * scanned once more when it ends: the scan may have read the file before).
   */
  filesChanged(uris: string[]): void {
    const c = uris.filter(u => /\.[ch]$/.test(u));
    if (!c.length) return;
    for (const [folder, st] of this.folders) {
      const inside = c.map(fileOf).filter(f => f.endsWith('.c') && f.startsWith(folder + path.sep));
      if (!inside.length) continue;
      if (st.scanning) st.scanning.again = true;
      else if (st.ready) {
        st.ready.changed.push(...inside);
        this.pool.notify({ op: 'filesChanged', folder, files: inside });
      }
    }
    this.pool.notify({ op: 'forgetFacts' });
    this.host.reanalyseAll();
  }

  /** The index of the folder holding `file` is with the analysis threads (at once when no workspace folder holds it). */
  private ready(file: string, settings: Settings): Promise<void> {
    const folder = this.folderOf(file);
    const st = folder ? this.ensureScan(folder, settings) : undefined;
    if (!st || st.ready) return Promise.resolve();
    return new Promise(resolve => st.waiters.push(resolve));
  }

  /** The state of the folder holding `file`, its scan started when there is none yet. */
  private ensureScan(file: string, settings: Settings): FolderState | undefined {
    const folder = this.folderOf(file);
    if (!folder) return undefined;
    const st = this.stateOf(folder);
    if (!st.ready && !st.scanning) this.startScan(folder, settings);
    return st;
  }

  /** What a new analysis thread is told first. */
  private notices(): Notice[] {
    const out: Notice[] = [{ op: 'folders', folders: this.folderPaths }];
    for (const [folder, st] of this.folders) if (st.ready) out.push({ op: 'index', folder, ...st.ready });
    return out;
  }

  private event(e: Event): void {
    if (e.event === 'needIndex') {
      // (a folder already scanned: every thread was told, before this event was handled)
      this.ensureScan(e.folder, e.settings);
    } else {
      // HEAD moved (a checkout changes files on disk): facts again, the folder's documents again
      this.pool.notify({ op: 'forgetFacts' });
      this.host.reanalyse(f => path.dirname(f) === e.dir);
    }
  }

  private stateOf(folder: string): FolderState {
    let st = this.folders.get(folder);
    if (!st) { st = { waiters: [] }; this.folders.set(folder, st); }
    return st;
  }

  /** (Re)scans a folder on a thread; the analysis threads keep the old index, if any, until the new one is ready. */
  private startScan(folder: string, settings: Settings): void {
    const st = this.stateOf(folder);
    st.scanning = { again: false };
    this.host.scan?.(folder);
    // the editor shows that the facts of other files are still to come
    const report = this.host.progress('pinlens: indexing', path.basename(folder));
    const ready = (scan: ScanResult | undefined) => {
      st.ready = { scan, settings, changed: [] };
      const again = st.scanning?.again;
      st.scanning = undefined;
      // the threads make the index and forget the facts of the folder's documents
      this.pool.notify({ op: 'index', folder, ...st.ready });
      // the folder's open documents again, now with other files' facts (the others are not affected)
      this.host.reanalyse(f => f.startsWith(folder + path.sep));
      for (const w of st.waiters.splice(0)) w();
      void report?.then(r => r?.done());
      if (again) this.startScan(folder, settings);
    };
    scanInThreads(path.resolve(folder), 1).then(scan => {
      this.host.scan?.(folder, { scan });
      ready(scan);
    }, err => {
      const error = err instanceof Error ? err.message : String(err);
      this.host.scan?.(folder, { error });
      // the index scans on the analysis thread instead, when it is first asked
      this.host.error(`pinlens: scanning ${folder} on a thread failed (${error}); scanning on the analysis thread`);
      ready(undefined);
    });
  }
}
