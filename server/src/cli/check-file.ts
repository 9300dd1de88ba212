// One file of `pinlens check`: load, select (select.ts: can it have a finding
// at all?), analyse in its tree (index/facts.ts: the --tree index's helper
// summaries, field fills and callers, from the index's disk cache when the
// same text was checked with the same facts before), and the plain result the
// formats print. The same function runs on the main thread (sequential) and
// in the worker threads (parallel.ts), so both give the same answer.
import { createHash } from 'crypto';
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import type { ExternalSummaries } from '../core/analyse';
import type { CheckSettings, FileAnalysis, Settings } from '../core/types';
import { type TreeFacts, analyseInTree, cachedInTree } from '../index/facts';
import { type ResultLookup, type TreeIndex, settingsJson, usableCacheDir } from '../index/tree';
import { type CachedResult, type KnownFacts, type Selection as SelectionData, SelectionStore, buildFingerprint } from '../index/cache';
import type { ScanResult } from '../index/scan';
import { CLASSIFIED, MAY_TAKE_HELPERS, NAMES_API, type Skipped, acquiresOrReleases, classifyText } from '../index/select';
import type { FileResult } from './format';
import { SourceFile, load, statNote } from './files';

/**
 * How a file is chosen: `all` checks every file; else `cls`, the class the
 * definition scan found (0: unknown, read it). `facts`: what a run of the same
 * tree (same build, settings and stamps) learnt about it (KnownSkips).
 */
export interface Selection { all: boolean; cls?: number; facts?: KnownFacts }

/** The same empty list for every skipped file (tens of thousands in a whole tree): never written to. */
const NONE: never[] = Object.freeze([]) as unknown as never[];

