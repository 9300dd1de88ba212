// One file of `pinlens check`: load, select (select.ts: can it have a finding
// at all?), analyse in its tree (index/facts.ts: the --tree index's helper
// summaries, field fills and callers, from the index's disk cache when the
// same text was checked with the same facts before), and the plain result the
// formats print. The same function runs on the main thread (sequential) and
// in the worker threads (parallel.ts), so both give the same answer.
import { createHash } from 'crypto';
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import type { CheckSettings, Settings } from '../core/types';
import { analyseInTree } from '../index/facts';
import { type TreeIndex, settingsJson, usableCacheDir } from '../index/tree';
import { SelectionStore, buildFingerprint } from '../index/cache';
import type { ScanResult } from '../index/scan';
import { CLASSIFIED, MAY_TAKE_HELPERS, NAMES_API, type Skipped, acquiresOrReleases, classifyText } from '../index/select';
import type { FileResult } from './format';
import { SourceFile, load } from './files';

/** How a file is chosen: `all` checks every file; else `cls`, the class the definition scan found (0: unknown, read it). */
export interface Selection { all: boolean; cls?: number }

export function skippedResult(file: SourceFile, why: Skipped): FileResult {
  return { file: file.display, findings: [], callSites: [], functions: 0, notes: [], skipped: why };
}

/** The definition scan's class of each file (0 where the scan did not read it: outside the tree, oversized, unreadable). */
export function scanClasses(files: SourceFile[], scan: ScanResult | undefined): Uint8Array {
  const out = new Uint8Array(files.length);
  if (!scan) return out;
  const at = new Map<string, number>();
  scan.files.forEach((f, i) => at.set(f, i));
  files.forEach((f, i) => {
    const k = at.get(path.resolve(f.abs));
    if (k !== undefined) out[i] = scan.classes[k];
  });
  return out;
}

/** A class that rules the file out without reading it (it names no page API, no page type, no hand-off). */
export const skippedByClass = (cls: number): boolean => (cls & CLASSIFIED) !== 0 && (cls & (NAMES_API | MAY_TAKE_HELPERS)) === 0;

export function checkFile(file: SourceFile, parser: Parser, settings: Settings, index?: TreeIndex, sel: Selection = { all: true }): FileResult {
  const f = load(file);
  if (f.text === undefined) return { file: f.display, findings: [], callSites: [], functions: 0, notes: [f.note ?? 'not analysed'], selected: 'unread' };
  let selected: FileResult['selected'] = 'all';
  if (!sel.all) {
    const cls = sel.cls && sel.cls & CLASSIFIED ? sel.cls : classifyText(f.text);
    if (cls & NAMES_API) selected = 'api';
    else if (cls & MAY_TAKE_HELPERS && index?.pageHelper(f.text, f.abs) !== undefined) selected = 'helper';
    else return skippedResult(f, cls & MAY_TAKE_HELPERS ? 'no-page-helper' : 'no-page-api');
  }
  const external = index?.summariesFor(f.text, f.abs);
  // no helper it calls acquires or releases: without page APIs of its own, nothing can happen to pages
  if (selected === 'helper' && !acquiresOrReleases(external?.values())) return skippedResult(f, 'no-page-helper');
  const { analysis: a } = analyseInTree(parser, f.text, f.abs, settings, { index, resultCache: true });
  return { file: f.display, findings: a.findings, callSites: a.callSites, releaseSites: a.releaseSites, functions: a.functions, notes: f.note ? [f.note, ...a.notes] : a.notes, selected };
}

/**
 * What earlier runs learnt about the tree's files that name page types but
 * call no helper that acquires or releases pages (skipped 'no-page-helper'):
 * under a key of this build, the settings and every file's stamp (the scan's),
 * so a run of an unchanged tree skips them without reading them again.
 */
export class KnownSkips {
  private constructor(private readonly root: string, private readonly key: string, private readonly store: SelectionStore, private readonly known: Set<string>) {}

  static open(tree: string, scan: ScanResult | undefined, settings: CheckSettings, note: (m: string) => void = () => undefined): KnownSkips | undefined {
    const root = path.resolve(tree);
    const dir = usableCacheDir(root, undefined, note);
    if (!dir || !scan?.stamps) return undefined;
    const key = createHash('sha256').update(buildFingerprint()).update('\0').update(settingsJson(settings)).update('\0').update(scan.stamps).digest('hex');
    const store = new SelectionStore(path.join(dir, 'selection'), note);
    return new KnownSkips(root, key, store, store.load(root, key) ?? new Set());
  }

  /** Was this file (of class `cls`) found to have no page helper under the same key? */
  skips(file: SourceFile, cls: number): boolean {
    return (cls & CLASSIFIED) !== 0 && (cls & NAMES_API) === 0 && this.known.has(path.relative(this.root, path.resolve(file.abs)));
  }

  /** Remembers this run's 'no-page-helper' files (within the tree) with the earlier ones. */
  record(files: SourceFile[], results: FileResult[]): void {
    const before = this.known.size;
    results.forEach((r, i) => {
      if (r.skipped !== 'no-page-helper') return;
      const rel = path.relative(this.root, path.resolve(files[i].abs));
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) this.known.add(rel);
    });
    if (this.known.size !== before) this.store.save(this.root, this.key, this.known);
  }
}
