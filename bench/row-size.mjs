// How big an outbox row is and how many share a leaf page, in a real daemon's outbox, for
// the seed (bench) configuration and a long one (src/outbox/sqlite-schema.ts, Write volume:
// a row must fit twice in a 1 KiB page, or every commit writes more WAL frames).
//   node bench/row-size.mjs [bench|long ...]   (after npm run build; not part of npm run bench)
// Each daemon runs with its endpoint down, so every reading stays in the outbox, until the file
// holds 40 rows; dbstat then gives the cells per leaf page and the record sizes.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { cleanup, cleanEnv, removeDir, spawnDaemon, stop, tempDir, until } from './lib.mjs';

const ROWS = 40;
const CONFIGS = {
  bench: { ENDPOINT: 'http://127.0.0.1:9/v1/foo', APP_ID: 'dejanb', DEVICE_ID: 'pi0', GEOLOCATION: '{"lat": "44.8166", "lon": "20.4721"}', SENSOR_TYPE: 'sim' },
  long: {
    ENDPOINT: 'http://127.0.0.1:9/v1/greenhouse-state',
    APP_ID: 'greenhouse-monitoring-production-eu-west',
    DEVICE_ID: 'raspberry-pi-4b-greenhouse-north-wing-row-17-unit-0042',
    GEOLOCATION: '{"lat": "44.816612345", "lon": "20.472198765"}',
    SENSORS: 'Gewächshaus Nord oben:sim:4,Gewächshaus Nord unten:sim:17,Küche:sim:22',
    DATA_SCHEMA: 'urn:drogue:iot:temperature-and-humidity',
  },
};

function count(path) {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT count(*) AS n FROM events').get().n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not made yet
  }
}

async function measure(name) {
  const dir = tempDir('rows');
  const path = join(dir, 'outbox.db');
  const env = cleanEnv({ DEVICE_PASSWORD: 'foobar', DATA_DIR: dir, STATUS_LISTEN: '127.0.0.1:0', LOG_LEVEL: 'error', INTERVAL: '100ms', ...CONFIGS[name] });
  const daemon = spawnDaemon(env);
  try {
    await until(() => (daemon.exitCode !== null ? Promise.reject(new Error(`daemon exited: ${daemon.output.slice(-500)}`)) : count(path) >= ROWS), 60_000, `${ROWS} rows`, 200);
  } finally {
    await stop(daemon);
  }
  const db = new Database(path, { readonly: true });
  try {
    const leaf = db
      .prepare("SELECT count(*) AS pages, sum(ncell) AS cells, min(ncell) AS minCells, max(ncell) AS maxCells, sum(payload) AS bytes FROM dbstat WHERE name = 'events' AND pagetype = 'leaf'")
      .get();
    const payload = db.prepare('SELECT avg(octet_length(payload)) AS avg, max(octet_length(payload)) AS max FROM events').get();
    return {
      config: name,
      format: db.pragma('user_version', { simple: true }),
      rows: leaf.cells,
      leafPages: leaf.pages,
      cellsPerLeaf: +(leaf.cells / leaf.pages).toFixed(2),
      minCells: leaf.minCells,
      maxCells: leaf.maxCells,
      recordBytes: Math.round(leaf.bytes / leaf.cells),
      payloadBytes: Math.round(payload.avg),
      payloadMax: payload.max,
    };
  } finally {
    db.close();
    removeDir(dir);
  }
}

try {
  const names = process.argv.slice(2);
  for (const name of names.length ? names : Object.keys(CONFIGS)) console.log(JSON.stringify(await measure(name)));
} finally {
  cleanup();
}
