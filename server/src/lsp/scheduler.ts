// When to analyse an open document. One state per uri:
// - the first change after a published result runs as soon as the messages
//   already received have been handled (two setImmediate turns: the JSON-RPC
//   connection handles one queued message per turn), so they are coalesced;
// - changes that arrive while a run is waiting or working are debounced by
//   `burstMs`, and a run whose version has been superseded is skipped before
//   the analysis and its result is never published;
// - results are cached per (uri, version, settings generation); stale(uri)
//   makes a document's result stale (what it was computed from changed:
//   another file's facts), even one whose run is under way (a document's first
//   result that went stale during its run is not published: its rerun is);
// - forget(uri) (the document closed) aborts the signal its running run was
//   given; a run overtaken by an edit is not aborted (the runner decides what
//   that costs: the server lets the analysis end and drops its result).
// No LSP imports: `run` and `publish` are given by the server.

export interface Snapshot { uri: string; version: number; text: string }
export interface Policy { idleMs: number; burstMs: number }
export const DEFAULT_POLICY: Policy = { idleMs: 0, burstMs: 40 };

export interface Stamped<R> { version: number; generation: number; value: R }

interface DocState<R> {
  snap: Snapshot;
  /** cancels the scheduled start, when one is scheduled. */
  scheduled?: () => void;
  running?: Promise<void>;
  /** aborted when the document is forgotten while its run is under way. */
  abort?: AbortController;
  rerun: boolean;
  result?: Stamped<R>;
  /** bumped by stale(); the result is fresh only if computed at the current epoch. */
  epoch: number;
  resultEpoch?: number;
}

/** `run` returns undefined when it noticed (via isCurrent) that it was superseded. */
export type Runner<R> = (snap: Snapshot, isCurrent: () => boolean, signal: AbortSignal) => Promise<R | undefined>;

export class Scheduler<R> {
  private docs = new Map<string, DocState<R>>();
  private generation = 0;

  constructor(
    private run: Runner<R>,
    private publish: (uri: string, result: Stamped<R>) => void,
    private policy: Policy = DEFAULT_POLICY,
    private onError: (err: unknown) => void = () => {},
  ) {}

  changed(snap: Snapshot): void {
    let s = this.docs.get(snap.uri);
    if (!s) { s = { snap, rerun: false, epoch: 0 }; this.docs.set(snap.uri, s); }
    const busy = s.scheduled !== undefined || s.running !== undefined;
    s.snap = snap;
    s.scheduled?.();
    s.scheduled = defer(busy ? this.policy.burstMs : this.policy.idleMs, () => this.start(s!));
  }

  forget(uri: string): void {
    const s = this.docs.get(uri);
    s?.scheduled?.();
    s?.abort?.abort();
    this.docs.delete(uri);
  }

  /** What one document's analysis was computed from changed (not its text): its result is stale, it runs again. */
  stale(snap: Snapshot): void {
    const s = this.docs.get(snap.uri);
    if (s) s.epoch++;
    this.changed(snap);
  }

  /** Settings changed: every cached result is stale; re-run the open documents. */
  invalidateAll(): void {
    this.generation++;
    for (const s of this.docs.values()) this.changed(s.snap);
  }

  /** The result for the document's latest version, running a pending analysis now. */
  async current(uri: string): Promise<Stamped<R> | undefined> {
    for (let tries = 0; tries < 8; tries++) {
      const s = this.docs.get(uri);
      if (!s) return undefined;
      if (this.fresh(s)) return s.result;
      if (s.scheduled) { s.scheduled(); this.start(s); }
      else if (!s.running) this.start(s);
      await s.running;
    }
    return this.docs.get(uri)?.result;
  }

  /** The last result published for the document, of whatever version; no analysis is started or waited for. */
  latest(uri: string): Stamped<R> | undefined {
    return this.docs.get(uri)?.result;
  }

  private fresh(s: DocState<R>): boolean {
    return s.result !== undefined && s.result.version === s.snap.version && s.result.generation === this.generation && s.resultEpoch === s.epoch;
  }

  private start(s: DocState<R>): void {
    s.scheduled = undefined;
    if (s.running) { s.rerun = true; return; }
    s.running = this.execute(s).catch(this.onError).finally(() => {
      s.running = undefined;
      if (s.rerun) {
        s.rerun = false;
        if (!this.fresh(s) && !s.scheduled && this.docs.get(s.snap.uri) === s) this.start(s);
      }
    });
  }

  private async execute(s: DocState<R>): Promise<void> {
    const snap = s.snap;
    const generation = this.generation;
    const epoch = s.epoch;
    const isCurrent = () => this.docs.get(snap.uri) === s && s.snap.version === snap.version && this.generation === generation;
    const abort = s.abort = new AbortController();
    let value: R | undefined;
    try {
      value = await this.run(snap, isCurrent, abort.signal);
    } finally {
      if (s.abort === abort) s.abort = undefined;
    }
    if (value === undefined || !isCurrent()) return;
    // A result made stale meanwhile is still published when the document has one: it is the best
    // so far, and it runs again. Not the first: made before a folder's index was ready and
    // published after, it would read as the verdict with other files' helpers.
    if (s.epoch !== epoch && s.result === undefined) return;
    s.result = { version: snap.version, generation, value };
    s.resultEpoch = epoch;
    this.publish(snap.uri, s.result);
  }
}

/** Runs fn after ms, or (ms = 0) after the messages already queued; returns a cancel function. */
function defer(ms: number, fn: () => void): () => void {
  let live = true;
  if (ms > 0) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  }
  setImmediate(() => setImmediate(() => live && fn()));
  return () => { live = false; };
}
