// Exponential backoff with full jitter: a uniformly random wait in
// [0, min(max, base * 2^attempt)], so a fleet that failed together does not
// retry together (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).

export function fullJitterDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
