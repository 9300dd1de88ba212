// The long work of the server, on an analysis thread (lsp/pool.ts starts the
// threads; from TypeScript sources, or when no thread can start, one Analyst
// runs on the main thread instead). It owns what an analysis needs between
// runs: a parser, each workspace folder's TreeIndex (made from the
// definition scan the main thread hands over), each document's function
// cache with its last parse tree and cross-file facts, and the HEAD
// baselines. Plain data in and out (the messages below); no LSP types.
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { AnalysisCache } from '../core/analyse';
import type { Settings } from '../core/types';
import { loadParser } from '../host/treesitter';
import type { TreeFacts } from '../index/facts';
import type { ScanResult } from '../index/scan';
import { IndexStats, TreeIndex } from '../index/tree';
import { Analysed, analyse } from './analysis';
import { Baselines } from './baseline';
import { PatchAnalysed, analysePatch } from './patch';
import { fileOf } from './files';

/** What the main thread asks for; each answered by one Reply with its id. */
export type Job =
  /** an open document (its function cache, facts, HEAD marks) */
  | { op: 'document'; uri: string; text: string; settings: Required<Settings> }
  /** a file that is not open (Check Workspace, a hover on a closed file), its folder's index ready */
  | { op: 'file'; file: string; text: string; settings: Required<Settings> }
  /** a patch document against the folders (file: URIs) */
  | { op: 'patch'; uri: string; text: string; settings: Required<Settings>; folders: string[] };

export interface DocAnalysed extends Analysed {
  /** the counters of the index of the document's folder, for the log. */
  stats?: IndexStats;
}

export type JobResult = DocAnalysed | PatchAnalysed;

/** What the main thread tells every analysis thread (no answer). */
export type Notice =
  /** the workspace folders (paths) */
  | { op: 'folders'; folders: string[] }
  /**
   * A folder's index: its definition scan (none: the thread's scan failed,
   * the index scans itself when first asked), the settings it was started
   * with, and the .c files changed since the scan.
   */
  | { op: 'index'; folder: string; scan?: ScanResult; settings: Settings; changed: string[] }
  /** .c files of a folder changed: its index reads them again. */
  | { op: 'filesChanged'; folder: string; files: string[] }
  /** other files changed (saves, a HEAD move): indexes read the tree again, documents look their facts up again. */
  | { op: 'forgetFacts' }
  /** a document closed (or moved to another thread): its cache, facts and HEAD analysis go. */
  | { op: 'closed'; uri: string };

/** What an analysis thread tells the main thread of its own accord. */
export type Event =
  /** a patch document needs the index of a workspace folder that has none yet: start its scan. */
  | { event: 'needIndex'; folder: string; settings: Settings }
  /** HEAD of a folder's git work tree moved: the open documents of `dir` must be analysed again. */
  | { event: 'headChanged'; dir: string };

interface DocState {
  cache: AnalysisCache;
  /** looked up on open and after saves and scans, not on every keystroke. */
  facts?: TreeFacts;
}

/**
 * Characters of tree files' texts each folder's index keeps on an analysis
 * thread (the index's default, 48M, is 50–100 MB of strings per thread, and a
 * Check Workspace of a kernel tree fills it: two or three threads would be
 * past the server's 300 MB alone). The CLI's workers keep as many.
 */
const TEXT_CACHE_CHARS = 12 * 1024 * 1024;

interface FolderIndex { scan?: ScanResult; settings: Settings; changed: string[]; index?: TreeIndex }

export class Analyst {
  private folderPaths: string[] = [];
  private readonly folders = new Map<string, FolderIndex>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly docs = new Map<string, DocState>();
  private readonly baselines: Baselines;
  private readonly parser: Promise<Parser> = loadParser();

  constructor(private readonly emit: (e: Event) => void) {
    // in a git work tree, findings are marked against the file at HEAD; when HEAD
    // moves, the open documents of that folder are analysed again (a checkout changes files on disk)
    this.baselines = new Baselines(dir => this.emit({ event: 'headChanged', dir }));
  }

