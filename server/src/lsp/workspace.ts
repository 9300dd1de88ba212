// The server's workspace: what it knows about the files of its folders and
// keeps between requests. Per workspace folder the index (definition scan on
// a thread, rescans when .c files change); per open document its function
// cache (incremental re-analysis) and the cross-file facts looked up when it
// opened or was saved; per file the HEAD analysis its findings are marked
// against (baseline.ts). Every analysis goes through index/facts.ts, so open
// documents, files of a folder check and patch documents see the same facts.
// No LSP types: the server binds it to the connection (server.ts).
import * as path from 'path';
import { fileURLToPath } from 'url';
import type { Parser } from 'web-tree-sitter';
import { AnalysisCache } from '../core/analyze';
import type { Finding, Settings } from '../core/types';
import { TreeFacts } from '../index/facts';
import type { ScanResult } from '../index/scan';
import { scanInThreads } from '../index/scan-thread';
import { IndexStats, TreeIndex } from '../index/tree';
import { Analysed, analyse } from './analysis';
import { Baselines, Mark } from './baseline';

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
   * thread's error when it failed and the index scans on the main thread
   * instead); the end comes before the folder's documents are analysed again.
   */
  scan?(folder: string, end?: { scan?: ScanResult; error?: string }): void;
}

/** The file path of a file: URI; '' for anything else. */
export function fileOf(uri: string): string {
  if (!uri.startsWith('file:')) return '';
  try { return fileURLToPath(uri); } catch { return ''; }
}

interface FolderState {
  index?: TreeIndex;
  /** a scan is running; `again`: a .c file changed meanwhile, scan once more when it ends. */
  scanning?: { again: boolean };
  /** waiting for the index (Check Workspace). */
  waiters: ((ix: TreeIndex) => void)[];
}

interface DocState {
  cache: AnalysisCache;
  /** looked up on open and after saves and scans, not on every keystroke. */
  facts?: TreeFacts;
}

export class Workspace {
  /** workspace folders, as paths. */
  private folderPaths: string[] = [];
  private readonly folders = new Map<string, FolderState>();
  private readonly docs = new Map<string, DocState>();
  private readonly baselines: Baselines;

  constructor(private readonly host: WorkspaceHost) {
    // in a git work tree, findings are marked against the file at HEAD; when HEAD
    // moves, the open documents of that folder are analysed again (a checkout changes files on disk)
    this.baselines = new Baselines(dir => {
      this.forgetFacts();
      this.host.reanalyse(f => path.dirname(f) === dir);
    });
  }

  /** rootUri and workspace folders (file: URIs). */
  setFolders(uris: string[]): void {
    this.folderPaths = uris.map(fileOf).filter(Boolean);
  }

  /** The workspace folder holding `file` (the deepest), or undefined. */
  folderOf(file: string): string | undefined {
    return this.folderPaths.filter(f => file === f || file.startsWith(f + path.sep)).sort((a, b) => b.length - a.length)[0];
  }

  /** The index of the folder holding `file`, its scan started when there is none yet; undefined until the scan is done. */
  indexFor(file: string, parser: Parser, settings: Settings): TreeIndex | undefined {
    const folder = this.folderOf(file);
    if (!folder) return undefined;
    const st = this.stateOf(folder);
    if (!st.index && !st.scanning) this.startScan(folder, parser, settings);
    return st.index;
  }

  /** The counters of the built index of the folder holding `file` (a scan is not started). */
  indexStats(file: string): IndexStats | undefined {
    const folder = this.folderOf(file);
    return folder ? this.folders.get(folder)?.index?.stats : undefined;
  }

  /** The index of the folder holding `file` once its scan is done (undefined: no workspace folder holds it). */
  ready(file: string, parser: Parser, settings: Settings): Promise<TreeIndex | undefined> {
    const folder = this.folderOf(file);
    const ix = this.indexFor(file, parser, settings);
    if (!folder || ix) return Promise.resolve(ix);
    return new Promise(resolve => this.stateOf(folder).waiters.push(resolve));
  }

