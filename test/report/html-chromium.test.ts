/**
 * The HTML drift report opened in a real browser (Debian's headless `chromium`, driven by playwright-core):
 * the demo's weekly report renders with no console error and no network request at all, its three charts
 * are drawn, and it fits a phone's width. Screenshots are kept under test-artifacts/ for a person to look at.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseFindingsText } from '../../engine/findings/parse.js';
import { createImageLookup, readImageArchive } from '../../engine/image/index.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import { buildDriftReport } from '../../engine/report/build.js';
import { formatReport } from '../../engine/report/formats/index.js';

const ARTIFACTS = resolve('test-artifacts');
const NOW = Date.parse('2026-11-25T00:00:00Z');
let browser: Browser;
let dir: string;
let file: string;

beforeAll(async () => {
  const { findings } = parseFindingsText(
    readFileSync('testdata/demo/findings.ndjson', 'utf8'),
    'findings.ndjson',
  );
  const policies = parsePolicyText(
    readFileSync('testdata/demo/policy.yaml', 'utf8'),
    'testdata/demo/policy.yaml',
    {
      now: NOW,
    },
  );
  // The demo image, as `--image-archive` gives it: the repository's current image.
  const image = await readImageArchive('testdata/images/merged-usr.docker-save.tar');
  const report = buildDriftReport(findings, policies, {
    images: new Map([['docker.io/driftgate-test/merged-usr', createImageLookup(image)]]),
    now: NOW,
    since: NOW - 7 * 86_400_000,
    pullRequestOf: () => ({ branch: 'driftgate/bake/demo' }),
  });
  dir = mkdtempSync(join(tmpdir(), 'driftgate-html-'));
  file = join(dir, 'report.html');
  writeFileSync(file, formatReport(report, 'html'));
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(viewport: { width: number; height: number }) {
  // A fresh context is a fresh profile: nothing cached from another page.
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (r.url() !== pathToFileURL(file).href) requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { context, page, errors, requests };
}

describe('the HTML report in Chromium', () => {
  test('no console errors, no network requests, the charts drawn', async () => {
    const { context, page, errors, requests } = await open({ width: 1100, height: 900 });
    try {
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      for (const id of ['chart-per-day', 'chart-top-binaries', 'chart-week-over-week']) {
        const chart = page.locator(`svg#${id}`);
        expect(await chart.count()).toBe(1);
        const box = await chart.boundingBox();
        expect(box!.width).toBeGreaterThan(200);
        expect(await chart.locator('rect').count()).toBeGreaterThan(0);
      }
      expect(await page.locator('h1').textContent()).toContain('Drift report');
      expect(await page.locator('.card').count()).toBeGreaterThan(0); // the binaries to act on
      await page.screenshot({ path: join(ARTIFACTS, 'drift-report.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 60_000);

  test('readable on a phone: nothing wider than the screen but scrollable tables', async () => {
    const { context, page, errors } = await open({ width: 390, height: 844 });
    try {
      expect(errors).toEqual([]);
      // Runs in the page (a string, so this Node project needs no DOM types).
      const overflow = (await page.evaluate(
        'document.documentElement.scrollWidth - window.innerWidth',
      )) as number;
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(ARTIFACTS, 'drift-report-phone.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 60_000);
});
