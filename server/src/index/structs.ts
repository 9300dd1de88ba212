// Struct definitions from the headers a file includes, for the field keys of
// its analysis (core/fields.ts: `rm->atomic.op_sg` is `struct
// rm_atomic_op.op_sg` when a header says `atomic` is an embedded `struct
// rm_atomic_op`). The core asks (FileAnalysis.structsWanted); this finds
// them: the file's #include lines resolved as kbuild does (a quoted name in
// the file's folder first; then include/, include/uapi/, and the arch's
// include/ and include/uapi/ — the file's arch, else x86), the local headers
// those include followed too (a few levels), each header read once and its
// definitions kept (text level: core/struct-defs.ts). A struct defined
// differently by two of those headers is null: not resolved.
import * as path from 'path';
import { closureOf, type Members, structDefinitions } from '../core/struct-defs';
import type { StructTypes } from '../core/types';

/** Headers looked at for one file, at most. */
const MAX_HEADERS = 48;
/** How deep quoted includes of quoted includes are followed. */
const MAX_DEPTH = 3;
/** Structs given to one file's analysis, at most. */
const MAX_STRUCTS = 64;

const INCLUDE = /^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]/gm;

interface Header { defs: Map<string, Members | null>; includes: { quoted: boolean; name: string }[] }

export class HeaderStructs {
  private readonly headers = new Map<string, Header | null>();
  private readonly found = new Map<string, string | null>();

  /** `read`: a tree file's text (a patch's view gives its own), undefined when it cannot be read. */
  constructor(private readonly root: string, private readonly read: (abs: string) => string | undefined) {}

  /** Forget what was read (files changed). */
  clear(): void { this.headers.clear(); this.found.clear(); }

  /**
   * The definitions of `wanted` (and of the structs their members name, a
   * few levels) in the headers `text`, the file `abs`, includes; {} when
   * none is found.
   */
  structsFor(abs: string, text: string, wanted: string[]): StructTypes {
    if (!wanted.length) return {};
    const all = new Map<string, Members | null>();
    const json = new Map<string, string>();
    for (const h of this.headersOf(abs, text)) {
      for (const [name, m] of h.defs) {
        const j = m === null ? 'null' : JSON.stringify(Object.entries(m).sort());
        const before = json.get(name);
        if (before === undefined) { json.set(name, j); all.set(name, m); } else if (before !== j) all.set(name, null);
      }
    }
    const types: StructTypes = Object.fromEntries(all);
    const out = closureOf(types, wanted);
    const names = Object.keys(out);
    if (names.length <= MAX_STRUCTS) return out;
    // the wanted ones first, then what their members name
    const keep = new Set([...wanted.filter(w => w in out), ...names.filter(n => !wanted.includes(n))].slice(0, MAX_STRUCTS));
    return Object.fromEntries(names.filter(n => keep.has(n)).map(n => [n, out[n]]));
  }

  /** The headers the file includes, then the quoted includes of those (local headers), breadth first, bounded. */
  private headersOf(abs: string, text: string): Header[] {
    const out: Header[] = [];
    const seen = new Set<string>();
    // (a local header's includes are followed, both kinds; a common header's <…> ones are not: they are everyone's)
    let level = includesOf(text).map(i => ({ ...i, from: abs, local: true }));
    for (let depth = 0; depth < MAX_DEPTH && level.length && out.length < MAX_HEADERS; depth++) {
      const next: typeof level = [];
      for (const inc of level) {
        if (out.length >= MAX_HEADERS) break;
        const file = this.resolve(inc.from, inc.quoted, inc.name);
        if (!file || seen.has(file)) continue;
        seen.add(file);
        const h = this.header(file);
        if (!h) continue;
        out.push(h);
        for (const i of h.includes) if (i.quoted || (inc.local && inc.quoted)) next.push({ ...i, from: file, local: inc.local && inc.quoted });
      }
      level = next;
    }
    return out;
  }

  private header(file: string): Header | null {
    let h = this.headers.get(file);
    if (h !== undefined) return h;
    const text = file.endsWith('.h') ? this.read(file) : undefined;
    h = text === undefined ? null : { defs: structDefinitions(text), includes: includesOf(text) };
    this.headers.set(file, h);
    return h;
  }

  /** The header an include names, from `from`, as the compiler finds it; undefined when none exists. */
  private resolve(from: string, quoted: boolean, name: string): string | undefined {
    if (path.isAbsolute(name) || name.includes('\0')) return undefined;
    const rel = path.relative(this.root, from).split(path.sep);
    const arch = rel[0] === 'arch' && rel[1] ? rel[1] : 'x86';
    const key = `${quoted ? path.dirname(from) : ''}\0${arch}\0${name}`;
    const known = this.found.get(key);
    if (known !== undefined) return known ?? undefined;
    const dirs = [...(quoted ? [path.dirname(from)] : []), path.join(this.root, 'include'), path.join(this.root, 'include', 'uapi'),
      path.join(this.root, 'arch', arch, 'include'), path.join(this.root, 'arch', arch, 'include', 'uapi')];
    let hit: string | undefined;
    for (const d of dirs) {
      const f = path.resolve(d, name);
      // (never outside the tree)
      if (path.relative(this.root, f).startsWith('..')) continue;
      if (this.header(f)) { hit = f; break; }
    }
    this.found.set(key, hit ?? null);
    return hit;
  }
}

/** The #include lines of a text. */
function includesOf(text: string): { quoted: boolean; name: string }[] {
  return [...text.matchAll(INCLUDE)].map(m => ({ quoted: m[1] === '"', name: m[2].trim() }));
}
