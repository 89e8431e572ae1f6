// The dashboard in a real browser (Chromium through playwright-core) against the
// whole local stack: events flow in while the page is open, the totals reach the
// test's numbers, a change of group-by redraws the chart and the numbers with the
// right values, nothing is requested outside 127.0.0.1, nothing is logged as an
// error, and a stopped stack shows a clear message.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ENV } from '../core/index.ts';
import { validateConfig } from '../consumers/index.ts';
import { startStack, type LocalStack } from '../local/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const COUNTRY_SHARES = { JP: 0.5, US: 0.3, DE: 0.15, FR: 0.05 } as const;
const PER_WAVE = 200;
const WAVES = 3;

const config = validateConfig({
  rollups: [
    { name: 'by_type', types: '*', windows: [60] },
    { name: 'by_country', types: ['page_view'], groupBy: ['country'], windows: [60], approxDistinct: 'user' },
  ],
});

/** One wave of page views, countries in fixed shares, and a few orders (another type). */
function wave(n: number): object[] {
  const events: object[] = [];
  for (const [country, share] of Object.entries(COUNTRY_SHARES)) {
    for (let i = 0; i < n * share; i++) events.push({ type: 'page_view', dims: { country, user: `u${i % 37}` }, value: 2 });
  }
  for (let i = 0; i < 10; i++) events.push({ type: 'order', value: 5 });
  return events;
}

describe.skipIf(!existsSync(CHROMIUM))('dashboard in Chromium', () => {
  let stack: LocalStack;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  let base: string;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  async function send(events: object[]): Promise<void> {
    const res = await fetch(stack.env[ENV.ingestUrl]!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
    expect(res.status).toBe(200);
  }

  /** The numbers table as {group: count}. */
  async function tableCounts(): Promise<Record<string, string>> {
    return page.$$eval('#groups tr', (rows) => Object.fromEntries(rows.map((r) => [(r as HTMLElement).dataset.group!, r.querySelector('td.count')!.textContent])));
  }

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-dashboard-'));
    stack = await startStack({ dataDir, config });
    base = stack.env[ENV.queryUrl]!;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the totals of events sent while it is open, then the right numbers per group', async () => {
    await page.goto(base);
    await send(wave(PER_WAVE));
    await page.waitForFunction(() => [...document.querySelectorAll('#c-type option')].some((o) => (o as HTMLOptionElement).value === 'page_view'), undefined, { timeout: 30_000 });
    await page.selectOption('#c-type', 'page_view');
    for (let i = 1; i < WAVES; i++) await send(wave(PER_WAVE));

    const total = (PER_WAVE * WAVES).toLocaleString('en-US');
    await page.waitForFunction((t) => document.getElementById('total-count')?.textContent === t, total, { timeout: 60_000 });
    expect(await page.textContent('#total-sum')).toBe((PER_WAVE * WAVES * 2).toLocaleString('en-US'));
    expect(JSON.parse((await page.getAttribute('#chart', 'data-series'))!)).toEqual(['page_view']);
    expect(JSON.parse((await page.getAttribute('#chart', 'data-values'))!)).toEqual([PER_WAVE * WAVES]);

    await page.selectOption('#c-group', 'country');

    const perCountry = Object.fromEntries(Object.entries(COUNTRY_SHARES).map(([c, s]) => [c, PER_WAVE * WAVES * s]));
    await page.waitForFunction(() => document.querySelectorAll('#groups tr').length === 4, undefined, { timeout: 30_000 });
    expect(await tableCounts()).toEqual(Object.fromEntries(Object.entries(perCountry).map(([c, n]) => [c, n.toLocaleString('en-US')])));
    expect(JSON.parse((await page.getAttribute('#chart', 'data-series'))!)).toEqual(['JP', 'US', 'DE', 'FR']);
    expect(JSON.parse((await page.getAttribute('#chart', 'data-values'))!)).toEqual([perCountry.JP, perCountry.US, perCountry.DE, perCountry.FR]);
    expect(await page.textContent('#total-count')).toBe(total);

    await page.fill('#c-top', '2');
    await page.dispatchEvent('#c-top', 'change');

    await page.waitForFunction(() => document.querySelectorAll('#groups tr').length === 2, undefined, { timeout: 30_000 });
    expect(Object.keys(await tableCounts())).toEqual(['JP', 'US']);
    expect(JSON.parse((await page.getAttribute('#chart', 'data-series'))!)).toEqual(['JP', 'US']);
    expect(await page.textContent('#total-count')).toBe(total);

    // The health figures come from the running pipeline.
    expect(Number((await page.textContent('#h-eps'))!.replace(/,/g, ''))).toBeGreaterThan(1);
    expect(await page.textContent('#h-quarantine')).toBe('0');
    // Usable at phone width: nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const origin = new URL(base).origin;
    expect(requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 180_000);

  it('says clearly that the stack is down when it stops answering', async () => {
    await stack.stop();

    await page.waitForSelector('#down:not([hidden])', { timeout: 30_000 });
    expect(await page.textContent('#down')).toMatch(/The sluice stack is not answering.*npm start/s);
  }, 60_000);
});
