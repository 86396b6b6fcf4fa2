import { describe, expect, it } from 'vitest';
import { newEventId } from '../../src/event/event-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newEventId', () => {
  it('gives version 4 UUIDs, all different, across several refills of its pool', () => {
    const ids = Array.from({ length: 1000 }, () => newEventId());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses every random bit it has: each hex digit outside the fixed ones varies', () => {
    const ids = Array.from({ length: 200 }, () => newEventId().replaceAll('-', ''));
    for (let i = 0; i < 32; i++) {
      if (i === 12) continue; // the version, always 4
      const digits = new Set(ids.map((id) => id[i]));
      expect(digits.size, `hex digit ${i}`).toBeGreaterThan(i === 16 ? 3 : 8);
    }
  });
});
