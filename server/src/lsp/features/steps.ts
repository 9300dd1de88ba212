// The few steps of a finding's path that tell its story in a list of problems:
// the acquire, the branches that decided something about the pages (its
// outcome, the iterator's backing, a bio's flags) and the step that breaks the
// rule. The whole path stays in the hover and the simulation view.
import type { Finding, PathStep, Range } from '../../core/types';

export const KEY_STEPS = 4;

export function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character &&
    a.end.line === b.end.line && a.end.character === b.end.character;
}

/** At most `max` steps of the path, in path order: acquire, the last deciding branches, the bad step. */
export function keySteps(f: Finding, max = KEY_STEPS): PathStep[] {
  const path = f.path;
  if (path.length <= Math.min(max, 3)) return path;
  const keep = new Set<number>();
  const acq = f.acquire ? path.findIndex(s => sameRange(s.range, f.acquire!.range)) : -1;
  keep.add(acq >= 0 ? acq : 0);
  let bad = -1;
  for (let i = path.length - 1; i >= 0 && bad < 0; i--) if (sameRange(path[i].range, f.range)) bad = i;
  keep.add(bad >= 0 ? bad : path.length - 1);
  // the deciding branches nearest the bad step
  for (let i = path.length - 1; i >= 0 && keep.size < max; i--) if (path[i].decides && !keep.has(i)) keep.add(i);
  return [...keep].sort((a, b) => a - b).map(i => path[i]);
}
