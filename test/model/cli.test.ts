// `npm start` (src/cli/mnist.ts): trains, saves a model that loads and scores the same, and prints
// the final `test accuracy:` line. Native only (a few seconds); skipped visibly otherwise.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runMnist } from '../../src/cli/mnist';
import { loadMnist } from '../../src/data/mnist';
import { loadModel } from '../../src/index';
import { getBackend } from '../../src/backend';

const native = (() => {
  try {
    return getBackend() === 'native';
  } catch {
    return false;
  }
})();
const suite = native ? describe : describe.skip;
if (!native) console.warn('[oxnet tests] npm start test SKIPPED: the active backend is not native');

suite('npm start (MNIST MLP)', () => {
  it('stops at the target accuracy, prints it, saves a loadable model', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'oxnet-cli-')), 'm.oxnet');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
    let r;
    try {
      r = await runMnist({ epochs: 5, target: 0.9, out, seed: 1 });
    } finally {
      spy.mockRestore();
    }
    expect(r.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(r.epochs).toBeLessThanOrEqual(2); // W2 passes 0.90 within 2 epochs
    expect(lines.join('')).toMatch(new RegExp(`test accuracy: ${r.accuracy.toFixed(4)}\\n$`));
    const m = loadMnist();
    expect(loadModel(out).evaluate(m.testX, m.testY).accuracy).toBe(r.accuracy);
  });
});
