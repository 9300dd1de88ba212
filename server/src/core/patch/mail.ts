// Patch reasoning, the pure part (this folder): patch text in, post-images and changed line
// ranges out. No fs, no git, no analysis. Three layers, each usable alone:
//
//   1. mail    (this file) an input (mbox, git format-patch file, single mail, plain diff)
//              → messages → ParsedPatch (subject, description, diff text).
//              Knows mbox separators, header folding, RFC 2047 words,
//              quoted-printable / base64 bodies, multipart, CRLF transport,
//              cover letters (0/N) and replies that quote a patch with '>'.
//   2. diff    (diff.ts) diff text → FilePatch[] (jsdiff's parsePatch, paths normalised
//              like `git apply -p1`, the hunk headers kept as written).
//   3. apply   (apply.ts) a series → per patch and file: before/after text, where each
//              hunk landed (offset, fuzz) and the changed line ranges on both
//              sides. jsdiff's applyPatch does the splicing, one hunk at a time
//              so that a failure names the hunk.
//
// Problems are returned as data (PatchProblem), never thrown: the language
// server parses half-written patches, the CLI turns any problem into exit 2.
// All line numbers here are 0-based, like the rest of the core.
//
// Beside them: types.ts, the data. (The functions a text defines and those a
// set of changed lines touches: index/definitions.ts.)
import { locateDiff, parseDiff, unsafePath } from './diff';
import type { ParsedPatch, PatchInput, PatchProblem, SeriesParse, SubjectTag } from './types';
import { escapeRegExp } from '../syntax';

/** `From <anything> <date>` — the mbox separator; git format-patch writes `From <sha> Mon Sep 17 00:00:00 2001`. */
const MBOX_FROM = /^From \S+ +.*\d{1,2}:\d{2}(:\d{2})?.*\d{4}\s*$/;
const HEADER_LINE = /^[!-9;-~]+:/;

interface RawMessage {
  headers: Map<string, string>;
  body: string;
  /** 0-based input line where the body starts; undefined once decoded. */
  bodyLine?: number;
}

/** Removes transport CRs when the text was carried with CRLF line ends. */
export function normaliseLineEnds(text: string): { text: string; crlf: boolean } {
  const lf = (text.match(/\n/g) ?? []).length;
  const crlf = (text.match(/\r\n/g) ?? []).length;
  if (lf === 0 || crlf * 2 < lf) return { text, crlf: false };
  return { text: text.replace(/\r\n/g, '\n'), crlf: true };
}

function looksLikeMail(lines: string[]): boolean {
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  if (i >= lines.length) return false;
  if (MBOX_FROM.test(lines[i])) return true;
  let sawKey = false;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const l = lines[i];
    if (/^[ \t]/.test(l)) continue;
    if (!HEADER_LINE.test(l)) return false;
    if (/^(from|subject|date|message-id):/i.test(l)) sawKey = true;
  }
  return sawKey;
}

/** Splits an input into messages; a plain diff is one message with no headers. */
function splitMessages(text: string): { mail: boolean; messages: RawMessage[] } {
  const lines = text.split('\n');
  if (!looksLikeMail(lines)) return { mail: false, messages: [{ headers: new Map(), body: text, bodyLine: 0 }] };
  const starts: number[] = [];
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') first++;
  starts.push(first);
  for (let i = first + 1; i < lines.length; i++) if (MBOX_FROM.test(lines[i])) starts.push(i);
  const messages: RawMessage[] = [];
  for (let m = 0; m < starts.length; m++) {
    const end = m + 1 < starts.length ? starts[m + 1] : lines.length;
    let i = starts[m];
    if (MBOX_FROM.test(lines[i])) i++;
    const headers = new Map<string, string>();
    let last = '';
    for (; i < end && lines[i] !== ''; i++) {
      const l = lines[i];
      if (/^[ \t]/.test(l) && last) {
        headers.set(last, headers.get(last) + ' ' + l.trim());
        continue;
      }
      const c = l.indexOf(':');
      if (c <= 0) break;
      last = l.slice(0, c).trim().toLowerCase();
      const v = l.slice(c + 1).trim();
      // a repeated header keeps its first value (Received: and friends do not matter here)
      if (!headers.has(last)) headers.set(last, v); else last = '';
    }
    const bodyLine = i < end ? i + 1 : end;
    // mboxrd escapes body lines that start with "From " as ">From "
    const body = lines.slice(bodyLine, end).map((l) => l.replace(/^>(>*From )/, '$1')).join('\n');
    messages.push({ headers, body, bodyLine });
  }
  return { mail: true, messages };
}

