// All checkers, one per finding code (analysis-incomplete comes from the budget).
import type { Checker } from './checker';
import { bioFlagMismatch } from './bio-flag-mismatch';
import { doubleRelease } from './double-release';
import { invalidGupFlags } from './invalid-gup-flags';
import { leakedPages } from './leaked-pages';
import { mismatchedRelease } from './mismatched-release';
import { releaseCountMismatch } from './release-count-mismatch';
import { releaseWithoutReference } from './release-without-reference';
import { shouldPin } from './should-pin';

export const CHECKERS: Checker[] = [
  mismatchedRelease, releaseWithoutReference, releaseCountMismatch, doubleRelease,
  leakedPages, invalidGupFlags, bioFlagMismatch, shouldPin,
];
