// The build's configuration for the core (Settings `config`): the options
// include/generated/autoconf.h defines (`#define CONFIG_FOO 1` for =y,
// `CONFIG_FOO_MODULE 1` for =m), with the -D and -U of a compiler command
// line on top. Found under --tree by the CLI, or named by kbuild's flags.
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import type { KernelConfig } from '../core/types';

/** Where kbuild writes the configuration, relative to the object tree (the source tree for in-tree builds). */
export const AUTOCONF = path.join('include', 'generated', 'autoconf.h');

/** The `#define NAME VALUE` lines of an autoconf.h; undefined when it cannot be read or defines no CONFIG_ option. */
export function readAutoconf(file: string): KernelConfig | undefined {
  let text: string;
  try { text = fs.readFileSync(file, 'latin1'); } catch { return undefined; }
  const out: KernelConfig = {};
  let n = 0;
  for (const m of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(?:[ \t]+(.*?))?[ \t]*$/gm)) {
    out[m[1]] = m[2] ?? '';
    if (m[1].startsWith('CONFIG_')) n++;
  }
  return n ? out : undefined;
}

/** The tree's autoconf.h, when a configured build left one there. */
export function autoconfUnder(tree: string): string | undefined {
  const f = path.join(tree, AUTOCONF);
  return fs.existsSync(f) ? f : undefined;
}

/** The configuration with -D's (NAME or NAME=VALUE, value 1 by default) added and -U's removed. */
export function withDefines(base: KernelConfig | undefined, defines: [string, string | null][]): KernelConfig {
  const out: KernelConfig = { ...(base ?? {}) };
  for (const [name, value] of defines) {
    if (value === null) delete out[name];
    else out[name] = value;
  }
  return out;
}

const digests = new WeakMap<KernelConfig, string>();
/** A short stand-in for a configuration in cache keys (thousands of options, hashed once). */
export function configDigest(c: KernelConfig): string {
  let d = digests.get(c);
  if (!d) {
    const h = createHash('sha256');
    for (const k of Object.keys(c).sort()) h.update(k).update('=').update(c[k]).update('\n');
    d = `config:${h.digest('hex')}`;
    digests.set(c, d);
  }
  return d;
}
