// Saves are atomic (issue 7): a child process saves a large model (8 MB) in a loop and is
// SIGKILLed at random moments, again and again; the file at the path must always load, and hold
// one whole save (every tensor filled with the values of a single save), never a mix or a stub.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, layers, loadModel, saveModel } from '../../src/index';
import { bundleChild } from './childBundle';

const KILLS = Number(process.env.HARDENING_KILLS ?? 8);
let child = '';

beforeAll(async () => {
  child = await bundleChild('saveLoop');
}, 60_000);

/** Starts the saving child, waits for `saves` "saving" lines plus a random delay, SIGKILLs it. */
function saveAndKill(path: string, saves: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = 0;
    p.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString().split('\n').filter((l) => l.startsWith('saving')).length;
      if (seen >= saves && !p.killed) setTimeout(() => p.kill('SIGKILL'), delayMs);
    });
    p.on('error', reject);
    p.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(seen) : reject(new Error(`child exited without being killed (${signal})`))));
  });
}

describe('atomic saves under SIGKILL', () => {
  it(`the previous file stays intact and loadable across ${KILLS} kills mid-save`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oxnet-atomic-'));
    const path = join(dir, 'big.oxnet');
    // The starting file: same architecture as the child's, every weight 0.
    const first = new Sequential({ seed: 1, backend: 'js' });
    first.add(layers.dense({ units: 1024, inputDim: 1024 }));
    first.add(layers.dense({ units: 1024 }));
    first.add(layers.dense({ units: 10 }));
    first.setWeights(first.getWeights().map((w) => w.fill(0)));
    saveModel(first, path);

    const fills = new Set<number>();
    for (let i = 0; i < KILLS; i++) {
      await saveAndKill(path, 1 + (i % 3), (i * 37) % 90);
      const weights = loadModel(path).getWeights();
      // One save fills tensor j with k0 + j (the child increments k per tensor).
      const k0 = weights[0][0];
      weights.forEach((w, j) => {
        const expected = k0 === 0 ? 0 : k0 + j;
        expect(w.every((v) => v === expected)).toBe(true);
      });
      fills.add(k0);
    }
    // The kills landed after different numbers of completed saves, so the file did change.
    expect(fills.size).toBeGreaterThan(1);
    // Killed saves leave only their own temp files beside the target, never a damaged target.
    expect(readdirSync(dir).filter((f) => !f.startsWith('.big.oxnet.tmp-'))).toEqual(['big.oxnet']);
  }, 120_000);
});
