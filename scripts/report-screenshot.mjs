// A screenshot of an HTML report (docs/report.png is made with it from `npm start`'s report):
//   node scripts/report-screenshot.mjs mnist-cnn.html docs/report.png [width] [max height]
// Uses Debian's chromium through playwright-core (CHROMIUM_PATH overrides the path).
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [file, out, width = '1200', maxHeight = '0'] = process.argv.slice(2);
if (!file || !out) {
  console.error('usage: node scripts/report-screenshot.mjs <report.html> <out.png> [width] [max height]');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM_PATH ?? execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
const browser = await chromium.launch({ executablePath, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
try {
  const page = await browser.newPage({ viewport: { width: Number(width), height: 900 } });
  await page.goto(pathToFileURL(resolve(file)).href);
  await page.waitForSelector('html[data-drawn="true"]');
  const height = await page.evaluate('document.documentElement.scrollHeight');
  const clip = Number(maxHeight) > 0 ? { x: 0, y: 0, width: Number(width), height: Math.min(height, Number(maxHeight)) } : undefined;
  await page.screenshot({ path: out, fullPage: true, ...(clip ? { clip } : {}) });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
