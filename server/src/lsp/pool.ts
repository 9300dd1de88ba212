// The analysis threads of the language server: the request loop (main thread)
// hands every long piece of work — an open document's analysis, a file of
// Check Workspace, a patch document's report — to a thread running the
// bundle itself (out/server.js; main.ts asks isAnalysisThread() first), so no
// document's analysis holds up the messages of the others, nor shutdown.
// Plain data crosses: a Job in, its result out (lsp/analyst.ts).
//
// Threads start when work needs one (at most `threads`, default 2). The
// queue is kept here, not in the threads, so that work nobody wants any more
// is dropped before it starts. A document keeps to the thread that holds its
// function cache and last parse tree (incremental re-analysis) while that
// thread is free or busy with the same document; when it is busy with
// another one the document moves to a free thread (its cache there is
// freed, the new one analyses it afresh). Cancelling:
// - work still queued is dropped when it is no longer wanted (`alive`) or
//   its signal aborts;
// - running work whose signal aborts with `hard` (a document closed, the
//   server shutting down) ends its thread: the core cannot be interrupted
//   inside a function; the documents whose caches lived there are analysed
//   afresh next time;
// - running work overtaken by an edit runs to its end and its result is
//   dropped by the caller: the functions it finished fill the document's
//   cache, so the newer version re-analyses only what the edit touched.
// From TypeScript sources (tests through tsx), when no thread can start, or
// after threads ended on their own three times in a row with no answer
// between, one Analyst runs on the main thread instead.
import * as os from 'os';
import { Worker, isMainThread, parentPort, workerData } from 'worker_threads';
import { collectGarbage } from '../host/memory';
import { Analyst, type Event, type Job, type JobResult, type Notice } from './analyst';

const KIND = 'pinlens-analysis-thread';

/**
 * Each analysis thread's V8 heap bound, in MB: an analysis that runs out ends
 * its thread (its document gets a note), never the server. The bound also
 * sets how far V8 lets the heap grow past what it keeps alive before it
 * collects: four times at 2 GB (a thread keeping 30 MB on the whole 6.12 tree
 * grew to 110 MB over four watched-file changes), about 1.4 times at 512 MB.
 * What a thread keeps alive with a kernel tree's index and a few documents is
 * 15–30 MB.
 */
const HEAP_MB = Number(process.env.PINLENS_ANALYSIS_HEAP_MB) || 512;
/**
 * An analysis thread with nothing to do for this long collects its garbage:
 * the last analysis's garbage would otherwise stay in the server's RSS until
 * the next one (the thread waits for an edit, a save or a watched-file change).
 */
const IDLE_COLLECT_MS = 1000;

/** Is this thread an analysis thread started by the pool? */
export function isAnalysisThread(): boolean {
  return !isMainThread && (workerData as { kind?: string } | undefined)?.kind === KIND;
}

type Request = { id: number; job: Job };
type Reply = { id: number; result: JobResult } | { id: number; error: string };

/** The analysis thread's side: notices change its state, each request gets one reply. */
export function runAnalysisThread(): void {
  const port = parentPort;
  if (!port) return;
  const analyst = new Analyst(e => port.postMessage(e));
  // (a message that comes meanwhile puts the collection off: the timer only fires when the thread is idle)
  let idle: NodeJS.Timeout | undefined;
  const done = () => {
    clearTimeout(idle);
    idle = setTimeout(collectGarbage, IDLE_COLLECT_MS);
  };
  port.on('message', (m: Request | Notice) => {
    clearTimeout(idle);
    if (!('id' in m)) { analyst.notice(m); done(); return; }
    analyst.run(m.job).then(
      result => { port.postMessage({ id: m.id, result } satisfies Reply); done(); },
      err => { port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) } satisfies Reply); done(); },
    );
  });
}