  notice(n: Notice): void {
    switch (n.op) {
      case 'folders': this.folderPaths = n.folders; break;
      case 'index':
        this.folders.set(n.folder, { scan: n.scan, settings: n.settings, changed: [...n.changed] });
        for (const d of this.docs.entries()) if (fileOf(d[0]).startsWith(n.folder + path.sep)) d[1].facts = undefined;
        for (const w of this.waiting.get(n.folder)?.splice(0) ?? []) w();
        break;
      case 'filesChanged': {
        const f = this.folders.get(n.folder);
        if (f?.index) f.index.filesChanged(n.files);
        else f?.changed.push(...n.files);
        break;
      }
      case 'forgetFacts':
        for (const f of this.folders.values()) f.index?.invalidate();
        for (const d of this.docs.values()) d.facts = undefined;
        break;
      case 'closed': {
        this.docs.get(n.uri)?.cache.dispose();
        this.docs.delete(n.uri);
        const file = fileOf(n.uri);
        if (file) this.baselines.forget(file);
        break;
      }
    }
  }

  async run(job: Job): Promise<JobResult> {
    const parser = await this.parser;
    switch (job.op) {
      case 'document': return this.document(parser, job.uri, job.text, job.settings);
      case 'file': return analyse(parser, job.text, job.settings, job.file, { index: this.indexOf(job.file, parser) });
      case 'patch': return analysePatch(parser, job.uri, job.text, job.settings, job.folders, root => this.patchIndex(root, parser, job.settings));
    }
  }

  /** An open document analysed in its tree: its function cache, the facts looked up once (again after saves and scans), marked against HEAD. */
  private async document(parser: Parser, uri: string, text: string, settings: Required<Settings>): Promise<DocAnalysed> {
    const file = fileOf(uri);
    if (file) void this.baselines.prepare(file); // git runs while the text is analysed
    let d = this.docs.get(uri);
    if (!d) { d = { cache: new AnalysisCache() }; this.docs.set(uri, d); }
    const index = file ? this.indexOf(file, parser) : undefined;
    const r: DocAnalysed = analyse(parser, text, settings, file, { index, cache: d.cache, facts: d.facts });
    if (!r.note) d.facts = r.facts;
    if (index) r.stats = index.stats;
    if (!file) return r;
    const marks = await this.baselines.marks(file, r, JSON.stringify(settings), r.facts,
      (t, cache) => analyse(parser, t, settings, file, { index, cache, facts: r.facts }));
    return marks ? { ...r, marks } : r;
  }

  /** The workspace folder holding `file` (the deepest), or undefined. */
  private folderOf(file: string): string | undefined {
    return this.folderPaths.filter(f => file === f || file.startsWith(f + path.sep)).sort((a, b) => b.length - a.length)[0];
  }

  /** The index of the folder holding `file`, once the main thread has handed over its scan. */
  private indexOf(file: string, parser: Parser): TreeIndex | undefined {
    const folder = this.folderOf(file);
    const f = folder === undefined ? undefined : this.folders.get(folder);
    if (!f || folder === undefined) return undefined;
    if (!f.index) {
      f.index = new TreeIndex(folder, parser, f.settings, { textCacheChars: TEXT_CACHE_CHARS, ...(f.scan ? { scan: f.scan } : {}) });
      if (f.changed.length) f.index.filesChanged(f.changed.splice(0));
      f.scan = undefined; // the index holds it
    }
    return f.index;
  }

  /** A patch document's tree: a workspace folder's index (waited for: the main thread scans it), else none. */
  private async patchIndex(root: string, parser: Parser, settings: Settings): Promise<TreeIndex | undefined> {
    if (this.folderOf(root) !== root) return undefined;
    if (!this.folders.has(root)) {
      const ready = new Promise<void>(resolve => {
        const w = this.waiting.get(root) ?? [];
        w.push(resolve);
        this.waiting.set(root, w);
      });
      this.emit({ event: 'needIndex', folder: root, settings });
      await ready;
    }
    return this.indexOf(root, parser);
  }
}
