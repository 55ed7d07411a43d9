// Saves are atomic (issue 7): a child process saves a large model (8 MB) in a loop and is
// SIGKILLed at random moments, again and again; the file at the path must always load, and hold
// one whole save (every tensor filled with the values of a single save), never a mix or a stub.
// The next save removes the temp files those killed processes left behind.
import { spawn } from 'node:child_process';
import { readdirSync, watch, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, layers, loadModel, saveModel } from '../../src/index';
import { testTempDir } from '../helpers/temp';
import { bundleChild } from './childBundle';

const KILLS = Number(process.env.HARDENING_KILLS ?? 8);
let child = '';

beforeAll(async () => {
  child = await bundleChild('saveLoop');
}, 60_000);

/**
 * Starts the saving child and SIGKILLs it after `saves` "saving" lines: `delayMs` later, or,
 * with `onTempFile`, the moment its next temp file appears (a kill inside the write itself).
 */
function saveAndKill(path: string, saves: number, delayMs: number, onTempFile: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = 0;
    const kill = () => {
      if (!p.killed) p.kill('SIGKILL');
    };
    const watcher = onTempFile
      ? watch(dirname(path), (_event, file) => {
          if (seen >= saves && String(file).startsWith(`.${basename(path)}.tmp-`)) kill();
        })
      : null;
    p.stdout.on('data', (chunk: Buffer) => {
      seen += chunk
        .toString()
        .split('\n')
        .filter((l) => l.startsWith('saving')).length;
      // With onTempFile, the timer is only a fallback (no temp file would mean no atomic save).
      if (seen >= saves) setTimeout(kill, onTempFile ? 500 : delayMs);
    });
    p.on('error', reject);
    p.on('exit', (_code, signal) => {
      watcher?.close();
      if (signal === 'SIGKILL') resolve(seen);
      else reject(new Error(`child exited without being killed (${signal})`));
    });
  });
}

describe('atomic saves under SIGKILL', () => {
  it(`the previous file stays intact and loadable across ${KILLS} kills mid-save`, async () => {
    const dir = testTempDir('oxnet-atomic-').path;
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
      await saveAndKill(path, 1 + (i % 3), (i * 37) % 90, i % 2 === 1);
      const weights = loadModel(path).getWeights();
      // One whole save: the initial zeros, or set s (1 or 2) with tensor j filled with s + j.
      const s = weights[0][0];
      expect([0, 1, 2]).toContain(s);
      weights.forEach((w, j) => {
        const expected = s === 0 ? 0 : s + j;
        expect(w.every((v) => v === expected)).toBe(true);
      });
      fills.add(s);
    }
    // The kills landed after different numbers of completed saves, so the file did change.
    expect(fills.size).toBeGreaterThan(1);
    // Killed saves leave only their own temp files beside the target, never a damaged target;
    // the kills on a temp file's appearance land inside the write, and leave that file behind.
    const files = readdirSync(dir);
    expect(files.filter((f) => !f.startsWith('.big.oxnet.tmp-'))).toEqual(['big.oxnet']);
    expect(files.length - 1).toBeGreaterThan(0);
    // The next save removes the temp files of those dead processes, but not one of a process
    // that still runs (a save in progress there), nor files of other names.
    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, `.big.oxnet.tmp-${alive.pid}-123`), 'in progress');
      writeFileSync(join(dir, '.other.oxnet.tmp-1-1'), 'not ours');
      saveModel(first, path);
      expect(readdirSync(dir).sort()).toEqual([`.big.oxnet.tmp-${alive.pid}-123`, '.other.oxnet.tmp-1-1', 'big.oxnet'].sort());
    } finally {
      alive.kill('SIGKILL');
    }
  }, 120_000);
});
