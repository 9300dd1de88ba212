// Reading the files to check: folder walks (no symlink loops), size and
// binary checks, decoding. Problems become notes, never exceptions.
import * as fs from 'fs';
import * as path from 'path';
import { ownString } from '../host/memory';

export interface SourceFile { display: string; abs: string; text?: string; note?: string }

export const MAX_BYTES = 8 * 1024 * 1024;

/** localeCompare()'s order (the default locale's collation), made once: localeCompare() makes it per call. */
const ORDER = new Intl.Collator();

export function walk(root: string, display: string, out: SourceFile[], seen = new Set<string>()): void {
  let real: string;
  try { real = fs.realpathSync(root); } catch (e) { out.push({ display, abs: root, note: `unreadable: ${(e as Error).message}` }); return; }
  if (seen.has(real)) return;
  seen.add(real);
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(root, { withFileTypes: true }); } catch (e) { out.push({ display, abs: root, note: `unreadable folder: ${(e as Error).message}` }); return; }
  entries.sort((a, b) => ORDER.compare(a.name, b.name));
  for (const e of entries) {
    const abs = ownString(path.join(root, e.name));
    const disp = ownString(path.join(display, e.name));
    if (e.isSymbolicLink()) {
      let st: fs.Stats;
      try { st = fs.statSync(abs); } catch { continue; }
      if (st.isDirectory()) walk(abs, disp, out, seen);
      else if (st.isFile() && /\.[ch]$/.test(e.name)) out.push({ display: disp, abs });
    } else if (e.isDirectory()) {
      if (e.name === '.git' || e.name === 'node_modules') continue;
      walk(abs, disp, out, seen);
    } else if (e.isFile() && /\.[ch]$/.test(e.name)) out.push({ display: disp, abs });
  }
}

/** Reads one file; sets text, or note when it cannot be analysed. */
export function load(f: SourceFile, maxBytes = MAX_BYTES): SourceFile {
  // the walk could not read it (a folder without permission): its note stays
  if (f.note && f.text === undefined) return f;
  let buf: Buffer;
  try {
    const why = statNote(f.abs, maxBytes);
    if (why) return { ...f, note: why };
    buf = fs.readFileSync(f.abs);
  } catch (e) {
    return { ...f, note: `unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  return { ...f, ...decode(buf) };
}

/** Why load() would not read the file, from its status alone (not a regular file, too big); undefined: it would. Throws what stat throws. */
export function statNote(abs: string, maxBytes = MAX_BYTES): string | undefined {
  const st = fs.statSync(abs);
  if (!st.isFile()) return 'not a regular file';
  if (st.size > maxBytes) return `skipped: ${st.size} bytes is over the ${maxBytes}-byte limit`;
  return undefined;
}

export function decode(buf: Buffer): { text?: string; note?: string } {
  if (buf.subarray(0, 65536).includes(0)) return { note: 'skipped: binary file (NUL bytes), not C' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf) };
  } catch {
    return { text: buf.toString('latin1'), note: 'not valid UTF-8: read as Latin-1, columns may be off' };
  }
}

