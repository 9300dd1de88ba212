// What a long run does to keep its memory small, in one place: a full garbage
// collection asked for by the program, and strings copied out of the larger
// strings V8 would otherwise keep for them.

import * as v8 from 'v8';
import * as vm from 'vm';

let gc: (() => void) | null | undefined;

/**
 * A full collection of the calling thread, now. V8 collects a thread's heap
 * late when the thread looks idle or its heap bound is high: the CLI's main
 * thread only waits for its workers, and the language server's analysis
 * threads wait for the next edit; what their last piece of work left would
 * stay in the process's RSS until much later. Does nothing where V8 does not
 * let a program ask for it.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  try { gc?.(); } catch { /* not offered: V8 collects when it will */ }
}

/**
 * The same string, as one run of characters of its own. V8 keeps what a string
 * was made from as long as the string lives: a path path.join() built keeps its
 * pieces, linked (150–200 bytes per path: a whole tree's walk kept 53 MB for
 * 60,000 files' two paths), and a name matched in a file's text keeps the whole
 * text. For strings kept long, many of them. (A string UTF-8 cannot carry, with
 * a lone surrogate, stays as it was.)
 */
export function ownString(s: string): string {
  const copy = Buffer.from(s).toString();
  return copy === s ? copy : s;
}
