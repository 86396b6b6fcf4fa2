// Build step (npm run build, after tsc): inlines src/status/page/ into
// dist/status/status-page.html and writes its CSP to dist/status/status-page.csp,
// with the same function the daemon would use from src/ (dist/status/page.js).
import { writeFileSync } from 'node:fs';
import { inlineStatusPage, readStatusPageSources } from '../dist/status/page.js';

const page = inlineStatusPage(readStatusPageSources(new URL('../src/status/page/', import.meta.url)));
writeFileSync(new URL('../dist/status/status-page.html', import.meta.url), page.html);
writeFileSync(new URL('../dist/status/status-page.csp', import.meta.url), page.csp);
