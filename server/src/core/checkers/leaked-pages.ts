// leaked-pages — every path hands back or hands on what it took.
//
// Rule: when a path leaves the function, pages it obtained are released,
// stored (struct field, global, out-parameter), returned, or given to an owner
// (bio, sg table, skb, a callee whose summary takes them).
// False-positive policy: pages passed to a callee we cannot see are assumed
// taken; pages in an array owned by the caller (a parameter, a field of an
// object) are the caller's on success; a parameter array is reported only when
// the path returns an error, an object's field only when the function releases
// that field itself on other paths (else its teardown does); paths where the acquire obtained nothing are not leaks; the
// function's end after a noreturn call is still an end (we do not model them);
// acquires inside a loop fill an array across iterations the simulation
// folds into one, so their leaks are not claimed — except a return inside the
// loop body that acquired, and one page per iteration into a local array left
// behind by an error return.
import { consequence, ledger } from '../counters';
import { mayHold } from '../ledger';
import type { Node } from '../syntax';
import type { Checker } from './checker';

const LOOPS = new Set(['for_statement', 'while_statement', 'do_statement']);

/** `exit` is inside the innermost loop that contains `acquire`. */
function sameLoop(acquire: Node, exit: Node, body: Node): boolean {
  let loop: Node | null = acquire.parent;
  while (loop && loop.id !== body.id && !LOOPS.has(loop.type)) loop = loop.parent;
  if (!loop || loop.id === body.id) return false;
  return exit.startIndex >= loop.startIndex && exit.endIndex <= loop.endIndex;
}

export const leakedPages: Checker = {
  code: 'leaked-pages',
  onExit(cx, st, ev) {
    for (const set of st.sets) {
      if (set.site < 0 || set.state !== 'held' || set.escaped || set.partial) continue;
      if (set.mode === 'NONE' || set.mode === 'UNKNOWN') continue;
      const s0 = cx.sites.find(s => s.id === set.site);
      // one page per iteration into a local array: when a later iteration fails,
      // the earlier slots are still held
      const earlier = !!s0?.perElement && !cx.isCallerOwned(set.holder) && ev.error;
      if (!mayHold(set) && !earlier) continue;
      const callerOwned = cx.isCallerOwned(set.holder) || set.countVars.includes('<returned>');
      if (callerOwned && !ev.error) continue;
      // an object's array is released by the object's teardown, which may run on
      // errors too — unless this function releases it itself on other paths
      if (callerOwned && /->|\./.test(set.holder) && !cx.releasesHere(set.holder)) continue;
      const site = cx.sites.find(s => s.id === set.site);
      // acquires in a loop fill their holders across iterations the simulation
      // folds into one: not judged (but see `earlier`) — except a return inside
      // the same loop body, which leaves this iteration's pages behind
      if (!site || (site.inLoop && !earlier && !(ev.node && sameLoop(site.call, ev.node, cx.fn.body)))) continue;
      const partial = set.outcomes.includes('partial') && !set.outcomes.includes('full');
      const what = set.mode === 'PIN' ? 'pinned' : set.mode === 'GET' ? 'referenced' : 'extracted (pinned if user-backed)';
      const where = ev.node ? `returns here${ev.value ? ` (${ev.value})` : ''}` : 'ends';
      cx.report(st, {
        code: 'leaked-pages', node: ev.node ?? cx.fn.body.lastChild ?? cx.fn.body, set, step: 'leaves the function still holding the pages',
        message: `${set.holder} ${what} by ${site.api.name}() (line ${site.call.startPosition.row + 1})${partial ? ' — a partial result —' : ''} ${callerOwned ? 'belong to the caller only on success, but ' : 'are neither released nor handed on when '}the function ${where}`,
        counters: {
          before: ledger(set.holder, set.mode, 'held', site.requested, set.folios),
          after: ledger(set.holder, set.mode, 'leaked', site.requested, set.folios),
          consequence: consequence(set.folios, set.mode),
        },
      });
    }
  },
};