function bytesOf(s: string): number[] {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c); else out.push(...enc.encode(ch));
  }
  return out;
}

function decodeBytes(bytes: number[], charset: string): string {
  try {
    return new TextDecoder(charset || 'utf-8').decode(new Uint8Array(bytes));
  } catch {
    return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
  }
}

/** RFC 2045 quoted-printable; soft line breaks joined, `=XX` decoded as bytes of `charset`. */
export function decodeQuotedPrintable(text: string, charset = 'utf-8'): string {
  const s = text.replace(/=[ \t]*\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      bytes.push(...bytesOf(String.fromCodePoint(cp)));
    }
  }
  return decodeBytes(bytes, charset);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function decodeBase64(text: string, charset = 'utf-8'): string {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, '');
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of clean) {
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 0xff);
    }
  }
  return decodeBytes(bytes, charset);
}

/** RFC 2047 encoded words in headers (`=?UTF-8?q?…?=`, `=?utf-8?B?…?=`). */
export function decodeHeaderWords(value: string): string {
  const word = /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g;
  // whitespace between two encoded words is not part of the text
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(word, (_m, charset: string, enc: string, data: string) => {
    const cs = charset.replace(/\*.*$/, '');
    if (enc.toUpperCase() === 'B') return decodeBase64(data, cs);
    return decodeQuotedPrintable(data.replace(/_/g, ' '), cs);
  });
}

function headerParam(value: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*("([^"]*)"|[^;\\s]+)`, 'i').exec(value);
  return m ? (m[2] ?? m[1]) : undefined;
}

/** The text of a message body: transfer encoding undone, text parts of a multipart joined. */
function bodyText(headers: Map<string, string>, body: string, depth = 0): { text: string; decoded: boolean } {
  const ctype = headers.get('content-type') ?? 'text/plain';
  const cte = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  const charset = headerParam(ctype, 'charset') ?? 'utf-8';
  if (/^multipart\//i.test(ctype) && depth < 4) {
    const boundary = headerParam(ctype, 'boundary');
    if (boundary) {
      const parts = body.split(new RegExp(`^--${escapeRegExp(boundary)}(?:--)?[ \\t]*$`, 'm')).slice(1);
      const texts: string[] = [];
      for (const part of parts) {
        const blank = part.indexOf('\n\n');
        if (blank < 0) continue;
        const ph = new Map<string, string>();
        let last = '';
        for (const l of part.slice(0, blank).replace(/^\n/, '').split('\n')) {
          if (/^[ \t]/.test(l) && last) { ph.set(last, ph.get(last) + ' ' + l.trim()); continue; }
          const c = l.indexOf(':');
          if (c > 0) { last = l.slice(0, c).trim().toLowerCase(); ph.set(last, l.slice(c + 1).trim()); }
        }
        const pt = ph.get('content-type') ?? 'text/plain';
        if (!/^(text\/|multipart\/)/i.test(pt)) continue;
        texts.push(bodyText(ph, part.slice(blank + 2), depth + 1).text);
      }
      return { text: texts.join('\n'), decoded: true };
    }
  }
  if (cte === 'quoted-printable') return { text: decodeQuotedPrintable(body, charset), decoded: true };
  if (cte === 'base64') return { text: decodeBase64(body, charset), decoded: true };
  return { text: body, decoded: false };
}

/** `[RFC PATCH v8 03/10] subject` → the tag's parts. Leading `Re:`/`Fwd:` are ignored. */
export function parseSubject(subject: string): { tag?: SubjectTag; title: string; reply: boolean } {
  let s = subject.trim();
  let reply = false;
  for (;;) {
    const m = /^(re|fwd?|aw)\s*:\s*/i.exec(s);
    if (!m) break;
    reply = true;
    s = s.slice(m[0].length);
  }
  const tags: string[] = [];
  for (;;) {
    const m = /^\[([^\]]*)\]\s*/.exec(s);
    if (!m) break;
    tags.push(m[1]);
    s = s.slice(m[0].length);
  }
  if (tags.length === 0) return { title: s, reply };
  const raw = tags.join('] [');
  const tag: SubjectTag = { raw, rfc: /\bRFC\b/i.test(raw) };
  for (const tok of raw.split(/[\s\][]+/)) {
    let m = /^v(\d+)$/i.exec(tok);
    if (m) tag.version = +m[1];
    m = /^(\d+)\/(\d+)$/.exec(tok);
    if (m) { tag.number = +m[1]; tag.total = +m[2]; }
  }
  return { tag, title: s, reply };
}

