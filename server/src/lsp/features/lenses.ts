// Code lenses: one per call site saying where its pages go, one listing its
// releases, one per function summary. Plain data; convert.ts makes LSP lenses.
// A lens is a glance, kept short (the editor cuts long ones at its width): the
// mode, what goes wrong first, then where the pages go; the hover and the
// simulation view say the rest.
import type { CallSite, FileAnalysis, Finding, Range } from '../../core/types';
import { RevealReleasesArgs, RevealReleasesCommand, ShowSimulationArgs, ShowSimulationCommand } from '../../protocol';
import { plural } from '../../words';
import { distinct, handoffWords, modeLabel } from './labels';
import { lineNo } from './positions';
import { sameRange } from './steps';

export interface Lens { range: Range; title: string; command: string; args?: unknown[] }

/** Another file of the folder and its analysis (an open document's): its teardowns may release this file's pages. */
export interface Neighbour { file: string; analysis: FileAnalysis }

/** A bad release in another file of pages a call site of this one put into a struct field. */
export interface RemoteBadRelease { file: string; function: string; line: number; code: string; fill: Range }

/**
 * The bad releases other files make of the fields this file fills: a
 * teardown there judged by a fill of this file (its fills name this file) and
 * reported on its release.
 */
export function remoteBadReleases(file: string, others: Neighbour[]): RemoteBadRelease[] {
  const out: RemoteBadRelease[] = [];
  for (const o of others) {
    for (const r of o.analysis.fieldReleases ?? []) {
      const bad = o.analysis.findings.find(f => BAD_RELEASE.has(f.code) && sameRange(f.range, r.range));
      if (!bad) continue;
      for (const fill of r.fills) {
        if (fill.file && fill.file.split('/').pop() === file) out.push({ file: o.file, function: r.function, line: lineNo(r.range), code: bad.code, fill: fill.range });
      }
    }
  }
  return out;
}

/** Lenses longer than this lose their details (the hover has them). */
export const LENS_MAX = 80;

const BAD_RELEASE = new Set(['mismatched-release', 'release-without-reference', 'release-count-mismatch', 'double-release', 'bio-flag-mismatch']);

/** Findings on releases of this call site's pages: its own acquire, or the teardowns of the field it fills. */
export function badReleasesOf(cs: CallSite, findings: Finding[]): Finding[] {
  const stores = cs.handoffs.map(h => h.range).concat([cs.range]);
  const later = (cs.later ?? []).map(l => l.range);
  return findings.filter(f => BAD_RELEASE.has(f.code) && (
    (f.acquire && sameRange(f.acquire.range, cs.range))
    || later.some(r => sameRange(r, f.range))
    || (f.function !== cs.function && f.path.some(s => stores.some(r => sameRange(r, s.range))))));
}

/** e.g. `FOLL_PIN · bad release at line 20 · released by unpin_user_pages` */
export function callSiteTitle(cs: CallSite, findings: Finding[] = [], remote: RemoteBadRelease[] = []): string {
  const p = cs.paths;
  const head = [modeLabel(cs.mode)];
  const bad = badReleasesOf(cs, findings);
  const stores = [cs.range, ...cs.handoffs.map(h => h.range)];
  const far = remote.filter(x => stores.some(r => sameRange(r, x.fill)));
  if (bad.length || far.length) {
    const where = distinct([
      ...bad.map(f => f.function === cs.function ? `line ${lineNo(f.range)}` : `${f.function}()`),
      ...far.map(x => `${x.file}:${x.line}`),
    ]);
    head.push(`bad release ${where.length === 1 ? `at ${where[0]}` : `at ${where.length} places`}`);
  }
  const leaks = findings.filter(f => f.code === 'leaked-pages' && f.acquire && sameRange(f.acquire.range, cs.range));
  if (p.leaked) head.push(`${plural(p.leaked, 'path')} ${p.leaked === 1 ? 'leaks' : 'leak'}`);
  else if (leaks.length) head.push(`leaks at ${leaks.length === 1 ? `line ${lineNo(leaks[0].range)}` : `${leaks.length} places`}`);
  const tail: string[] = [];
  const rel = distinct(cs.releases.map(r => r.viaHelper ?? r.api));
  if (rel.length) tail.push(rel.length === 1 ? `released by ${rel[0]}()` : `released ${rel.length} ways`);
  // a teardown already named as the bad release is not named again
  const later = distinct((cs.later ?? []).map(l => `${l.function}()`)).filter(l => !head.some(h => h.endsWith(` ${l}`)) && !rel.some(r => `${r}()` === l));
  if (later.length) tail.push(later.length === 1 ? `released later by ${later[0]}` : `released later by ${later.length} functions`);
  const hand = distinct(cs.handoffs.map(h => handoffWords(h.kind)));
  if (hand.length) tail.push(hand.length === 1 ? hand[0] : `handed off ${hand.length} ways`);
  if (!rel.length && !hand.length && !cs.later?.length && cs.mode !== 'NONE') tail.push('never released');
  if (p.total === 0) tail.push('not simulated');
  // the details go first when the lens is too long
  const parts = [...head, ...tail];
  while (parts.length > head.length && parts.join(' · ').length > LENS_MAX) parts.pop();
  return clip(parts.join(' · '));
}

/** A function summary on the function's own line: without its name, whole clauses while they fit (the hover on the name has it all). */
export function summaryTitle(text: string): string {
  const clauses = text.replace(/^\w+\(\): /, '').split('; ');
  let title = clauses[0];
  for (let i = 1; i < clauses.length; i++) {
    if ((title + '; ' + clauses[i]).length > LENS_MAX - 10) return `${title}; +${clauses.length - i} more`;
    title += '; ' + clauses[i];
  }
  return clip(title);
}

/** Cut at a word boundary. */
function clip(t: string): string {
  if (t.length <= LENS_MAX) return t;
  const cut = t.lastIndexOf(' ', LENS_MAX - 1);
  return t.slice(0, cut > LENS_MAX / 2 ? cut : LENS_MAX - 1) + '…';
}

export function codeLenses(uri: string, a: FileAnalysis, others: Neighbour[] = []): Lens[] {
  const lenses: Lens[] = [];
  const file = decodeURIComponent(uri.replace(/[?#].*$/, '').split('/').pop() ?? '');
  const remote = others.length ? remoteBadReleases(file, others) : [];
  for (const s of a.summaries) {
    if (s.text) lenses.push({ range: s.range, title: summaryTitle(s.text), command: '' });
  }
  for (const cs of a.callSites) {
    const at = cs.range.start;
    const sim: ShowSimulationArgs = [{ uri, line: at.line, character: at.character }];
    lenses.push({ range: cs.range, title: callSiteTitle(cs, a.findings, remote), command: ShowSimulationCommand, args: sim });
    if (cs.releases.length) {
      const rev: RevealReleasesArgs = [uri, cs.releases.map(r => r.range)];
      lenses.push({ range: cs.range, title: plural(cs.releases.length, 'release'), command: RevealReleasesCommand, args: rev });
    }
  }
  return lenses;
}
