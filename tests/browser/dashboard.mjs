// End-to-end test of `lightloop serve`: starts the server, drives the page in headless Chromium,
// moves the channels slider with the keyboard and checks that the headline figure and the plot
// change, and that the figure shown is the one the server computes for the slider's new value.
// Writes a screenshot for inspection. Usage: node dashboard.mjs [path to the lightloop binary]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = process.argv[2] ?? resolve(root, 'target/debug/lightloop');
const shots = resolve(root, 'target/browser');
mkdirSync(shots, { recursive: true });

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

const server = spawn(bin, ['serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const address = await new Promise((ok, no) => {
  let text = '';
  server.stdout.on('data', (d) => {
    text += d;
    const m = text.match(/http:\/\/([0-9.]+:[0-9]+)\//);
    if (m) ok(m[1]);
  });
  server.on('exit', (code) => no(new Error(`the server exited (${code}) before listening`)));
  setTimeout(() => no(new Error('the server did not print its address within 60 s')), 60000);
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://${address}/`);
  await page.waitForFunction(() => document.body.dataset.updates === '1', null, { timeout: 30000 });
  const before = {
    fj: await page.textContent('#fj'),
    n: await page.textContent('#channels-v'),
    plot: await page.innerHTML('#plot-size'),
  };
  if (!before.plot.startsWith('<svg')) fail('no plot after loading');
  // Every plot has at least three labelled ticks on each numeric axis.
  const ticks = await page.$$eval('#plots svg', (svgs) =>
    svgs.map((s) => ({
      x: s.querySelectorAll('text.tick.x:not(.category)').length,
      categories: s.querySelectorAll('text.tick.x.category').length,
      y: s.querySelectorAll('text.tick.y').length,
    })),
  );
  for (const [i, t] of ticks.entries()) {
    if (t.y < 3 || (t.categories === 0 && t.x < 3)) fail(`dashboard plot ${i}: ticks ${JSON.stringify(t)}`);
  }

  // The verdict sentence is `compare --json`'s, word for word.
  const compare = JSON.parse(spawnSync(bin, ['compare', '--json'], { encoding: 'utf8' }).stdout);
  const sentence = await page.textContent('#verdict-rig');
  if (sentence !== compare.verdict) fail(`dashboard says "${sentence}", compare says "${compare.verdict}"`);
  console.log(`verdict: ${sentence}`);

  // On a fresh page: break-even, the permalink and an infeasible setting.
  const bp = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  bp.on('pageerror', (e) => errors.push(String(e)));
  await bp.goto(`http://${address}/`);
  await bp.waitForFunction(() => document.body.dataset.updates === '1', null, { timeout: 30000 });
  // Break-even: "apply" on the channels row moves the slider there, and the rig then uses no
  // more energy per token than the GPU.
  await bp.waitForFunction(() => +(document.body.dataset.breakEven || 0) >= 1, null, { timeout: 30000 });
  const applyChannels = bp.locator('#break-even button[data-lever="channels N"]');
  if ((await applyChannels.count()) === 1) {
    const updates = await bp.evaluate(() => +document.body.dataset.updates);
    await applyChannels.click();
    await bp.waitForFunction((n) => +document.body.dataset.updates > n, updates, { timeout: 30000 });
    const ratio = await bp.textContent('#ratio');
    console.log(`after break-even on channels: N = ${await bp.textContent('#channels-v')}, energy ratio ${ratio}`);
    if (!ratio.includes('(less)') && !ratio.startsWith('1×')) fail(`break-even on channels left the ratio at ${ratio}`);
  } else {
    fail('no break-even button for channels N on the default rig');
  }

  // The permalink reopens the same setting.
  const link = await bp.getAttribute('#permalink', 'href');
  const fjHere = await bp.textContent('#fj');
  const again = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  await again.goto(`http://${address}/${link}`);
  await again.waitForFunction(() => document.body.dataset.updates === '1', null, { timeout: 30000 });
  if ((await again.textContent('#fj')) !== fjHere) fail(`the permalink shows ${await again.textContent('#fj')} fJ/MAC, not ${fjHere}`);
  await again.close();

  // A setting the rig cannot run is explained and the figures are dimmed.
  await bp.selectOption('#tier', 'A');
  await bp.waitForFunction(() => document.getElementById('head').classList.contains('stale'), null, { timeout: 30000 });
  const why = await bp.textContent('#status');
  if (!why.includes('loop_passes')) fail(`tier A with 12 passes is not explained: ${why}`);
  await bp.selectOption('#tier', 'B');
  await bp.waitForFunction(() => !document.getElementById('head').classList.contains('stale'), null, { timeout: 30000 });

  await bp.close();

  // Move the channels slider two powers of two to the right, as a user would with the keyboard.
  await page.focus('#channels');
  for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(
    (n) => document.getElementById('channels-v').textContent !== n && +document.body.dataset.updates > 1,
    before.n,
    { timeout: 30000 },
  );
  // Let the debounced last update arrive.
  await page.waitForTimeout(500);
  const after = {
    fj: await page.textContent('#fj'),
    n: await page.textContent('#channels-v'),
    plot: await page.innerHTML('#plot-size'),
  };
  console.log(`channels ${before.n} → ${after.n}; fJ/MAC ${before.fj} → ${after.fj}`);
  if (+after.n <= +before.n) fail(`the slider did not raise N (${before.n} → ${after.n})`);
  if (after.fj === before.fj) fail('the headline fJ/MAC did not change');
  if (after.plot === before.plot) fail('the plot did not change');

  // The figure shown is the server's figure for the slider's value.
  const query = await page.evaluate(() =>
    [...document.querySelectorAll('#knobs input[type=range]')]
      .map((k) => `${k.id}=${document.getElementById(k.id + '-v').textContent}`)
      .join('&') + '&tier=' + document.getElementById('tier').value,
  );
  const answer = await (await fetch(`http://${address}/api/update?${query}`)).json();
  const shown = +after.fj;
  if (Math.abs(shown / answer.fj_per_mac - 1) > 1e-3) {
    fail(`shown ${shown} fJ/MAC, server says ${answer.fj_per_mac} for ${query}`);
  }

  // The fleet panel: move the traffic slider down, check the table follows and shows what the
  // server computes, then save two named snapshots and find them side by side.
  await page.waitForFunction(() => +(document.body.dataset.fleetUpdates || 0) >= 1, null, { timeout: 30000 });
  const fleetBefore = {
    traffic: await page.textContent('#tokens_per_s-v'),
    usd: await page.$$eval('#fleet td.usd', (c) => c.map((x) => x.textContent).join('|')),
    verdict: await page.textContent('#verdict'),
  };
  if (!fleetBefore.verdict.includes('cheapest') && !fleetBefore.verdict.startsWith('No option')) {
    fail(`no fleet verdict: ${fleetBefore.verdict}`);
  }
  await page.fill('#snap-name', 'busy');
  await page.click('#snap');
  await page.focus('#tokens_per_s');
  for (let i = 0; i < 150; i++) await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(
    (t) => document.getElementById('tokens_per_s-v').textContent !== t,
    fleetBefore.traffic,
    { timeout: 30000 },
  );
  await page.waitForTimeout(800);
  const fleetAfter = {
    traffic: await page.textContent('#tokens_per_s-v'),
    usd: await page.$$eval('#fleet td.usd', (c) => c.map((x) => x.textContent).join('|')),
  };
  console.log(`fleet traffic ${fleetBefore.traffic} → ${fleetAfter.traffic} tokens/s; USD/M tokens ${fleetBefore.usd} → ${fleetAfter.usd}`);
  if (+fleetAfter.traffic >= +fleetBefore.traffic) fail('the traffic slider did not lower the traffic');
  if (fleetAfter.usd === fleetBefore.usd) fail('the fleet table did not change');
  const fq = await page.evaluate(() =>
    [...document.querySelectorAll('#fleet-knobs input[type=range]')]
      .map((k) => `${k.id}=${document.getElementById(k.id + '-v').textContent}`)
      .join('&'),
  );
  const fleetAnswer = await (await fetch(`http://${address}/api/fleet?${fq}`)).json();
  const shownUsd = +fleetAfter.usd.split('|')[0];
  if (Math.abs(shownUsd / fleetAnswer.options[0].usd_per_m_tokens - 1) > 1e-3) {
    fail(`shown ${shownUsd} USD/M tokens, server says ${fleetAnswer.options[0].usd_per_m_tokens} for ${fq}`);
  }
  await page.fill('#snap-name', 'quiet');
  await page.click('#snap');
  const snaps = await page.$$eval('#snapshots tbody tr', (r) => r.map((x) => x.firstChild.textContent));
  if (snaps.join(',') !== 'busy,quiet') fail(`snapshots ${snaps.join(',')}, expected busy,quiet`);
  if (errors.length) fail(`page errors: ${errors.join('; ')}`);
  await page.screenshot({ path: resolve(shots, 'dashboard.png'), fullPage: true });
  console.log(`ok: dashboard follows the sliders and saves fleet snapshots; screenshot ${resolve(shots, 'dashboard.png')}`);
} finally {
  await browser.close();
  server.kill();
}
