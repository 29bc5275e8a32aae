// Browser test of the HTML report: opens report.html in headless Chromium, checks that it opens
// with the verdict sentence that `compare --json` gives, that every plot has at least three
// labelled ticks on each numeric axis and a label under every category, and that each figure's
// PDF and SVG files exist; saves a full-page screenshot.
// Usage: node report.mjs PATH/TO/report.html [path to the lightloop binary]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const page_path = resolve(process.argv[2] ?? resolve(root, 'target/ci-report/report.html'));
const bin = process.argv[3] ?? resolve(root, 'target/debug/lightloop');
const shots = resolve(root, 'target/browser');
mkdirSync(shots, { recursive: true });

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(page_path).href);

  const compare = JSON.parse(spawnSync(bin, ['compare', '--json'], { encoding: 'utf8' }).stdout);
  const verdict = await page.textContent('p.verdict');
  if (verdict !== compare.verdict) fail(`the report says "${verdict}", compare says "${compare.verdict}"`);

  const figures = await page.$$eval('figure', (fs) =>
    fs.map((f) => ({
      id: f.id,
      x: f.querySelectorAll('svg text.tick.x:not(.category)').length,
      categories: f.querySelectorAll('svg text.tick.x.category').length,
      y: f.querySelectorAll('svg text.tick.y').length,
      empty: [...f.querySelectorAll('svg text.tick')].filter((t) => t.textContent.trim() === '').length,
      links: [...f.querySelectorAll('figcaption a')].map((a) => a.getAttribute('href')),
      width: f.querySelector('svg').getBoundingClientRect().width,
    })),
  );
  if (figures.length < 8) fail(`only ${figures.length} figures`);
  for (const f of figures) {
    if (f.y < 3) fail(`${f.id}: ${f.y} labelled ticks on the y axis`);
    if (f.categories === 0 && f.x < 3) fail(`${f.id}: ${f.x} labelled ticks on the x axis`);
    if (f.empty > 0) fail(`${f.id}: ${f.empty} empty tick labels`);
    for (const href of f.links.filter((h) => h.startsWith('figures/'))) {
      if (!existsSync(resolve(dirname(page_path), href))) fail(`${f.id}: ${href} is missing`);
    }
    if (!f.links.some((h) => h.endsWith('.pdf'))) fail(`${f.id}: no PDF linked`);
  }
  const bodyWidth = await page.evaluate(() => document.querySelector('section').getBoundingClientRect().width);
  const narrow = figures.filter((f) => f.width < 0.95 * bodyWidth);
  if (narrow.length) fail(`figures narrower than the text: ${narrow.map((f) => f.id).join(', ')}`);
  if (errors.length) fail(`page errors: ${errors.join('; ')}`);
  await page.screenshot({ path: resolve(shots, 'report.png'), fullPage: true });
  console.log(`ok: the report opens with the verdict; ${figures.length} figures with labelled ticks and PDFs; screenshot ${resolve(shots, 'report.png')}`);
} finally {
  await browser.close();
}
