// The uncommitted change of an open C document: its findings marked introduced
// or unchanged against the file at HEAD, with the patch report's matching
// (index/patch-compare markFindings). The HEAD text is read once per HEAD commit
// and analysed once per (HEAD commit, settings, cross-file facts); a keystroke
// only re-matches. HEAD is looked up again at most every `recheckMs`, in the
// background: when it moved, `onHeadChanged` re-runs the folder's documents.
// No LSP imports.
import * as path from 'path';
import { AnalysisCache } from '../core/analyse';
import type { Finding } from '../core/types';
import { gitHead, gitShow } from '../index/git';
import { markFindings } from '../index/patch-compare';
import type { Analysed } from './analysis';

export type Mark = 'introduced' | 'unchanged';

interface DirState { repo: boolean; head: string | undefined; checkedAt: number; refreshing: boolean }

interface HeadVersion {
  head: string | undefined;
  /** undefined: the file is not in HEAD. */
  text: string | undefined;
  analysed?: Analysed;
  /** per-function results of the HEAD text: a settings change re-simulates only what it must. */
  cache: AnalysisCache;
  settingsKey?: string;
  /** the cross-file facts (index/facts.ts TreeFacts) it was analysed with. */
  facts?: unknown;
}

export class Baselines {
  private dirs = new Map<string, Promise<DirState>>();
  private files = new Map<string, HeadVersion>();

  constructor(private onHeadChanged: (dir: string) => void, private recheckMs = 2000) {}

  /** Starts (or reuses) the HEAD lookup of the file's folder; call it before analysing so git runs meanwhile. */
  prepare(file: string): Promise<DirState> {
    const dir = path.dirname(file);
    let p = this.dirs.get(dir);
    if (!p) {
      p = gitHead(dir).then(h => ({ repo: !!h, head: h?.head, checkedAt: Date.now(), refreshing: false }));
      this.dirs.set(dir, p);
      return p;
    }
    return p.then(st => {
      if (!st.refreshing && Date.now() - st.checkedAt > this.recheckMs) {
        st.refreshing = true;
        void gitHead(dir).then(h => {
          st.refreshing = false;
          st.checkedAt = Date.now();
          if (!!h !== st.repo || h?.head !== st.head) {
            st.repo = !!h;
            st.head = h?.head;
            this.onHeadChanged(dir);
          }
        });
      }
      return st;
    });
  }

  /**
   * The marks of `current`'s findings, or undefined when there are none to give:
   * not a git work tree, git missing, or either version not analysed.
   * `analyseHead` analyses a text with the settings `settingsKey` stands for
   * and the cross-file facts `facts` (compared by identity).
   */
  async marks(file: string, current: Analysed, settingsKey: string, facts: unknown,
    analyseHead: (text: string, cache: AnalysisCache) => Analysed): Promise<Map<Finding, Mark> | undefined> {
    const st = await this.prepare(file);
    if (!st.repo || current.note) return undefined;
    let v = this.files.get(file);
    if (!v || v.head !== st.head) {
      const head = st.head;
      const text = head ? await gitShow(file, head) : undefined;
      v = { head, text, cache: new AnalysisCache(false) };
      this.files.set(file, v);
    }
    if (v.text === undefined) return new Map(current.analysis.findings.map(f => [f, 'introduced' as Mark]));
    if (!v.analysed || v.settingsKey !== settingsKey || v.facts !== facts) {
      v.analysed = analyseHead(v.text, v.cache);
      v.settingsKey = settingsKey;
      v.facts = facts;
    }
    if (v.analysed.note) return undefined;
    return markFindings(v.analysed, current);
  }

  /** The document closed: its HEAD analysis goes (the folder's HEAD state stays, it is small). */
  forget(file: string): void {
    this.files.delete(file);
  }
}
