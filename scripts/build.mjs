// Builds one bundle per process with esbuild and copies the grammar wasm files.
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import { createRequire } from 'module';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const require = createRequire(import.meta.url);
const out = path.join(root, 'out');
fs.mkdirSync(out, { recursive: true });
fs.mkdirSync(path.join(root, 'grammars'), { recursive: true });

const tsRuntime = require.resolve('web-tree-sitter/tree-sitter.wasm');
const cGrammar = path.join(path.dirname(require.resolve('tree-sitter-c/package.json')), 'tree-sitter-c.wasm');
for (const f of [tsRuntime, cGrammar]) {
  fs.copyFileSync(f, path.join(root, 'grammars', path.basename(f)));
}

// esbuild with format cjs would pick web-tree-sitter's ESM build, whose
// import.meta.url is empty in a cjs bundle: alias to the .cjs build.
const wtsCjs = path.join(path.dirname(require.resolve('web-tree-sitter')), 'tree-sitter.cjs');

const common = {
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true,
  alias: { 'web-tree-sitter': wtsCjs }, logLevel: 'warning',
};
const entries = [
  { in: 'server/src/cli/main.ts', out: 'cli.js', banner: '#!/usr/bin/env node' },
  { in: 'server/src/cli/kbuild.ts', out: 'kbuild.js', banner: '#!/usr/bin/env node' },
  { in: 'server/src/lsp/main.ts', out: 'server.js', banner: '#!/usr/bin/env node' },
  { in: 'client/src/extension.ts', out: 'client.js', external: ['vscode'] },
];
await Promise.all(entries.filter(e => fs.existsSync(path.join(root, e.in))).map(e => esbuild.build({
  ...common,
  entryPoints: [path.join(root, e.in)],
  outfile: path.join(out, e.out),
  external: e.external ?? [],
  banner: e.banner ? { js: e.banner } : undefined,
})));
for (const e of entries) {
  const f = path.join(out, e.out);
  if (e.banner && fs.existsSync(f)) fs.chmodSync(f, 0o755);
}
