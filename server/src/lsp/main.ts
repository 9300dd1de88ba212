// pinlens-server: the language server. `--stdio`, `--node-ipc`, `--socket=N`
// or `--pipe=NAME` pick the transport (vscode-languageserver reads argv).
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { createConnection } from 'vscode-languageserver/node';
import { isScanThread, runScanThread } from '../index/scan-thread';
import { startServer } from './server';

const USAGE = 'usage: pinlens-server --stdio | --node-ipc | --socket=PORT | --pipe=NAME';

/** The installed extension (or repository) root: the folder holding docs/codes. */
function bundleRoot(): string {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'docs', 'codes'))) return dir;
  }
  return path.dirname(__dirname); // out/ is next to docs/
}

function version(root: string): string {
  try { return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version ?? '0'; } catch { return '0'; }
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(USAGE + '\n'); return; }
  if (!argv.some(a => /^--(stdio|node-ipc|socket=|pipe=)/.test(a))) {
    process.stderr.write(USAGE + '\n');
    process.exit(2);
  }
  const root = bundleRoot();
  const conn = createConnection();
  process.on('uncaughtException', err => conn.console.error(`pinlens: uncaught: ${err.stack ?? err}`));
  process.on('unhandledRejection', err => conn.console.error(`pinlens: unhandled rejection: ${err instanceof Error ? err.stack : String(err)}`));
  startServer(conn, { docsBase: pathToFileURL(path.join(root, 'docs', 'codes')).href + '/', version: version(root) });
}

// out/server.js also runs as the thread that scans a workspace folder
if (isScanThread()) runScanThread();
else main();
