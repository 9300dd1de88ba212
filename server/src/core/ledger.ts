// The page ledger of one simulated path: which page sets it holds, in which
// mode, what the path knows about how many pages each acquire obtained, and
// the bios, iterators and booleans that decide how pages must be released.
// States are copied at every fork; nothing here is shared between paths.
import type { AcquireApi } from './apis';
import { FolioPair, pairFor } from './counters';
import type { Node } from './syntax';
import type { Family, Mode, PathStep } from './types';

/** What the acquire's return value may be on this path. */
export type Outcome = 'neg' | 'zero' | 'partial' | 'full';
export const ALL_OUTCOMES: Outcome[] = ['neg', 'zero', 'partial', 'full'];

export interface AcquireSite {
  id: number;
  api: AcquireApi | { name: string; kind: 'summary'; helper: string };
  call: Node;
  /** the mode the call alone decides (EXTRACT until the iterator is known). */
  mode: Mode;
  modeReason: string;
  holder: string;
  /** requested count, normalised text ('' when unknown) */
  requested: string;
  /** byte-count APIs: the requested size, normalised text */
  requestedBytes?: string;
  iter?: string;
  /** the acquire fills one slot of an array per loop iteration. */
  perElement: boolean;
  /** for per-slot acquires: the count one call asks for (`1`). */
  unit?: string;
  /** the acquire runs inside a loop: earlier iterations may hold pages when this one fails. */
  inLoop: boolean;
  /** the slot the pages start at (`&map[y]` -> `y`), '' for the array's start. */
  offset: string;
  returns: string;
}

export interface PageSet {
  site: number;
  holder: string;
  mode: Mode;
  outcomes: Outcome[];
  state: 'held' | 'released' | 'handed-off';
  /** given to a callee that may keep or release them: not a leak. */
  escaped: boolean;
  /** some but not all pages released (pages[0] outside a loop). */
  partial: boolean;
  /** variables holding the number obtained. */
  countVars: string[];
  folios: FolioPair;
  releasedAt?: { node: Node; api: string; via?: string };
  handoff?: { node: Node; kind: string };
  /** how many places the path stored the pages in (a field, an out-parameter): freeing one of several loses nothing */
  stores?: number;
  /** a parameter's pages, seeded for the function's summary. */
  param?: number;
  /** for a parameter whose mode came from its callers: where the pages were taken (`pin_user_pages_fast() in its caller foo() (line 62)`) */
  origin?: { api: string; text: string };
  /** see AcquireSite.offset */
  offset: string;
  /**
   * pages taken into one slot of an array inside a loop (`pages + i`, `&pages[nr]`):
   * for each name that counts the slots (the index, the count it was read from),
   * how far that name stands past this slot on this path (0: the slot is not
   * counted yet; 1: advanced past it). An unwind over `[0, name)` covers the
   * slot exactly when this is 1 at its start.
   */
  cover?: Record<string, number>;
  /** the slot's index as the acquire wrote it (`i`), for messages */
  slot?: string;
}

/** `gone`: the function's own bio was handed on (submitted, passed to a callee, stored, returned): its pages are no longer this path's to release. */
export interface BioState { flags: string[]; sets: number[]; local: boolean; addedAt: Node[]; gone?: boolean }

export interface PendingRelease { set: number; family: Family; api: string; helper: string; call: number; argText: string; escaped: boolean }

export interface Trail { step: PathStep; prev: Trail | null; len: number }

