// The live page at `/`: one self-contained HTML document (inline CSS and JS, no
// framework, no CDN, no web fonts), so it works on a Pi with no internet and a phone
// on the same network. Its sources are real files in page/ (status-page.html, .css,
// .js: linted, and openable in a browser as they are); the build
// (scripts/build-status-page.mjs) inlines them into dist/status/status-page.html and
// writes the CSP that allows exactly those inline blocks to dist/status/status-page.csp.
// Run from src/ (the tests), the same inlining happens here on first use.
import type * as NodeCrypto from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface StatusPage {
  html: string;
  /** Allows exactly the page's own inline style and script, and fetches to this server. */
  csp: string;
}

export interface StatusPageSources {
  html: string;
  css: string;
  js: string;
}

const STYLESHEET_TAG = '<link rel="stylesheet" href="status-page.css">';
const SCRIPT_TAG = '<script src="status-page.js"></script>';

function sha256(text: string): string {
  // Only when inlining (the build, or run from src/): the daemon serves the built page and
  // need not load node:crypto, ~15 ms of CPU at every start.
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof NodeCrypto;
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The HTML with its stylesheet and script inlined, and the CSP naming their hashes. */
export function inlineStatusPage(sources: StatusPageSources): StatusPage {
  for (const tag of [STYLESHEET_TAG, SCRIPT_TAG]) {
    if (sources.html.split(tag).length !== 2) throw new Error(`status-page.html must contain ${tag} exactly once`);
  }
  const html = sources.html.replace(STYLESHEET_TAG, () => `<style>${sources.css}</style>`).replace(SCRIPT_TAG, () => `<script>${sources.js}</script>`);
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(sources.js)}`,
    `style-src ${sha256(sources.css)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

/** The three source files in dir (src/status/page/). */
export function readStatusPageSources(dir: URL): StatusPageSources {
  const read = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
  return { html: read('status-page.html'), css: read('status-page.css'), js: read('status-page.js') };
}

let page: StatusPage | undefined;

/** The page, read once: the build's inlined files in dist/status/, or (from src/) inlined from page/. */
export function statusPage(): StatusPage {
  // Paths through ../status/: they resolve the same from this module (dist/status/page.js) and
  // from the bundled executable (dist/cli/main.js, scripts/bundle-cli.mjs).
  const built = new URL('../status/status-page.html', import.meta.url);
  page ??= existsSync(built)
    ? { html: readFileSync(built, 'utf8'), csp: readFileSync(new URL('../status/status-page.csp', import.meta.url), 'utf8') }
    : inlineStatusPage(readStatusPageSources(new URL('../status/page/', import.meta.url)));
  return page;
}