export interface RunOptions {
  /** the document whose function cache the job uses (kept on one thread). */
  uri?: string;
  /** still wanted? Checked before the job starts; an unwanted one is dropped (undefined). */
  alive?: () => boolean;
  /** aborting drops the job (undefined); `hard`: a running job ends its thread. */
  signal?: AbortSignal;
  hard?: boolean;
  /** called when the job is handed to a thread. */
  started?: () => void;
}

export interface PoolHost {
  /** what a new thread must be told first (the folders, the indexes). */
  init(): Notice[];
  event(e: Event): void;
  log(message: string): void;
}

interface Pending {
  id: number;
  job: Job;
  opts: RunOptions;
  resolve(r: JobResult | undefined): void;
  reject(e: Error): void;
  settled: boolean;
  onAbort?: () => void;
}

interface Slot {
  worker?: Worker;
  inline?: Analyst;
  running?: Pending;
  /** the documents whose function cache lives on this thread. */
  docs: Set<string>;
}

export class AnalysisPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly home = new Map<string, Slot>();
  private nextId = 1;
  private closed = false;
  private readonly max: number;
  private threaded = __filename.endsWith('.js');
  /** threads that ended on their own since the last answer. */
  private losses = 0;

  constructor(private readonly host: PoolHost, threads = Number(process.env.PINLENS_ANALYSIS_THREADS) || Math.max(2, Math.min(os.availableParallelism(), 3))) {
    this.max = Math.max(1, threads);
  }

  /** The job's result; undefined when it was dropped (unwanted, aborted, the pool closed). Rejects when the analysis failed. */
  run(job: Job, opts: RunOptions = {}): Promise<JobResult | undefined> {
    if (this.closed || opts.signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const p: Pending = { id: this.nextId++, job, opts, resolve, reject, settled: false };
      if (opts.signal) {
        p.onAbort = () => this.abort(p);
        opts.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.queue.push(p);
      this.pump();
    });
  }

  /** Starts the first thread (it loads its parser while the client opens documents). */
  warm(): void {
    if (!this.closed && !this.slots.length) this.spawn();
  }

  /** Tells every thread (and remembers nothing: `init()` gives a new thread the state). */
  notify(n: Notice): void {
    for (const s of this.slots) this.post(s, n);
  }

  /** A document closed: the thread holding its cache frees it. */
  forget(uri: string): void {
    const s = this.home.get(uri);
    this.home.delete(uri);
    if (!s) return;
    s.docs.delete(uri);
    this.post(s, { op: 'closed', uri });
  }

  /** Shutdown: every thread ends now, queued and running work is dropped. */
  close(): void {
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, undefined);
    for (const s of [...this.slots]) this.end(s);
  }

  /** Threads running (for tests and the log). */
  get threads(): number {
    return this.slots.length;
  }

  private pump(): void {
    for (let i = 0; i < this.queue.length;) {
      const p = this.queue[i];
      if (p.opts.alive && !p.opts.alive()) { this.queue.splice(i, 1); this.settle(p, undefined); continue; }
      const s = this.pick(p);
      if (!s) { i++; continue; }
      this.queue.splice(i, 1);
      this.start(s, p);
    }
  }

  /** The thread for `p` now, or undefined (it waits). */
  private pick(p: Pending): Slot | undefined {
    const uri = p.job.op === 'document' ? p.opts.uri : undefined;
    const home = uri ? this.home.get(uri) : undefined;
    if (home && !home.running) return home;
    // its own earlier run is finishing: the functions it analysed are reused
    if (home && home.running?.opts.uri === uri) return undefined;
    let s = this.slots.filter(x => !x.running).sort((a, b) => a.docs.size - b.docs.size)[0];
    if (!s && this.slots.length < (this.threaded ? this.max : 1)) s = this.spawn();
    if (!s) return undefined;
    if (uri) {
      if (home) this.forget(uri);
      this.home.set(uri, s);
      s.docs.add(uri);
    }
    return s;
  }

  private start(s: Slot, p: Pending): void {
    s.running = p;
    p.opts.started?.();
    if (s.worker) { s.worker.postMessage({ id: p.id, job: p.job } satisfies Request); return; }
    s.inline!.run(p.job).then(r => this.done(s, { id: p.id, result: r }), e => this.done(s, { id: p.id, error: e instanceof Error ? e.message : String(e) }));
  }

  private done(s: Slot, m: Reply): void {
    const p = s.running;
    if (!p || p.id !== m.id) return;
    s.running = undefined;
    this.losses = 0;
    if ('error' in m) this.fail(p, new Error(m.error));
    else this.settle(p, m.result);
    this.pump();
  }

  private abort(p: Pending): void {
    const q = this.queue.indexOf(p);
    if (q >= 0) { this.queue.splice(q, 1); this.settle(p, undefined); return; }
    const s = this.slots.find(x => x.running === p);
    if (!s) return;
    this.settle(p, undefined);
    if (p.opts.hard && s.worker) { this.end(s); this.pump(); }
  }

  private spawn(): Slot {
    const s: Slot = { docs: new Set() };
    if (this.threaded) {
      try {
        const w = new Worker(__filename, {
          workerData: { kind: KIND }, stdout: true, stderr: true,
          resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
        });
        // nothing a thread prints may reach the LSP stream on stdout
        w.stdout.on('data', (d: Buffer) => this.host.log(`pinlens: analysis thread: ${d.toString().trimEnd()}`));
        w.stderr.on('data', (d: Buffer) => this.host.log(`pinlens: analysis thread: ${d.toString().trimEnd()}`));
        w.on('message', (m: Reply | Event) => ('event' in m ? this.host.event(m) : this.done(s, m)));
        w.on('error', e => this.lost(s, (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the analysis ran out of memory (${HEAP_MB} MB)` : `the analysis thread failed: ${e.message}`));
        w.on('exit', code => this.lost(s, `the analysis thread exited (code ${code})`));
        w.unref();
        s.worker = w;
      } catch (e) {
        this.host.log(`pinlens: no analysis thread (${e instanceof Error ? e.message : String(e)}); analysing on the main thread`);
      }
    }
    if (!s.worker) s.inline = new Analyst(e => queueMicrotask(() => this.host.event(e)));
    this.slots.push(s);
    for (const n of this.host.init()) this.post(s, n);
    return s;
  }

  private post(s: Slot, n: Notice): void {
    if (s.worker) s.worker.postMessage(n);
    else s.inline?.notice(n);
  }

  /** A thread ended on its own (out of memory, a crash): its job fails, its documents start afresh elsewhere. */
  private lost(s: Slot, why: string): void {
    if (!this.slots.includes(s)) return;
    const p = s.running;
    this.remove(s);
    if (p) this.fail(p, new Error(why));
    if (this.closed) return;
    this.host.log(`pinlens: ${why}`);
    if (++this.losses >= 3 && this.threaded) {
      this.threaded = false;
      this.host.log('pinlens: analysis threads keep ending; analysing on the main thread from now on');
    }
    this.pump();
  }

  /** Ends a thread we no longer want (its running job was settled already). */
  private end(s: Slot): void {
    const p = s.running;
    this.remove(s);
    if (p) this.settle(p, undefined);
    void s.worker?.terminate();
  }

  private remove(s: Slot): void {
    this.slots.splice(this.slots.indexOf(s), 1);
    s.running = undefined;
    for (const uri of s.docs) if (this.home.get(uri) === s) this.home.delete(uri);
  }

  private settle(p: Pending, r: JobResult | undefined): void {
    if (p.settled) return;
    p.settled = true;
    if (p.onAbort) p.opts.signal?.removeEventListener('abort', p.onAbort);
    p.resolve(r);
  }

  private fail(p: Pending, e: Error): void {
    if (p.settled) return;
    p.settled = true;
    if (p.onAbort) p.opts.signal?.removeEventListener('abort', p.onAbort);
    p.reject(e);
  }
}
