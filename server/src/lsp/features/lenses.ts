// Code lenses: one per call site saying where its pages go, one listing its
// releases, one per function summary. Plain data; convert.ts makes LSP lenses.
import type { CallSite, FileAnalysis, Range } from '../../core/types';
import { RevealReleasesArgs, RevealReleasesCommand, ShowSimulationArgs, ShowSimulationCommand } from '../../protocol';
import { distinct, modeLabel, plural } from './labels';

export interface Lens { range: Range; title: string; command: string; args?: unknown[] }

/** e.g. `FOLL_PIN · released by unpin_user_pages (2 paths) · 1 path leaks` */
export function callSiteTitle(cs: CallSite): string {
  const parts = [modeLabel(cs.mode)];
  const p = cs.paths;
  if (cs.releases.length) {
    const by = distinct(cs.releases.map(r => r.viaHelper ? `${r.viaHelper} (${r.api})` : r.api)).join(', ');
    parts.push(`released by ${by} (${plural(p.released, 'path')})`);
  }
  if (cs.handoffs.length) {
    parts.push(`handed to ${distinct(cs.handoffs.map(h => h.kind)).join(', ')} (${plural(p.handedOff, 'path')})`);
  }
  if (cs.later?.length) parts.push(`released later by ${distinct(cs.later.map(l => `${l.function} (${l.api})`)).join(', ')}`);
  if (!cs.releases.length && !cs.handoffs.length && !cs.later?.length && cs.mode !== 'NONE') parts.push('never released');
  if (p.leaked) parts.push(`${plural(p.leaked, 'path')} ${p.leaked === 1 ? 'leaks' : 'leak'}`);
  if (p.total === 0) parts.push('not simulated');
  return parts.join(' · ');
}

export function codeLenses(uri: string, a: FileAnalysis): Lens[] {
  const lenses: Lens[] = [];
  for (const s of a.summaries) {
    if (s.text) lenses.push({ range: s.range, title: s.text, command: '' });
  }
  for (const cs of a.callSites) {
    const at = cs.range.start;
    const sim: ShowSimulationArgs = [{ uri, line: at.line, character: at.character }];
    lenses.push({ range: cs.range, title: callSiteTitle(cs), command: ShowSimulationCommand, args: sim });
    if (cs.releases.length) {
      const rev: RevealReleasesArgs = [uri, cs.releases.map(r => r.range)];
      lenses.push({ range: cs.range, title: plural(cs.releases.length, 'release'), command: RevealReleasesCommand, args: rev });
    }
  }
  return lenses;
}
