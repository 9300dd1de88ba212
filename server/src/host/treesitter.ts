// Loads web-tree-sitter and the C grammar. The only place that knows where the
// wasm files live: next to the bundle (out/), in grammars/, or in node_modules
// when running from source (tests).
import * as fs from 'fs';
import * as path from 'path';
import { Parser, Language } from 'web-tree-sitter';

let loaded: Promise<Parser> | undefined;

function findFile(name: string, dirs: string[]): string {
  for (const d of dirs) {
    const p = path.join(d, name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`pinlens: cannot find ${name} (looked in ${dirs.join(', ')})`);
}

function searchDirs(): string[] {
  const here = __dirname;
  const roots = [here, path.join(here, '..'), path.join(here, '..', '..'), path.join(here, '..', '..', '..')];
  const dirs: string[] = [];
  for (const r of roots) {
    dirs.push(r, path.join(r, 'grammars'), path.join(r, 'out'),
      path.join(r, 'node_modules', 'web-tree-sitter'), path.join(r, 'node_modules', 'tree-sitter-c'));
  }
  return dirs;
}

/** One parser per process, created on first use. */
export function loadParser(): Promise<Parser> {
  if (!loaded) {
    loaded = (async () => {
      const dirs = searchDirs();
      const runtime = findFile('tree-sitter.wasm', dirs);
      await Parser.init({ locateFile: () => runtime });
      const grammar = fs.readFileSync(findFile('tree-sitter-c.wasm', dirs));
      const lang = await Language.load(grammar);
      const parser = new Parser();
      parser.setLanguage(lang);
      return parser;
    })();
  }
  return loaded;
}
