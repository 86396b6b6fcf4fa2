import { afterEach } from 'vitest';

export type Cleanup = () => unknown;

/** Cleanups a test registers with push(); they run after it, newest first. */
export function cleanupAfterEach(): Cleanup[] {
  const list: Cleanup[] = [];
  afterEach(async () => {
    for (const cleanup of list.splice(0).reverse()) await cleanup();
  });
  return list;
}
