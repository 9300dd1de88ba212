// Functions a file installs as callbacks: the kernel reaches teardowns and
// completions through ops tables (`.release = xdev_release`), kref_put()'s
// release argument, work items, RCU and timer callbacks, and function pointers
// stored in fields (`bio->bi_end_io = xdev_end_io`), not by name. Findings and
// call sites use this to say how such a function runs: a put_page() in
// xdev_release() matters because the VFS calls it as file_operations.release.
import { Node, calleeName, callArgs, norm, rangeOf, strip } from './syntax';
import type { CallSite, LaterRelease, PathStep, Range } from './types';

export interface Installed {
  /** how the function is reached, as a reader would say it: `.release of struct file_operations xdev_fops` */
  how: string;
  /** where it is installed */
  range: Range;
}

/** Calls that take a callback, with its argument position and what the callback is. */
const CALLBACK_ARGS: Record<string, { arg: number; what: string }> = {
  kref_put: { arg: 1, what: 'the kref release of' },
  kref_put_mutex: { arg: 1, what: 'the kref release of' },
  kref_put_lock: { arg: 1, what: 'the kref release of' },
  INIT_WORK: { arg: 1, what: 'the work function of' },
  INIT_DELAYED_WORK: { arg: 1, what: 'the work function of' },
  INIT_RCU_WORK: { arg: 1, what: 'the work function of' },
  call_rcu: { arg: 1, what: 'the RCU callback of' },
  call_srcu: { arg: 2, what: 'the SRCU callback of' },
  timer_setup: { arg: 1, what: 'the timer callback of' },
  hrtimer_setup: { arg: 1, what: 'the timer callback of' },
  kthread_run: { arg: 0, what: 'the thread function of' },
  kthread_create: { arg: 0, what: 'the thread function of' },
  mmu_interval_notifier_insert: { arg: 4, what: 'the notifier ops of' },
};

/**
 * Where each function of `defined` is installed as a callback in this file,
 * by function name. A function may be installed several times.
 */
export function installedCallbacks(root: Node, defined: Set<string>): Map<string, Installed[]> {
  const out = new Map<string, Installed[]>();
  const add = (fn: string, how: string, at: Node) => {
    if (!defined.has(fn)) return;
    const list = out.get(fn) ?? [];
    if (!list.some(i => i.how === how)) list.push({ how, range: rangeOf(at) });
    out.set(fn, list);
  };
  const fnName = (n: Node | null | undefined): string | undefined => {
    if (!n) return undefined;
    const s = strip(n);
    const id = s.type === 'pointer_expression' && s.text.startsWith('&') ? s.childForFieldName('argument') : s;
    return id?.type === 'identifier' ? id.text : undefined;
  };
  // `.release = xdev_release` in the initializer of `struct file_operations xdev_fops`
  for (const pair of root.descendantsOfType('initializer_pair')) {
    if (!pair) continue;
    const fn = fnName(pair.childForFieldName('value'));
    const field = pair.childForFieldName('designator')?.text ?? pair.namedChildren[0]?.text;
    if (!fn || !field?.startsWith('.')) continue;
    add(fn, `${field} of ${tableOf(pair)}`, pair);
  }
  for (const call of root.descendantsOfType('call_expression')) {
    const name = call ? calleeName(call) : undefined;
    const spec = name ? CALLBACK_ARGS[name] : undefined;
    if (!call || !spec) continue;
    const args = callArgs(call);
    const fn = fnName(args[spec.arg]);
    const obj = spec.arg > 0 ? norm(args[0]?.text ?? '') : '';
    if (fn) add(fn, `${spec.what} ${name}(${obj}${obj ? ', ' : ''}…) on line ${call.startPosition.row + 1}`, call);
  }
  // `bio->bi_end_io = xdev_end_io;`
  for (const a of root.descendantsOfType('assignment_expression')) {
    const left = a?.childForFieldName('left');
    const fn = fnName(a?.childForFieldName('right'));
    if (!a || !left || !fn || strip(left).type !== 'field_expression') continue;
    add(fn, `stored in ${norm(left.text)} on line ${a.startPosition.row + 1}`, a);
  }
  return out;
}

