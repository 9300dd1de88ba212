// A full garbage collection of the calling thread, asked for by the program.
// V8 collects a thread's heap late when the thread looks idle or its heap
// bound is high: the CLI's main thread only waits for its workers, and the
// language server's analysis threads wait for the next edit; what their last
// piece of work left would stay in the process's RSS until much later.
import * as v8 from 'v8';
import * as vm from 'vm';

let gc: (() => void) | null | undefined;

/** Collects now; does nothing where V8 does not let a program ask for it. */
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
