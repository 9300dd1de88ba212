// pinlens/simulation: the paths behind the finding or call site at a position.
// An exact hit beats a hit on the same line; a finding beats a call site. The
// answer tells the story of the finding: the failing path first (the finding
// clicked, then the other findings on pages of the same acquire), then the
// call site's representative path; the step that breaks the rule is flagged
// and carries the counters after it; extracted pages whose backing the path
// does not know show their counters both ways.
import { GUP_PIN_COUNTING_BIAS } from '../../core/counters';
import type { CallSite, FileAnalysis, Finding, LedgerState, PathStep, Position } from '../../core/types';
import type { SimulationPath, SimulationResult, SimulationStep } from '../../protocol';
import { modeLabel } from './labels';
import { contains, lineNo } from './positions';
import { sameRange } from './steps';

export function simulationAt(a: FileAnalysis, pos: Position): SimulationResult | undefined {
  const onLine = (r: { range: { start: Position; end: Position } }) => r.range.start.line <= pos.line && pos.line <= r.range.end.line;
  const shown = a.findings.filter(f => f.path.length);
  const f = shown.find(x => contains(x.range, pos)) ?? (a.callSites.some(x => contains(x.range, pos)) ? undefined : shown.find(onLine));
  const cs = f ? siteOf(a, f) : a.callSites.find(x => contains(x.range, pos)) ?? a.callSites.find(onLine);
  if (!f && !cs) return undefined;
  const paths: SimulationPath[] = [];
  if (f) paths.push(findingPath(f));
  if (cs) {
    // the other findings on the same acquire: errors first
    const others = shown.filter(x => x !== f && x.acquire && sameRange(x.acquire.range, cs.range))
      .sort((x, y) => rank(x) - rank(y));
    for (const o of others) paths.push(findingPath(o));
    if (cs.trace.length) paths.push(tracePath(cs));
  }
  const first = paths[0];
  return {
    title: f ? `${f.code}: ${f.message}` : `${cs!.api} (${modeLabel(cs!.mode)})`,
    function: f?.function ?? cs!.function,
    api: f?.acquire?.api ?? cs?.api,
    mode: f?.acquire?.mode ?? cs?.mode,
    steps: first?.steps ?? [],
    final: first?.final,
    paths,
  };
}

const RANK: Record<string, number> = { error: 0, warning: 1, information: 2, hint: 3 };
function rank(f: Finding): number {
  return RANK[f.severity] ?? 4;
}

function siteOf(a: FileAnalysis, f: Finding): CallSite | undefined {
  return f.acquire ? a.callSites.find(c => sameRange(c.range, f.acquire!.range)) : undefined;
}

function lastLedger(steps: PathStep[]): LedgerState | undefined {
  for (let i = steps.length - 1; i >= 0; i--) if (steps[i].ledger) return steps[i].ledger;
  return undefined;
}

function findingPath(f: Finding): SimulationPath {
  const steps = f.path.map(viewStep);
  // the step that breaks the rule is the last on the finding's own range; it shows the counters after it
  let bad = -1;
  for (let i = steps.length - 1; i >= 0 && bad < 0; i--) if (sameRange(steps[i].range, f.range)) bad = i;
  if (bad < 0) bad = steps.length - 1;
  if (bad >= 0) {
    const after = f.counters?.after;
    steps[bad] = { ...steps[bad], flagged: true, ...(after ? { ledger: after, ifPinned: pinnedView(after) } : {}) };
  }
  return {
    label: `${f.code} at line ${lineNo(f.range)}`, code: f.code, message: f.message, steps,
    final: f.counters?.after ?? lastLedger(f.path), consequence: f.counters?.consequence,
  };
}

function tracePath(cs: CallSite): SimulationPath {
  const p = cs.paths;
  const how = p.leaked ? 'a path' : p.released ? 'a path that releases them' : p.handedOff ? 'a path that hands them on' : 'a path';
  return { label: `${cs.api}() on line ${lineNo(cs.range)}: ${how}`, steps: cs.trace.map(viewStep), final: lastLedger(cs.trace) };
}

function viewStep(s: PathStep): SimulationStep {
  const pinned = s.ledger && pinnedView(s.ledger);
  return pinned ? { ...s, ifPinned: pinned } : { ...s };
}

/**
 * Extracted pages whose iterator the path has not decided hold a pin if it is
 * user-backed and nothing if it is kernel-backed: the ledger carries the
 * kernel-backed counters, this the user-backed ones.
 */
function pinnedView(l: LedgerState): LedgerState | undefined {
  if (l.mode !== 'EXTRACT') return undefined;
  const small = { refcount: l.small.refcount + GUP_PIN_COUNTING_BIAS, pincount: l.small.pincount, maybeDmaPinned: false };
  small.maybeDmaPinned = small.refcount + 1 >= GUP_PIN_COUNTING_BIAS;
  const large = { refcount: l.large.refcount + 1, pincount: l.large.pincount + 1, maybeDmaPinned: false };
  large.maybeDmaPinned = large.pincount > 0;
  return { ...l, mode: 'PIN', small, large };
}

