// pinlens-server: the language server. `--stdio`, `--node-ipc`, `--socket=N`
// or `--pipe=NAME` pick the transport (vscode-languageserver reads argv).
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  type Connection, IPCMessageReader, IPCMessageWriter, type MessageReader, type MessageWriter, StreamMessageReader, StreamMessageWriter, createConnection,
} from 'vscode-languageserver/node';
import { FrameFilter, Lifecycle } from './transport';
import { isScanThread, runScanThread } from '../index/scan-thread';
import { isAnalysisThread, runAnalysisThread } from './pool';
import { startServer } from './server';
import { VERSION } from '../version';

const USAGE = 'usage: pinlens-server --stdio | --node-ipc | --socket=PORT | --pipe=NAME';

/** The installed extension (or repository) root: the folder holding docs/codes. */
function bundleRoot(): string {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'docs', 'codes'))) return dir;
  }
  return path.dirname(__dirname); // out/ is next to docs/
}

/**
 * The connection: over stdio and node IPC through our framing filter (stdio)
 * and lifecycle rules (transport.ts); sockets and pipes as the library makes them.
 */
function connect(argv: string[]): Connection {
  const stdio = argv.includes('--stdio');
  if (!stdio && !argv.includes('--node-ipc')) return createConnection();
  const dropped: string[] = [];
  let log = (m: string) => { dropped.push(m); };
  let writer: MessageWriter, inner: MessageReader;
  if (stdio) {
    const frames = new FrameFilter(m => log(m));
    process.stdin.pipe(frames);
    inner = new StreamMessageReader(frames);
    writer = new StreamMessageWriter(process.stdout);
  } else {
    inner = new IPCMessageReader(process);
    writer = new IPCMessageWriter(process);
  }
  const reader = new Lifecycle(inner, writer);
  const conn = createConnection(reader, writer);
  log = m => conn.console.warn(`pinlens: ${m}`);
  for (const m of dropped) log(m);
  if (stdio) {
    // what the library does for --stdio: the client's end of stdin ends the server, and nothing else writes to stdout
    const end = () => process.exit(reader.shutdown ? 0 : 1);
    process.stdin.on('end', end);
    process.stdin.on('close', end);
    const say = (...a: unknown[]) => conn.console.log(a.map(x => (typeof x === 'string' ? x : String(x))).join(' '));
    console.log = say; console.info = say; console.debug = say;
    console.warn = (...a: unknown[]) => conn.console.warn(a.map(String).join(' '));
    console.error = (...a: unknown[]) => conn.console.error(a.map(String).join(' '));
  }
  return conn;
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(USAGE + '\n'); return; }
  if (!argv.some(a => /^--(stdio|node-ipc|socket=|pipe=)/.test(a))) {
    process.stderr.write(USAGE + '\n');
    process.exit(2);
  }
  const root = bundleRoot();
  const conn = connect(argv);
  process.on('uncaughtException', err => conn.console.error(`pinlens: uncaught: ${err.stack ?? err}`));
  process.on('unhandledRejection', err => conn.console.error(`pinlens: unhandled rejection: ${err instanceof Error ? err.stack : String(err)}`));
  startServer(conn, { docsBase: pathToFileURL(path.join(root, 'docs', 'codes')).href + '/', version: VERSION });
}

// out/server.js also runs as the thread that scans a workspace folder, and as the analysis threads
if (isScanThread()) runScanThread();
else if (isAnalysisThread()) runAnalysisThread();
else main();
