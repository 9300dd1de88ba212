// Progress of a long `pinlens check` on stderr: files done of the total and
// the folder being checked, one line rewritten in place. Only for a person
// watching: stderr must be a terminal, not with -q, and not when a JSON or
// SARIF report goes down a pipe; and only once the run has taken longer than
// AFTER_MS (a short run prints nothing at all).
import * as path from 'path';

/** Shown once the run has taken this long (PINLENS_PROGRESS_AFTER_MS overrides it: tests). */
const AFTER_MS = 1500;
/** At most this often. */
const EVERY_MS = 100;

export interface ProgressWhen { quiet: boolean; format: 'text' | 'json' | 'sarif' }

/** Whether this run shows progress at all. */
export function progressWanted(o: ProgressWhen, stderr: { isTTY?: boolean } = process.stderr, stdout: { isTTY?: boolean } = process.stdout): boolean {
  if (!stderr.isTTY || o.quiet) return false;
  return o.format === 'text' || !!stdout.isTTY;
}

export class Progress {
  private shown = false;
  private last = 0;
  private readonly after: number;
  constructor(private readonly total: number, private readonly out: NodeJS.WriteStream = process.stderr, private readonly started = Date.now()) {
    const env = Number(process.env.PINLENS_PROGRESS_AFTER_MS);
    this.after = Number.isFinite(env) && env >= 0 ? env : AFTER_MS;
  }

  /** `done` files of the total are done; `file` (its display path) was the last. */
  tick(done: number, file: string): void {
    const now = Date.now();
    if (now - this.started < this.after || (now - this.last < EVERY_MS && done < this.total)) return;
    this.last = now;
    this.shown = true;
    const width = Math.max(40, (this.out.columns || 80) - 1);
    let line = `pinlens: ${done}/${this.total} files, ${path.dirname(file)}/`;
    if (line.length > width) line = line.slice(0, width);
    this.out.write(`\r${line}\x1b[K`);
  }

  /** Clears the line (the report follows on stdout). */
  end(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
