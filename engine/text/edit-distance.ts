/** Levenshtein edit distance, for "did you mean" suggestions and the closest repositories. */
export function editDistance(a: string, b: string): number {
  // Two rows: callers compare short strings (keys, repositories of at most 255 characters).
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate a typo most likely meant: the nearest by edit distance, if it is near enough to be a typo
 * (at most 2 edits, and fewer than half the word; case is ignored), else undefined. Ties go to the
 * first candidate.
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // A case-only difference (distance 0 after lowering) is the clearest typo of all.
  return best !== undefined && bestDistance <= 2 && bestDistance < word.length / 2 ? best : undefined;
}