export interface State {
  node: number;
  sets: PageSet[];
  aliases: Record<string, number>;
  /** local booleans: true/false, or `pin:<iter>` when they hold iov_iter_extract_will_pin(). */
  bools: Record<string, boolean | string>;
  /** variables holding a negative errno on this path. */
  neg: string[];
  /** variables known to hold 0 on this path (a release of 0 pages is a no-op). */
  zero: string[];
  /**
   * pointers to a zero-filled allocation (`req = kzalloc(…)`) -> the fields
   * written since (`req->f = …`, `&req->f` given to an initialiser): every
   * other field is still 0/NULL on this path
   */
  zeroed: Record<string, string[]>;
  /** variables known to be non-zero on this path (`if (ret)` taken). */
  nonzero: string[];
  /** `ret = helper(pages)` where the helper releases the pages exactly when it fails: ret -> that release, decided when ret is tested */
  pending: Record<string, PendingRelease>;
  iters: Record<string, 'user' | 'kernel'>;
  /** conditions tested more than once in the function, as this path decided them */
  conds: Record<string, boolean>;
  /** `i = nr`: a variable copied from an acquire's requested count (for `while (i--)` unwinds) */
  copies: Record<string, string>;
  /** pointers into an array (`p = pages + n`): p -> pages */
  derived: Record<string, string>;
  /** a slot index read from a count (`i = obj->nr`): i -> that count, and how far the count moved since (`obj->nr++`: 1) */
  slotOf: Record<string, { of: string; d: number }>;
  bios: Record<string, BioState>;
  visits: Record<number, number>;
  /** acquire calls already evaluated in the current condition: call node id -> set index */
  temps: Record<number, number>;
  /**
   * struct fields whose pages (not tracked as a set: the caller's object) this
   * path released whole, with the count it gave; forgotten when the field or
   * that count is written again (`obj->nr = 0`)
   */
  relFields: Record<string, { line: number; api: string; count: string; field: string; at: number; via?: string }>;
  /** keys of the effects on parameters this path has had (for the summary) */
  effects: string[];
  trail: Trail | null;
}

export function initialState(entry: number): State {
  return { node: entry, relFields: {}, sets: [], aliases: {}, bools: {}, neg: [], zero: [], zeroed: {}, nonzero: [], pending: {}, iters: {}, derived: {}, slotOf: {}, conds: {}, copies: {}, bios: {}, visits: {}, temps: {}, effects: [], trail: null };
}

export function cloneState(s: State): State {
  return {
    node: s.node,
    relFields: { ...s.relFields },
    sets: s.sets.map(p => ({ ...p, outcomes: [...p.outcomes], countVars: [...p.countVars], ...(p.cover ? { cover: { ...p.cover } } : {}) })),
    aliases: { ...s.aliases },
    bools: { ...s.bools },
    neg: [...s.neg],
    zero: [...s.zero],
    zeroed: Object.fromEntries(Object.entries(s.zeroed).map(([k, f]) => [k, [...f]])),
    nonzero: [...s.nonzero],
    pending: { ...s.pending },
    iters: { ...s.iters },
    derived: { ...s.derived },
    slotOf: Object.fromEntries(Object.entries(s.slotOf).map(([k, v]) => [k, { ...v }])),
    conds: { ...s.conds },
    copies: { ...s.copies },
    bios: Object.fromEntries(Object.entries(s.bios).map(([k, b]) => [k, { ...b, flags: [...b.flags], sets: [...b.sets], addedAt: [...b.addedAt] }])),
    visits: { ...s.visits },
    temps: { ...s.temps },
    effects: [...s.effects],
    trail: s.trail,
  };
}

/** The key under which two states at the same node are the same future. */
export function stateKey(s: State): string {
  const sets = s.sets.map(p => [p.site, p.holder, p.mode, p.outcomes.join(''), p.state, p.escaped ? 1 : 0, p.partial ? 1 : 0, p.stores ?? 0, p.countVars.join(','), p.folios.small.refcount, p.folios.large.pincount, p.cover ? JSON.stringify(p.cover) : ''].join(':'));
  const zeroed = Object.keys(s.zeroed).sort().map(k => [k, [...s.zeroed[k]].sort()]);
  return JSON.stringify([s.node, sets, s.aliases, s.bools, s.neg, s.zero, zeroed, s.nonzero, s.pending, s.iters, s.derived, s.slotOf, s.conds, s.copies, s.bios && Object.entries(s.bios).map(([k, b]) => [k, b.flags, b.sets, b.local, b.gone ? 1 : 0]), s.visits, s.effects, s.relFields]);
}

export function newSet(site: AcquireSite, mode: Mode, outcomes: Outcome[]): PageSet {
  return {
    site: site.id, holder: site.holder, mode, outcomes, state: 'held', escaped: false, partial: false,
    countVars: [], folios: pairFor(mode), offset: site.offset,
  };
}

export function pushStep(s: State, step: PathStep): void {
  s.trail = { step, prev: s.trail, len: (s.trail?.len ?? 0) + 1 };
}

export function trailSteps(t: Trail | null): PathStep[] {
  const out: PathStep[] = [];
  for (let c = t; c; c = c.prev) out.push(c.step);
  return out.reverse();
}

/** Pages may be present on this path (the acquire obtained some). */
export function mayHold(p: PageSet): boolean {
  return p.outcomes.includes('partial') || p.outcomes.includes('full');
}

export function holdsNothing(p: PageSet): boolean {
  return !mayHold(p);
}
