// Output formats of `pinlens check`: text (gcc/checkpatch shape), JSON
// (docs/contract.md, "The JSON document", version 1) and SARIF 2.1.0.
import { callSiteJson, findingJson } from '../core/report-json';
import { CODES, CallSite, Finding, ReleaseSite } from '../core/types';
import type { KnownFacts } from '../index/cache';
import type { IndexStats } from '../index/tree';
import type { Selected, Skipped } from '../index/select';

export interface FileResult {
  file: string;
  findings: (Finding & { patch?: 'introduced' | 'fixed' | 'unchanged' })[];
  callSites: CallSite[];
  /** every release call met and the mode of what it releases, where known */
  releaseSites?: ReleaseSite[];
  functions: number;
  notes: string[];
  /** why it was analysed (or, 'unread', only noted); absent for patch reports */
  selected?: Selected;
  /** why it was not analysed: it cannot have a finding (select.ts) */
  skipped?: Skipped;
  /** (not printed) the facts of other files it was analysed with, for the next run of the same tree (check-file.ts KnownSkips) */
  facts?: KnownFacts;
}

export interface RunStats {
  files: number; functions: number; callSites: number; ms: number; index?: IndexSummary; selection?: SelectionSummary;
  /** the build configuration the branches followed (autoconf.h under --tree) */
  config?: { file: string; options: number };
}

/** How many files were analysed and why, how many skipped and why (absent with --all-files). */
export interface SelectionSummary {
  checked: number;
  /** checked: they name a page API of the catalog (or a bio page flag) */
  namePageApi: number;
  /** checked: they call a helper of the tree that handles pages */
  callPageHelper: number;
  /** not analysed, only noted: unreadable, binary or oversized */
  unread: number;
  skipped: number;
  /** skipped: no page API, page type or hand-off named */
  noPageApi: number;
  /** skipped: page types named, but no page API and no helper that handles pages called */
  noPageHelper: number;
}

export function selectionSummary(results: FileResult[]): SelectionSummary {
  const n = (p: (r: FileResult) => boolean) => results.reduce((k, r) => k + (p(r) ? 1 : 0), 0);
  const s: SelectionSummary = {
    checked: 0, namePageApi: n(r => r.selected === 'api'), callPageHelper: n(r => r.selected === 'helper'), unread: n(r => r.selected === 'unread'),
    skipped: 0, noPageApi: n(r => r.skipped === 'no-page-api'), noPageHelper: n(r => r.skipped === 'no-page-helper'),
  };
  s.checked = s.namePageApi + s.callPageHelper + s.unread;
  s.skipped = s.noPageApi + s.noPageHelper;
  return s;
}

/** What the --tree index did in this run: how much came from the caches of earlier runs. */
export interface IndexSummary {
  /** C files of the tree whose definitions were scanned, and of them the ones unchanged since the last run (not read) */
  scannedFiles: number;
  unchangedFiles: number;
  /** helper slices summarised by the core, and summaries taken from the disk cache */
  helpersAnalysed: number;
  helpersFromCache: number;
  /** analyses of checked files that came from the disk cache (a file whose field teardowns another file's fills judge has two) */
  resultsReused: number;
  /** cache files thrown away as corrupt or foreign */
  discarded: number;
}

export function indexSummary(s: IndexStats): IndexSummary {
  return { scannedFiles: s.scannedFiles, unchangedFiles: s.reusedScan, helpersAnalysed: s.analysed, helpersFromCache: s.diskHits, resultsReused: s.resultHits, discarded: s.discarded };
}