export function skippedResult(file: SourceFile, why: Skipped): FileResult {
  return { file: file.display, findings: NONE, callSites: NONE, functions: 0, notes: NONE, skipped: why };
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

/**
 * checkFile()'s answer for a file it would not read (its walk note, not a
 * regular file, too big), known from its status alone; else undefined.
 */
export function unreadResult(file: SourceFile): FileResult | undefined {
  let note: string | undefined;
  if (file.note && file.text === undefined) note = file.note;
  else try { note = statNote(file.abs); } catch { return undefined; }
  return note === undefined ? undefined : notRead({ ...file, note });
}

/** The answer for a file load() could not read (its note says why). */
export function notRead(f: SourceFile): FileResult {
  return { file: f.display, findings: [], callSites: [], functions: 0, notes: [f.note ?? 'not analysed'], selected: 'unread' };
}

export function checkFile(file: SourceFile, parser: Parser, settings: Settings, index?: TreeIndex, sel: Selection = { all: true }): FileResult {
  const f = load(file);
  if (f.text === undefined) return notRead(f);
  // facts an earlier run of the unchanged tree looked up (only with the index they came from)
  const known = index ? sel.facts : undefined;
  const chosen = choose(f, f.text, sel, known, index);
  if ('skipped' in chosen) return chosen.skipped;
  const { selected, external } = chosen;
  const { analysis: a, facts } = analyseInTree(parser, f.text, f.abs, settings,
    { index, resultCache: true, ...(known ? { facts: { external, fills: known.fills, callers: known.callers, ...(known.structs ? { structs: known.structs } : {}) } } : {}) });
  return fileResult(f, a, selected, index ? facts : undefined);
}

/**
 * checkFile()'s answer for a file whose facts an earlier run of the unchanged
 * tree remembered (`sel.facts`), straight from the result cache: no index, no
 * parser (the main thread). Undefined when it must be checked after all (not
 * in the cache, unreadable).
 */
export function knownResult(file: SourceFile, settings: Settings, lookup: ResultLookup, sel: Selection): FileResult | undefined {
  const known = sel.facts;
  if (!known || sel.all) return undefined;
  const f = load(file);
  if (f.text === undefined) return undefined;
  const chosen = choose(f, f.text, sel, known, undefined);
  if ('skipped' in chosen) return chosen.skipped;
  const facts = { external: chosen.external, fills: known.fills, callers: known.callers, ...(known.structs ? { structs: known.structs } : {}) };
  const a = cachedInTree(lookup, f.text, f.abs, settings, facts);
  return a ? fileResult(f, a, chosen.selected, facts) : undefined;
}

/** Why a loaded file is checked and its helpers' summaries (from `known`, else the index), or its skipped result. */
function choose(f: SourceFile, text: string, sel: Selection, known: KnownFacts | undefined, index: TreeIndex | undefined):
  { selected: NonNullable<FileResult['selected']>; external: ExternalSummaries | undefined } | { skipped: FileResult } {
  let selected: FileResult['selected'] = 'all';
  if (!sel.all) {
    const cls = sel.cls && sel.cls & CLASSIFIED ? sel.cls : classifyText(text);
    if (cls & NAMES_API) selected = 'api';
    else if (cls & MAY_TAKE_HELPERS && (known?.selected === 'helper' || index?.pageHelper(text, f.abs) !== undefined)) selected = 'helper';
    else return { skipped: skippedResult(f, cls & MAY_TAKE_HELPERS ? 'no-page-helper' : 'no-page-api') };
  }
  const external = known ? (known.external.length ? new Map(known.external) : undefined) : index?.summariesFor(text, f.abs);
  // no helper it calls acquires or releases: without page APIs of its own, nothing can happen to pages
  if (selected === 'helper' && !acquiresOrReleases(external?.values())) return { skipped: skippedResult(f, 'no-page-helper') };
  return { selected, external };
}

function fileResult(f: SourceFile, a: CachedResult | FileAnalysis, selected: NonNullable<FileResult['selected']>, facts: TreeFacts | undefined): FileResult {
  return {
    file: f.display, findings: a.findings, callSites: a.callSites, releaseSites: a.releaseSites, functions: a.functions, notes: f.note ? [f.note, ...a.notes] : a.notes, selected,
    ...(facts && (selected === 'api' || selected === 'helper') ? { facts: { selected, external: [...facts.external ?? []], fills: facts.fills, callers: facts.callers, ...(facts.structs ? { structs: facts.structs } : {}) } } : {}),
  };
}

/**
 * What earlier runs learnt about the tree's files: those that name page types
 * but call no helper that acquires or releases pages (skipped
 * 'no-page-helper'), and the facts the checked files were analysed with;
 * under a key of this build, the settings and every file's stamp (the
 * scan's), so a run of an unchanged tree skips those files without reading
 * them again and looks no fact up again.
 */
export class KnownSkips {
  private constructor(private readonly root: string, private readonly key: string, private readonly store: SelectionStore, private readonly known: SelectionData) {}

  static open(tree: string, scan: ScanResult | undefined, settings: CheckSettings, note: (m: string) => void = () => undefined): KnownSkips | undefined {
    const root = path.resolve(tree);
    const dir = usableCacheDir(root, undefined, note);
    if (!dir || !scan?.stamps) return undefined;
    const key = createHash('sha256').update(buildFingerprint()).update('\0').update(settingsJson(settings)).update('\0').update(scan.stamps).digest('hex');
    const store = new SelectionStore(path.join(dir, 'selection'), note);
    return new KnownSkips(root, key, store, store.load(root, key) ?? { skips: new Set(), facts: new Map() });
  }

  private rel(file: SourceFile): string | undefined {
    const rel = path.relative(this.root, path.resolve(file.abs));
    return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel;
  }

  /** Was this file (of class `cls`) found to have no page helper under the same key? */
  skips(file: SourceFile, cls: number): boolean {
    return (cls & CLASSIFIED) !== 0 && (cls & NAMES_API) === 0 && this.known.skips.has(path.relative(this.root, path.resolve(file.abs)));
  }

  /** The facts this file was checked with under the same key. */
  facts(file: SourceFile): KnownFacts | undefined {
    const rel = this.rel(file);
    return rel === undefined ? undefined : this.known.facts.get(rel);
  }

  /** Remembers this run's 'no-page-helper' files and checked files' facts (within the tree) with the earlier ones. */
  record(files: SourceFile[], results: FileResult[]): void {
    let changed = false;
    results.forEach((r, i) => {
      const rel = this.rel(files[i]);
      if (rel === undefined) return;
      if (r.skipped === 'no-page-helper' && !this.known.skips.has(rel)) { this.known.skips.add(rel); changed = true; }
      if (r.facts && !this.known.facts.has(rel)) { this.known.facts.set(rel, r.facts); changed = true; }
    });
    if (changed) this.store.save(this.root, this.key, this.known);
  }
}
