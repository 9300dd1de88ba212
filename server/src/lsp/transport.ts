// The server's side of the wire, where vscode-languageserver leaves gaps:
//
// - framing (stdio): vscode-jsonrpc's stream reader stops reading the data it
//   already has after a header without a usable Content-Length (it waits for
//   the next chunk), and a bad body costs an error per message. FrameFilter
//   sits in front of it: a message with a bad header or a body that is not a
//   JSON object is dropped (logged), the stream re-synchronised at the next
//   `Content-Length:`, and only well-formed frames go on.
// - lifecycle (any transport): the library hands requests to their handlers
//   before `initialize` and after `shutdown`. Lifecycle answers them itself,
//   as LSP says: ServerNotInitialized (-32002) before, InvalidRequest (-32600)
//   after; notifications other than `exit` are dropped in both states.
import { Transform, type TransformCallback } from 'stream';
import {
  type DataCallback, Disposable, ErrorCodes, Message, type MessageReader, type MessageWriter, type PartialMessageInfo,
  type Event,
} from 'vscode-languageserver/node';

/** A body over this is refused (and the stream re-synchronised): no LSP message of ours comes near. */
const MAX_BODY = 256 * 1024 * 1024;
/** A header block longer than this without its blank line is junk. */
const MAX_HEADER = 8192;
const CONTENT_LENGTH = /content-length[ \t]*:/i;

export class FrameFilter extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onDrop: (why: string) => void) { super(); }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    this.pump();
    done();
  }

  private skipTo(at: number, why: string): void {
    this.onDrop(why);
    this.buf = this.buf.subarray(at);
  }

  private pump(): void {
    for (;;) {
      if (!this.buf.length) return;
      const end = this.buf.indexOf('\r\n\r\n');
      const head = this.buf.subarray(0, end < 0 ? Math.min(this.buf.length, MAX_HEADER + 4) : end).toString('latin1');
      // junk before a header (the body of a message dropped earlier): go to the next Content-Length
      const at = head.search(CONTENT_LENGTH);
      if (at > 0 && !/\r\n$/.test(head.slice(0, at)) && !/^[\w-]+[ \t]*:[^\r\n]*\r\n/.test(head)) {
        this.skipTo(at, `dropped ${at} byte(s) that are not a message header`);
        continue;
      }
      if (end < 0) {
        if (this.buf.length <= MAX_HEADER) return; // the rest of the header is still coming
        const next = this.buf.indexOf('Content-Length', 1);
        this.skipTo(next > 0 ? next : this.buf.length, 'dropped a header block with no end');
        continue;
      }
      let length = -1;
      let bad: string | undefined;
      for (const line of head.split('\r\n')) {
        const c = line.indexOf(':');
        if (c <= 0) { bad ??= `a header line without a name and ':' (${JSON.stringify(line.slice(0, 40))})`; continue; }
        const key = line.slice(0, c).trim().toLowerCase(), value = line.slice(c + 1).trim();
        if (key === 'content-length') {
          if (!/^\d{1,10}$/.test(value)) bad ??= `Content-Length '${value.slice(0, 20)}' is not a number`;
          else if (Number(value) > MAX_BODY) bad ??= `Content-Length ${value} is over ${MAX_BODY}`;
          else length = Number(value);
        } else if (key === 'content-type') {
          const cs = /charset=([^;\s]+)/i.exec(value)?.[1];
          if (cs && !/^utf-?8$/i.test(cs)) bad ??= `charset ${cs} (only utf-8 is spoken)`;
        }
      }
      if (!bad && length < 0) bad = 'no Content-Length header';
      if (bad) {
        // a body after it, if any, is skipped as junk up to the next Content-Length
        this.skipTo(end + 4, `dropped a message: ${bad}`);
        continue;
      }
      if (this.buf.length < end + 4 + length) return; // the body is still coming
      const body = this.buf.subarray(end + 4, end + 4 + length);
      this.buf = this.buf.subarray(end + 4 + length);
      let msg: unknown;
      try { msg = JSON.parse(body.toString('utf8')); } catch { msg = undefined; }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
        this.onDrop(`dropped a message: its ${length}-byte body is not a JSON object`);
        continue;
      }
      this.push(`Content-Length: ${body.length}\r\n\r\n`, 'ascii');
      this.push(body);
    }
  }
}

type State = 'new' | 'running' | 'shutdown';

/** Wraps the transport's reader: requests the server may not take in its state are answered here. */
export class Lifecycle implements MessageReader {
  private state: State = 'new';
  readonly onError: Event<Error>;
  readonly onClose: Event<void>;
  readonly onPartialMessage: Event<PartialMessageInfo>;

  constructor(private readonly inner: MessageReader, private readonly writer: MessageWriter) {
    this.onError = inner.onError;
    this.onClose = inner.onClose;
    this.onPartialMessage = inner.onPartialMessage;
  }

  get shutdown(): boolean { return this.state === 'shutdown'; }

  listen(callback: DataCallback): Disposable {
    return this.inner.listen(msg => {
      if (Message.isResponse(msg)) { callback(msg); return; }
      const method = (msg as { method?: unknown }).method;
      if (Message.isRequest(msg)) {
        if (this.state === 'new' && method !== 'initialize') {
          void this.writer.write({ jsonrpc: '2.0', id: msg.id, error: { code: ErrorCodes.ServerNotInitialized, message: `${String(method)}: the server is not initialized (send initialize first)` } } as Message);
          return;
        }
        if (this.state === 'shutdown') {
          void this.writer.write({ jsonrpc: '2.0', id: msg.id, error: { code: ErrorCodes.InvalidRequest, message: `${String(method)}: the server is shutting down (only exit is accepted)` } } as Message);
          return;
        }
        if (method === 'initialize') this.state = 'running';
        else if (method === 'shutdown') this.state = 'shutdown';
        callback(msg);
        return;
      }
      // notifications: only exit before initialize and after shutdown
      if (this.state !== 'running' && method !== 'exit') return;
      callback(msg);
    });
  }

  dispose(): void { this.inner.dispose(); }
}
