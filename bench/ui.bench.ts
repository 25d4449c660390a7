/**
 * UI benchmark: the machines view with 10,000 machines while 1,000 workflow progress events
 * a second stream in, against the same view with no events (reference, same run).
 *
 *   npm run build:renderer && node --import tsx bench/ui.bench.ts [--seconds 5]
 *
 * Figures: p50/p95/p99 frame time (requestAnimationFrame deltas collected in the page),
 * JS heap (CDP Performance.getMetrics), browser process RSS (/proc), time from navigation
 * to the first machine row. The data comes from e2e/ui/stub-server.ts, because the real
 * control plane cannot emit 1,000 events/s on this two-core machine; the renderer code
 * under test is the production build.
 */
import { chromium, type Browser } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startStubServer } from '../e2e/ui/stub-server.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 5;
const dist = new URL('../dist/renderer/index.html', import.meta.url).pathname;
if (!existsSync(dist)) execFileSync('npm', ['run', 'build:renderer'], { stdio: 'inherit', cwd: new URL('..', import.meta.url).pathname });

// Runs in the page before any app code: frame deltas and the moment the first row appears.
const probe = `
  window.__frames = []; window.__firstRow = 0;
  let last = 0;
  const tick = (t) => { if (last && window.__recording) window.__frames.push(t - last); last = t; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  new MutationObserver((_, obs) => {
    if (document.querySelector('.machine-row[data-machine]')) { window.__firstRow = performance.now(); obs.disconnect(); }
  }).observe(document, { childList: true, subtree: true });
`;

interface Result {
  label: string;
  firstRowMs: number;
  frames: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  heapMiB: number;
  rssMiB: number;
  progressMoved: boolean;
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** RSS of every process this one started (chromium: browser, renderer, GPU, utility), not this one. */
function browserRssMiB(rootPid: number): number {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=']).toString().trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const tree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of rows) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return rows.filter(([pid]) => tree.has(pid) && pid !== rootPid).reduce((a, [, , rss]) => a + rss, 0) / 1024;
}

async function run(browser: Browser, label: string, machines: number, rate: number, scroll: boolean): Promise<Result> {
  const stub = await startStubServer({ machines, rate });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  try {
    await page.addInitScript({ content: probe });
    await page.goto(stub.url);
    await page.waitForSelector('.machine-row[data-machine]');
    const firstRowMs = (await page.evaluate('window.__firstRow')) as number;
    // Show provisioning machines only, so the rows on screen are the ones receiving events.
    await page.getByLabel('Filter by state').selectOption('Provisioning');
    const bar = page.locator('.machine-row[data-machine] [role=progressbar]').first();
    const before = await bar.getAttribute('aria-valuenow');
    await page.waitForTimeout(500);
    await page.evaluate('window.__frames = []; window.__recording = true');
    const end = Date.now() + seconds * 1000;
    if (scroll) {
      await page.locator('.machine-scroll').hover();
      while (Date.now() < end) {
        await page.mouse.wheel(0, 400);
        await page.waitForTimeout(50);
      }
    } else {
      await page.waitForTimeout(seconds * 1000);
    }
    const frames = ((await page.evaluate('window.__frames')) as number[]).slice().sort((a, b) => a - b);
    const after = await bar.getAttribute('aria-valuenow').catch(() => before);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
    const rssMiB = browserRssMiB(process.pid);
    return {
      label,
      firstRowMs: Math.round(firstRowMs),
      frames: frames.length,
      p50: +pct(frames, 50).toFixed(1),
      p95: +pct(frames, 95).toFixed(1),
      p99: +pct(frames, 99).toFixed(1),
      max: +(frames[frames.length - 1] ?? NaN).toFixed(1),
      heapMiB: +(heap / 2 ** 20).toFixed(1),
      rssMiB: Math.round(rssMiB),
      progressMoved: rate === 0 ? false : before !== after,
    };
  } finally {
    await page.close();
    await stub.close();
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const results: Result[] = [];
  results.push(await run(browser, '10k machines, idle (reference)', 10_000, 0, false));
  results.push(await run(browser, '10k machines, 1000 events/s', 10_000, 1000, false));
  results.push(await run(browser, '10k machines, idle, scrolling', 10_000, 0, true));
  results.push(await run(browser, '10k machines, 1000 events/s, scrolling', 10_000, 1000, true));
  console.table(results);
  const [idle, load, idleScroll, loadScroll] = results;
  console.log(`p95 frame time under 1000 events/s vs idle: ${(load.p95 / idle.p95).toFixed(2)}x; while scrolling: ${(loadScroll.p95 / idleScroll.p95).toFixed(2)}x`);
  console.log(`JS heap under load vs idle: ${(load.heapMiB / idle.heapMiB).toFixed(2)}x`);
} finally {
  await browser.close();
}
