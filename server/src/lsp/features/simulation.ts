// pinlens/simulation: the path behind the finding or call site at a position.
// An exact hit beats a hit on the same line; a finding beats a call site.
import type { CallSite, FileAnalysis, Finding, PathStep, Position } from '../../core/types';
import type { SimulationResult } from '../../protocol';
import { modeLabel } from './labels';
import { contains } from './positions';

export function simulationAt(a: FileAnalysis, pos: Position): SimulationResult | undefined {
  const onLine = (r: { range: { start: Position; end: Position } }) => r.range.start.line <= pos.line && pos.line <= r.range.end.line;
  const f = a.findings.find(x => contains(x.range, pos));
  if (f) return fromFinding(f);
  const cs = a.callSites.find(x => contains(x.range, pos));
  if (cs) return fromCallSite(cs);
  const f2 = a.findings.find(onLine);
  if (f2) return fromFinding(f2);
  const cs2 = a.callSites.find(onLine);
  return cs2 && fromCallSite(cs2);
}

function lastLedger(steps: PathStep[]) {
  for (let i = steps.length - 1; i >= 0; i--) if (steps[i].ledger) return steps[i].ledger;
  return undefined;
}

function fromFinding(f: Finding): SimulationResult {
  return {
    title: `${f.code}: ${f.message}`, function: f.function, api: f.acquire?.api, mode: f.acquire?.mode,
    steps: f.path, final: f.counters?.after ?? lastLedger(f.path),
  };
}

function fromCallSite(cs: CallSite): SimulationResult {
  return {
    title: `${cs.api} (${modeLabel(cs.mode)})`, function: cs.function, api: cs.api, mode: cs.mode,
    steps: cs.trace, final: lastLedger(cs.trace),
  };
}
