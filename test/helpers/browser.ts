import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Debian's chromium (apt-get install chromium); never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';
const IN_CI = process.env.CI === 'true';

/** Whether the browser tests can run; in CI a missing chromium fails the run instead of skipping. */
export function hasChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (IN_CI) throw new Error(`CI=true and the browser tests cannot run: ${CHROMIUM} is missing (apt-get install chromium)`);
  return false;
}

/**
 * Headless chromium, driven over the DevTools protocol, with a profile of its own (removed
 * by close()) and without its background traffic: this machine has no network, and the
 * report must need none.
 */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'vethcap-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens a report from disk at a fixed size, fails on any request that is not the file
 * itself (the report must fetch nothing), and waits until its script has drawn it.
 * Returns the page and the milliseconds from navigation to drawn.
 */
export async function openReport(browser: Browser, file: string): Promise<{ page: Page; readyMs: number; requests: string[]; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const t0 = performance.now();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
  return { page, readyMs: performance.now() - t0, requests, errors };
}
