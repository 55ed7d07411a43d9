// Headless Chromium for the report tests: Debian's `chromium` driven by playwright-core (which
// never downloads a browser here: it is given the executable). What a loaded report drew, read
// back from the page itself.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

/** The chromium executable (CHROMIUM_PATH when set, else `chromium` on the PATH), or null. */
export function findChromium(): string | null {
  if (process.env.CHROMIUM_PATH) return existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : null;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export async function launch(executablePath: string): Promise<Browser> {
  // Chromium's sandbox refuses to start as root (CI containers run as root).
  return chromium.launch({ executablePath, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}

/** The few DOM types the page-side reader uses (the tests are typechecked without the DOM lib). */
interface PageElement {
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}
interface PageCanvas extends PageElement {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** What one data-draw element holds once the page has run. */
export interface Drawn {
  draw: string;
  index: string | null;
  /** uPlot charts: pixels of each series' colour on the chart's canvas. */
  seriesPixels: number[];
  /** Image canvases: how many distinct colours each holds. */
  canvasColours: number[];
  /** SVG: the heat map's cells and their counts. */
  cells: number;
  cellSum: number;
}

export interface Loaded {
  drawn: Drawn[];
  errors: string[];
  screenshot: string;
}

/** Opens `file` from disk, collects console and page errors, reads back every chart and writes a full-page screenshot to target/report/<name>.png. */
export async function loadReport(browser: Browser, file: string, name: string): Promise<Loaded> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  // Anything the page asks the network for is a failure: the file must be self-contained.
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) errors.push(`request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForSelector('html[data-drawn="true"]', { timeout: 10_000 });
  const drawn = await page.evaluate(() => {
    const rgb = (css: string) => {
      const m = /rgba?\(([^)]+)\)/.exec(css);
      if (m)
        return m[1]
          .split(',')
          .slice(0, 3)
          .map((v) => Number(v.trim()));
      const h = css.replace('#', '');
      return [0, 2, 4].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
    };
    const doc = (globalThis as unknown as { document: PageElement }).document;
    return [...doc.querySelectorAll('[data-draw]')].map((node) => {
      const colours = (node.getAttribute('data-colors') ?? '').split(',').filter(Boolean);
      const canvases = [...node.querySelectorAll('canvas')] as PageCanvas[];
      const seriesPixels: number[] = [];
      const canvasColours: number[] = [];
      for (const canvas of canvases) {
        const ctx = canvas.getContext('2d')!;
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        if (colours.length) {
          for (const c of colours) {
            const [r, g, b] = rgb(c);
            let n = 0;
            for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b) < 60) n++;
            seriesPixels.push(n);
          }
        } else {
          const seen = new Set<number>();
          for (let i = 0; i < px.length; i += 4) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
          canvasColours.push(seen.size);
        }
      }
      const cells = [...node.querySelectorAll('svg rect[data-count]')];
      return {
        draw: node.getAttribute('data-draw')!,
        index: node.getAttribute('data-index'),
        seriesPixels,
        canvasColours,
        cells: cells.length,
        cellSum: cells.reduce((s, c) => s + Number(c.getAttribute('data-count')), 0),
      };
    });
  });
  const dir = resolve(__dirname, '../../target/report');
  mkdirSync(dir, { recursive: true });
  const screenshot = join(dir, `${name}.png`);
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { drawn, errors, screenshot };
}