/** `struct file_operations xdev_fops`, or what can be said of the table an initializer belongs to. */
function tableOf(n: Node): string {
  for (let p: Node | null = n.parent; p; p = p.parent) {
    if (p.type !== 'declaration' && p.type !== 'init_declarator') continue;
    const decl = p.type === 'init_declarator' ? p.parent : p;
    const type = decl?.childForFieldName('type')?.text;
    const declarator = (p.type === 'init_declarator' ? p : p.namedChildren.find(c => c?.type === 'init_declarator'))?.childForFieldName('declarator');
    const name = declarator?.text.replace(/\[.*$/, '').replace(/^\*+/, '');
    if (type) return `${type.replace(/\s+/g, ' ')}${name ? ` ${name}` : ''}`;
  }
  return 'an initializer';
}

/** One sentence: how a function is reached when nobody in the file calls it by name. */
export function reachedAs(fn: string, installed: Map<string, Installed[]>): string | undefined {
  const list = installed.get(fn);
  if (!list?.length) return undefined;
  const first = list[0];
  return `${fn}() runs as ${first.how}${first.how.includes(' on line ') ? '' : ` (line ${first.range.start.line + 1})`}${list.length > 1 ? ` and ${list.length - 1} more` : ''}`;
}

interface Store { key: string; range: Range; fn: string }
interface FieldRelease { key: string; field: string; api: string; range: Range; fn: string }
interface Located { function: string; range: Range; path: PathStep[] }

const sameRange = (a: Range, b: Range) => a.start.line === b.start.line && a.start.character === b.start.character
  && a.end.line === b.end.line && a.end.character === b.end.character;
const inside = (r: Range, outer: Range) => (r.start.line > outer.start.line || (r.start.line === outer.start.line && r.start.character >= outer.start.character))
  && (r.end.line < outer.end.line || (r.end.line === outer.end.line && r.end.character <= outer.end.character));

/**
 * Says where pages go after a function hands them to a struct field, and how
 * callbacks run: each call site whose pages are stored into a field that
 * another function of the file releases lists that release (`later`); each
 * finding in a function nobody here calls by name, but that is installed as a
 * callback, gets a path step naming the installation. Returns new objects
 * (the inputs may be cached results).
 */
export function explainOwnership<C extends CallSite, F extends Located>(callSites: C[], findings: F[], stores: Store[], releases: FieldRelease[],
  installed: () => Map<string, Installed[]>, called: Set<string>, fnRanges: Map<string, Range>): { callSites: C[]; findings: F[] } {
  // (`installed` walks the whole file: asked for only when a function nobody calls by name matters)
  const via = (fn: string) => (called.has(fn) ? undefined : reachedAs(fn, installed()));
  const sites = callSites.map(cs => {
    // the acquire itself fills the field, or a store hands its pages to one
    const keys = new Set(stores.filter(s => s.fn === cs.function
      && (sameRange(s.range, cs.range) || cs.handoffs.some(h => sameRange(h.range, s.range)))).map(s => s.key));
    const later: LaterRelease[] = releases.filter(r => keys.has(r.key) && r.fn !== cs.function).map(r => {
      const how = via(r.fn);
      return { function: r.fn, api: r.api, range: r.range, field: r.key, ...(how ? { via: how } : {}) };
    });
    return later.length ? { ...cs, later } : cs;
  });
  const out = findings.map(f => {
    const how = via(f.function);
    const own = fnRanges.get(f.function);
    if (!how || !own) return f;
    const step = { range: installed().get(f.function)![0].range, note: how };
    // a path that comes from another function (a field filled elsewhere) reaches this one through the callback
    const at = f.path.some(s => !inside(s.range, own)) ? Math.max(0, f.path.length - 1) : 0;
    return { ...f, path: [...f.path.slice(0, at), step, ...f.path.slice(at)] };
  });
  return { callSites: sites, findings: out };
}
