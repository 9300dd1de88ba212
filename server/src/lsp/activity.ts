// What the server tells the editor about its own work, kept out of server.ts:
// the workspace index being built (a notification the status bar follows, so
// that a file is not shown clean while other files' helpers are still to
// come) and, for the Output channel, what was analysed, how long it took,
// what the caches gave and every file skipped with why.
import type { Connection } from 'vscode-languageserver';
import type { IndexStats } from '../index/tree';
import type { ScanResult } from '../index/scan';
import { IndexingNotification, IndexingParams } from '../protocol';
import type { Analysed } from './analysis';
import { plural } from '../words';

function kb(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${Math.round(bytes / 1024)} KB`;
}

export class Activity {
  private readonly indexing = new Map<string, number>();

  constructor(private readonly conn: Connection) {}

  indexStarted(folder: string): void {
    this.indexing.set(folder, performance.now());
    this.conn.console.info(`indexing ${folder}: looking for the definitions of helpers (other files' helpers are used once this is done)`);
    this.send({ folder, indexing: true });
  }

  indexDone(folder: string, scan: ScanResult | undefined, error?: string): void {
    const t0 = this.indexing.get(folder) ?? performance.now();
    this.indexing.delete(folder);
    const ms = performance.now() - t0;
    if (scan) {
      this.conn.console.info(`indexed ${folder} in ${ms.toFixed(0)} ms: ${plural(scan.files.length, 'C file')} (${kb(scan.bytes)}) scanned in ${scan.ms.toFixed(0)} ms, ${scan.reused} reused from the cache${scan.notes.length ? `, ${scan.notes.length} skipped` : ''}`);
      for (const n of scan.notes) this.conn.console.warn(`skipped by the index: ${n}`);
    } else {
      this.conn.console.warn(`indexed ${folder} in ${ms.toFixed(0)} ms on the main thread${error ? ` (the scan thread failed: ${error})` : ''}`);
    }
    this.send({ folder, indexing: false, ms: Math.round(ms), files: scan?.files.length, skipped: scan?.notes.length });
  }

  /** One line per analysis of an open document. */
  analysed(uri: string, version: number, r: Analysed, helpers: number | undefined, stats: IndexStats | undefined): void {
    const a = r.analysis;
    const parts = [
      `${plural(a.functions, 'function')}, ${plural(a.callSites.length, 'call site')}, ${plural(a.findings.length, 'finding')}`,
      helpers === undefined ? 'no helpers from other files yet' : `${plural(helpers, 'helper summary')} from other files`,
    ];
    if (stats) parts.push(`index cache: ${stats.memoryHits} in memory, ${stats.diskHits} on disk, ${stats.analysed} analysed${stats.discarded ? `, ${stats.discarded} discarded` : ''}`);
    this.conn.console.info(`analysed ${uri} v${version} in ${r.ms.toFixed(1)} ms: ${parts.join('; ')}`);
    if (r.note) this.conn.console.warn(`skipped ${uri}: ${r.note.message.replace(/^pinlens: /, '')}`);
    for (const n of a.notes) this.conn.console.info(`note on ${uri}: ${n}`);
  }

  private send(p: IndexingParams): void {
    void this.conn.sendNotification(IndexingNotification, p);
  }
}
