// The counters the kernel keeps on a folio, as mm/gup.c (6.12) changes them:
//   try_grab_folio():  FOLL_GET -> refcount += 1
//                      FOLL_PIN -> large folio: refcount += 1, _pincount += 1
//                                  small folio: refcount += GUP_PIN_COUNTING_BIAS
//   gup_put_folio():   the exact reverse for FOLL_PIN; put_page()/folio_put()
//                      drop one reference whatever the page holds.
//   folio_maybe_dma_pinned(): large: _pincount > 0; small: refcount >= BIAS.
// Counters here are this caller's contribution on top of the page's other
// users, which we model as 1 (the mapping that keeps the page alive).
import type { Family, LedgerState, Mode, PageCounters } from './types';

export const GUP_PIN_COUNTING_BIAS = 1024;

export interface Folio { large: boolean; refcount: number; pincount: number }

export function freshFolio(large: boolean): Folio {
  return { large, refcount: 1, pincount: 0 };
}

export function grab(f: Folio, mode: Mode): Folio {
  if (mode === 'GET') return { ...f, refcount: f.refcount + 1 };
  if (mode === 'PIN') {
    return f.large
      ? { ...f, refcount: f.refcount + 1, pincount: f.pincount + 1 }
      : { ...f, refcount: f.refcount + GUP_PIN_COUNTING_BIAS };
  }
  return f; // NONE: iov_iter_extract_pages on a kernel-backed iterator takes nothing
}

export function drop(f: Folio, family: Family | 'unpin' | 'put'): Folio {
  if (family === 'unpin') {
    return f.large
      ? { ...f, refcount: f.refcount - 1, pincount: f.pincount - 1 }
      : { ...f, refcount: f.refcount - GUP_PIN_COUNTING_BIAS };
  }
  return { ...f, refcount: f.refcount - 1 };
}

export function maybeDmaPinned(f: Folio): boolean {
  return f.large ? f.pincount > 0 : f.refcount >= GUP_PIN_COUNTING_BIAS;
}

/** The caller's contribution, as shown to users (the baseline 1 subtracted). */
export function contribution(f: Folio): PageCounters {
  return { refcount: f.refcount - 1, pincount: f.pincount, maybeDmaPinned: maybeDmaPinned(f) };
}

/** Both folio sizes, as the ledger carries them. */
export interface FolioPair { small: Folio; large: Folio }

export function pairFor(mode: Mode): FolioPair {
  return { small: grab(freshFolio(false), mode), large: grab(freshFolio(true), mode) };
}

export function dropPair(p: FolioPair, family: Family): FolioPair {
  return { small: drop(p.small, family), large: drop(p.large, family) };
}

export function ledger(holder: string, mode: Mode, state: string, count: string, p: FolioPair): LedgerState {
  return { holder, mode, state, count, small: contribution(p.small), large: contribution(p.large) };
}

/**
 * One sentence on what a page in this state means for the rest of the kernel.
 * Refcounts here are absolute: the page's other users count as 1.
 */
export function consequence(p: FolioPair, mode: Mode): string {
  const s = p.small, l = p.large;
  if (s.refcount < 1 || l.pincount < 0) {
    return `the release underflows the page: a small folio's refcount drops to ${s.refcount} with its users still holding 1, a large folio's _pincount to ${l.pincount}, so the page can be freed while mapped or under I/O (use-after-free; page_ref and VM_BUG_ON_FOLIO warnings with debug options), and a negative _pincount hides later real pins from fork()`;
  }
  if (maybeDmaPinned(s) || l.pincount > 0) {
    return `the pin is never dropped: a small folio's refcount stays at ${s.refcount} (GUP_PIN_COUNTING_BIAS is ${GUP_PIN_COUNTING_BIAS}) and a large folio keeps _pincount ${l.pincount}, so folio_maybe_dma_pinned() stays true — fork() copies the page instead of sharing it, reclaim and migration skip it as pinned, and it is never freed`;
  }
  if (s.refcount > 1) {
    return `a reference is never dropped: the refcount stays at ${s.refcount} where its users hold 1, so the page is never freed (memory leak)`;
  }
  return mode === 'NONE' ? 'the pages carried no reference to begin with' : 'the page counters are back where they started';
}

/** How pages of a mode are held, in a finding's words: `pinned`, `referenced`, else `extracted (pinned if user-backed)`. */
export function heldWords(mode: Mode): string {
  return mode === 'PIN' ? 'pinned' : mode === 'GET' ? 'referenced' : 'extracted (pinned if user-backed)';
}
