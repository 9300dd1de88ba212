// Walks a folder for C sources (*.c, *.h) for pinlens/checkFolder. Follows
// symbolic links but enters each real directory once (no loops), skips hidden
// and node_modules folders, and reports files over the size limit as skipped.
import { promises as fs } from 'fs';
import * as path from 'path';

export interface Walk { skipped: string[]; cancelled: () => boolean }

export async function* walkC(root: string, maxSize: number, w: Walk): AsyncGenerator<string> {
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length) {
    if (w.cancelled()) return;
    const dir = stack.pop()!;
    let real: string;
    try { real = await fs.realpath(dir); } catch { continue; }
    if (seen.has(real)) continue;
    seen.add(real);
    let entries;
    try { entries = await fs.readdir(dir, { withFileTypes: true }); } catch { w.skipped.push(dir); continue; }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      let isDir = e.isDirectory(), isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = await fs.stat(p).catch(() => undefined);
        if (!st) continue; // dangling link
        isDir = st.isDirectory(); isFile = st.isFile();
      }
      if (isDir) {
        if (!e.name.startsWith('.') && e.name !== 'node_modules') stack.push(p);
      } else if (isFile && /\.[ch]$/.test(e.name)) {
        const st = await fs.stat(p).catch(() => undefined);
        if (!st) continue;
        if (st.size > maxSize) { w.skipped.push(p); continue; }
        yield p;
      }
    }
  }
}

/** The file's text, or undefined when it cannot be read or is binary. */
export async function readSource(file: string): Promise<string | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  return text === undefined || text.includes('\0') ? undefined : text;
}