export function toText(results: FileResult[], stats: RunStats, quiet: boolean, explain = false): string {
  const lines: string[] = [];
  for (const r of results) {
    for (const f of r.findings) {
      const mark = f.patch ? ` (${f.patch})` : '';
      lines.push(`${r.file}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity}: ${f.message} [${f.code}]${mark}`);
      if (explain) lines.push(...explanation(r.file, f));
    }
  }
  if (!quiet) {
    for (const r of results) for (const n of r.notes) lines.push(`${r.file}: note: ${n}`);
    const all = results.flatMap(r => r.findings);
    const count = (s: string) => all.filter(f => f.severity === s).length;
    lines.push(`pinlens: ${stats.files} file(s), ${stats.functions} function(s), ${stats.callSites} call site(s): ${count('error')} error(s), ${count('warning')} warning(s), ${count('information') + count('hint')} note(s) in ${stats.ms} ms`);
    const sel = stats.selection;
    if (sel) {
      lines.push(`pinlens: ${sel.checked} file(s) checked (${sel.namePageApi} name a page API, ${sel.callPageHelper} call a helper that handles pages${sel.unread ? `, ${sel.unread} unreadable` : ''}), `
        + `${sel.skipped} skipped: they cannot have a finding (${sel.noPageApi} name no page API, page type or hand-off; ${sel.noPageHelper} name page types but call no page API and no helper that handles pages; --all-files checks them too)`);
    }
    const x = stats.index;
    if (stats.config) lines.push(`pinlens: configuration: ${stats.config.file} (${stats.config.options} options): #ifdef/#if/IS_ENABLED() follow it (--no-config: not)`);
    if (x) lines.push(`pinlens: index: ${x.scannedFiles} C files scanned (${x.unchangedFiles} unchanged since the last run), ${x.helpersAnalysed} helper(s) analysed, ${x.helpersFromCache} from the cache, ${x.resultsReused} file analyses reused${x.discarded ? `, ${x.discarded} corrupt cache file(s) discarded` : ''}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** A finding's path as gcc-style notes, then what the page's counters become (--explain). */
export function explanation(file: string, f: Finding): string[] {
  const at = (r: { start: { line: number; character: number } }) => `${file}:${r.start.line + 1}:${r.start.character + 1}`;
  const out = f.path.map(s => `${at(s.range)}: note: ${s.note}`);
  const c = f.counters;
  if (c) {
    const pair = (l: typeof c.before) => `refcount ${l.small.refcount >= 0 ? '+' : ''}${l.small.refcount}, folio_maybe_dma_pinned() ${l.small.maybeDmaPinned || l.large.maybeDmaPinned ? 'true' : 'false'}`;
    out.push(`${at(f.range)}: note: a page before: ${pair(c.before)}; after: ${pair(c.after)}: ${c.consequence}`);
  }
  return out;
}

export function toJson(results: FileResult[], stats: RunStats): string {
  const findings = results.flatMap(r => r.findings.map(f => findingJson(r.file, f, f.patch ? { patch: f.patch } : undefined)));
  const callSites = results.flatMap(r => r.callSites.map(c => callSiteJson(r.file, c)));
  // (an extension: each release call and where the mode of what it releases came from)
  const releaseSites = results.flatMap(r => (r.releaseSites ?? []).map(s => ({
    file: r.file, line: s.range.start.line + 1, function: s.function, api: s.api, ...(s.via ? { via: s.via } : {}),
    modes: s.modes, provenance: s.provenance, from: s.from,
  })));
  const notes = results.flatMap(r => r.notes.map(n => ({ file: r.file, note: n })));
  return JSON.stringify({ version: 1, findings, callSites, releaseSites, notes, stats }, null, 2) + '\n';
}

const LEVEL: Record<string, string> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

export function toSarif(results: FileResult[], version: string): string {
  const rules = CODES.map(c => ({
    id: c, name: c, shortDescription: { text: c.replace(/-/g, ' ') },
    helpUri: `docs/codes/${c}.md`,
  }));
  const res = results.flatMap(r => r.findings.map(f => ({
    ruleId: f.code,
    ruleIndex: CODES.indexOf(f.code),
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [loc(r.file, f.range)],
    ...(f.path.length ? {
      codeFlows: [{ threadFlows: [{ locations: f.path.map(p => ({ location: { ...loc(r.file, p.range), message: { text: p.note } } })) }] }],
    } : {}),
    ...(f.patch ? { properties: { patch: f.patch } } : {}),
  })));
  return JSON.stringify({
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'pinlens', version, rules } }, results: res }],
  }, null, 2) + '\n';
}

function loc(file: string, range: Finding['range']) {
  return {
    physicalLocation: {
      artifactLocation: { uri: file.replace(/\\/g, '/') },
      region: { startLine: range.start.line + 1, startColumn: range.start.character + 1, endLine: range.end.line + 1, endColumn: range.end.character + 1 },
    },
  };
}