export function describePatch(p: { subject: string; input: string }): string {
  return p.subject === p.input ? `"${p.input}"` : `"${p.subject}" (${p.input})`;
}

/** Plain `git show` output: the subject is the first line of the indented message. */
function gitShowSubject(body: string): string | undefined {
  if (!/^commit [0-9a-f]{7,}/.test(body)) return undefined;
  const m = /\n\n {4}(\S.*)/.exec(body);
  return m ? m[1].trim() : undefined;
}

/** Layer 1 entry: inputs → the patches of the series, in input order. */
export function parseSeries(inputs: PatchInput[]): SeriesParse {
  const patches: ParsedPatch[] = [];
  const notes: string[] = [];
  const problems: PatchProblem[] = [];
  for (const input of inputs) {
    // a byte order mark some editors write is not part of the first line
    const { text, crlf } = normaliseLineEnds(input.text.replace(/^\uFEFF/, ''));
    const { mail, messages } = splitMessages(text);
    const quotedReplies: string[] = [];
    const before = patches.length;
    let lastNumber = 0;
    for (const msg of messages) {
      const subjectRaw = decodeHeaderWords(msg.headers.get('subject') ?? '');
      const { tag, reply } = parseSubject(subjectRaw);
      const subject = subjectRaw || gitShowSubject(msg.body) || input.name;
      const { text: body, decoded } = bodyText(msg.headers, msg.body);
      const loc = locateDiff(body);
      if (tag?.number === 0 && (tag.total ?? 0) > 0) {
        notes.push(`skipped cover letter "${subject}"`);
        continue;
      }
      if (!loc.diff) {
        if (loc.quoted) quotedReplies.push(subject);
        else if (mail) notes.push(`skipped "${subject}": no diff in the message${reply ? ' (a reply)' : ''}`);
        continue;
      }
      const parsed = parseDiff(loc.diff);
      if (parsed.error !== undefined) {
        problems.push({ kind: 'malformed-diff', input: input.name, patch: subject,
          message: `patch ${describePatch({ subject, input: input.name })}: malformed diff: ${parsed.error}` });
        continue;
      }
      const bad = parsed.files.flatMap((f) => [f.oldPath, f.newPath]).find(unsafePath);
      if (bad !== undefined) {
        problems.push({ kind: 'unsafe-path', input: input.name, patch: subject, file: bad,
          message: `patch ${describePatch({ subject, input: input.name })}: refusing path "${bad}" (absolute or outside the tree)` });
        continue;
      }
      if (!decoded && msg.bodyLine !== undefined) {
        const hs = parsed.files.flatMap((f) => f.hunks);
        hs.forEach((hk, k) => { if (k < loc.hunkLines.length) hk.inputLine = msg.bodyLine! + loc.hunkLines[k]; });
      }
      if (tag?.number !== undefined) {
        if (tag.number < lastNumber) notes.push(`"${subject}" comes after patch ${lastNumber} in ${input.name}; applied in input order`);
        lastNumber = tag.number;
      }
      patches.push({
        input: input.name, index: patches.length, subject, tag,
        from: msg.headers.has('from') ? decodeHeaderWords(msg.headers.get('from')!) : undefined,
        date: msg.headers.get('date'), messageId: msg.headers.get('message-id'),
        description: loc.description, files: parsed.files,
      });
    }
    if (crlf) notes.push(`${input.name}: CRLF line ends removed (mail transport)`);
    if (quotedReplies.length > 0) {
      const which = quotedReplies.map((s) => `"${s}"`).join(', ');
      if (patches.length === before) {
        problems.push({ kind: 'quoted-patch', input: input.name, patch: quotedReplies[0],
          message: `${input.name}: ${which} quotes a patch with '>' (a reply, not a patch); quoted diffs are not applied — give the original patch (git format-patch, b4 am) instead` });
      } else {
        notes.push(`skipped ${which}: a reply quoting a patch with '>'`);
      }
    } else if (patches.length === before && !problems.some((p) => p.input === input.name)) {
      problems.push({ kind: 'no-patch', input: input.name, message: `${input.name}: no patch found (no unified diff in it)` });
    }
  }
  return { patches, notes, problems };
}
