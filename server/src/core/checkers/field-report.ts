// How the file-level findings about a struct field's pages (the checkers'
// onFieldRelease and onFileEnd hooks) are written: the finding at a release,
// free or reset of a function of the file, where the field was filled, and
// the fill's steps on the path.
import type { KeyedRelease } from '../fields';
import type { Code, FieldFill, FieldFlag, PathStep, Range } from '../types';
import type { FindingDraft } from './checker';

/** `fill_fn() in other.c (line 12)`: where a field was filled. */
export const whereOf = (fill: FieldFill) => `${fill.function}()${fill.file ? ` in ${fill.file}` : ''} (line ${fill.range.start.line + 1})`;

/** A finding of `code` at `r` (a release, free or reset) in its function; the severity is added, and the settings applied, by analyse.ts. */
export function fieldFinding(code: Code, r: { fn: string; range: Range }, rest: Omit<FindingDraft, 'code' | 'function' | 'range'>): FindingDraft {
  return { code, function: r.fn, range: r.range, ...rest };
}

/** The fill's step on the path (a fill in another file has no range in this one: the path starts at the release). */
export function fillSteps(fill: FieldFill, r: KeyedRelease): PathStep[] {
  if (fill.file) return [];
  const steps: PathStep[] = [{ range: fill.range, note: `${fill.function}(): ${r.key} filled by ${fill.api}() (${fill.mode})` }];
  if (fill.flag) steps.push({ range: fill.flag.range, note: `${fill.function}(): ${fill.flag.field} = iov_iter_extract_will_pin(), the flag that says whether they were pinned` });
  return steps.sort((a, b) => a.range.start.line - b.range.start.line);
}

/** What a teardown of extracted pages tests to know they were pinned: the fills' common flag, or the predicate itself. */
export const flagTest = (flag?: FieldFlag) => (flag ? `${flag.pinned ? '' : '!'}${flag.field}` : 'iov_iter_extract_will_pin()');