  /**
   * An open document analysed in its tree: its function cache, the facts
   * looked up once (again after saves and scans). `file` '' for a document
   * that is no file.
   */
  analyseDocument(uri: string, text: string, parser: Parser, settings: Required<Settings>): Analysed {
    const file = fileOf(uri);
    let d = this.docs.get(uri);
    if (!d) { d = { cache: new AnalysisCache() }; this.docs.set(uri, d); }
    const index = file ? this.indexFor(file, parser, settings) : undefined;
    const r = analyse(parser, text, settings, file, { index, cache: d.cache, facts: d.facts });
    if (!r.note) d.facts = r.facts;
    return r;
  }

  /** A file that is not open (a folder check), analysed in its tree once its folder's index is ready. */
  async analyseFile(file: string, text: string, parser: Parser, settings: Required<Settings>): Promise<Analysed> {
    const index = await this.ready(file, parser, settings);
    return analyse(parser, text, settings, file, { index });
  }

  /** Starts the HEAD lookup of an open document's folder (git runs while the text is analysed). */
  prepareBaseline(file: string): void {
    void this.baselines.prepare(file);
  }

  /** `r`'s findings marked against the file at HEAD, analysed in its tree with the same facts; undefined outside git. */
  marks(file: string, r: Analysed, parser: Parser, settings: Required<Settings>): Promise<Map<Finding, Mark> | undefined> {
    const index = this.indexFor(file, parser, settings);
    return this.baselines.marks(file, r, JSON.stringify(settings), r.facts,
      (text, cache) => analyse(parser, text, settings, file, { index, cache, facts: r.facts }));
  }

  /** The document closed: its cache, facts and HEAD analysis go. */
  closed(uri: string): void {
    const d = this.docs.get(uri);
    d?.cache.dispose();
    this.docs.delete(uri);
    const file = fileOf(uri);
    if (file) this.baselines.forget(file);
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
      else st.index?.filesChanged(inside);
    }
    this.forgetFacts();
    this.host.reanalyseAll();
  }

  /** The index of a folder for a patch document's tree: a workspace folder's (once scanned), else none. */
  patchIndex(root: string, parser: Parser, settings: Settings): Promise<TreeIndex | undefined> {
    return this.folderOf(root) === root ? this.ready(root, parser, settings) : Promise.resolve(undefined);
  }

  private stateOf(folder: string): FolderState {
    let st = this.folders.get(folder);
    if (!st) { st = { waiters: [] }; this.folders.set(folder, st); }
    return st;
  }

  /** What other files said is forgotten: the indexes read the tree again, documents look their facts up again. */
  private forgetFacts(): void {
    for (const st of this.folders.values()) st.index?.invalidate();
    for (const d of this.docs.values()) d.facts = undefined;
  }

  /** (Re)scans a folder on a thread; the old index, if any, serves until the new one is ready. */
  private startScan(folder: string, parser: Parser, settings: Settings): void {
    const st = this.stateOf(folder);
    st.scanning = { again: false };
    this.host.scan?.(folder);
    // the editor shows that the facts of other files are still to come
    const report = this.host.progress('pinlens: indexing', path.basename(folder));
    const ready = (index: TreeIndex) => {
      st.index = index;
      const again = st.scanning?.again;
      st.scanning = undefined;
      // the folder's open documents again, now with other files' facts (the others are not affected)
      for (const d of this.docs.entries()) if (fileOf(d[0]).startsWith(folder + path.sep)) d[1].facts = undefined;
      this.host.reanalyse(f => f.startsWith(folder + path.sep));
      for (const w of st.waiters.splice(0)) w(index);
      void report?.then(r => r?.done());
      if (again) this.startScan(folder, parser, settings);
    };
    scanInThreads(path.resolve(folder), 1).then(scan => {
      this.host.scan?.(folder, { scan });
      ready(new TreeIndex(folder, parser, settings, { scan }));
    }, err => {
      const error = err instanceof Error ? err.message : String(err);
      this.host.scan?.(folder, { error });
      // the index scans on the main thread instead, when it is first asked
      this.host.error(`pinlens: scanning ${folder} on a thread failed (${error}); scanning here`);
      ready(new TreeIndex(folder, parser, settings));
    });
  }
}
