// Writes dist/build-time.json: the clock floor of this release (src/time/build-time.ts).
// SOURCE_DATE_EPOCH (reproducible builds) wins over the time of the build.
import { writeFileSync } from 'node:fs';

const epoch = Number(process.env.SOURCE_DATE_EPOCH);
const builtAt = new Date(Number.isFinite(epoch) && epoch > 0 ? epoch * 1000 : Date.now()).toISOString();
writeFileSync(new URL('../dist/build-time.json', import.meta.url), `${JSON.stringify({ builtAt })}\n`);
