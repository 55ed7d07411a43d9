// Every example runs as a user would run it (node examples/<name>.js against the compiled dist/
// that `npm ci` builds) and prints what its header promises. Assertions read the printed numbers,
// so an example that silently stopped learning fails here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const cwd = mkdtempSync(join(tmpdir(), 'oxnet-examples-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function run(name: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [join(root, 'examples', name), ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
  expect(r.status, `${name} exited ${r.status}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function number(out: string, re: RegExp): number {
  const m = out.match(re);
  expect(m, `no match for ${re} in:\n${out}`).not.toBeNull();
  return Number(m![1]);
}

describe('examples', () => {
  it('perceptron: AND and OR learned, XOR not', () => {
    const out = run('perceptron.js');
    expect(out).toMatch(/AND: .*, 0 wrong/);
    expect(out).toMatch(/OR: .*, 0 wrong/);
    expect(number(out, /XOR: .*, (\d+) wrong/)).toBeGreaterThan(0);
  });

  it('xor-hand-set: the course table 00->0, 01->1, 10->1, 11->0', () => {
    const lines = run('xor-hand-set.js')
      .trim()
      .split('\n')
      .slice(-4)
      .map((l) => l.replace(/\s+/g, ' ').trim());
    expect(lines.map((l) => l.split(' ').at(-1))).toEqual(['0', '1', '1', '0']);
  });

  it('xor-restarts: the best restart separates XOR', () => {
    const out = run('xor-restarts.js');
    const outputs = out
      .match(/outputs ([\d. ]+)/)![1]
      .trim()
      .split(' ')
      .map(Number);
    expect(outputs[0]).toBeLessThan(0.5);
    expect(outputs[1]).toBeGreaterThan(0.5);
    expect(outputs[2]).toBeGreaterThan(0.5);
    expect(outputs[3]).toBeLessThan(0.5);
  });

  it('sin: the 1-H-1 net follows sin(x)', () => {
    const rows = [...run('sin.js').matchAll(/sin\s+(-?[\d.]+)\s+net\s+(-?[\d.]+)/g)];
    expect(rows.length).toBeGreaterThan(2);
    for (const [, s, n] of rows) expect(Math.abs(Number(s) - Number(n))).toBeLessThan(0.05);
  });

  it("gradcheck: the backend's gradients equal the slide's closed forms, and gradCheck passes", () => {
    const out = run('gradcheck.js');
    const rows = [...out.matchAll(/dE\/d(\w+)\s+(-?[\d.]+)\s+(-?[\d.]+)/g)];
    expect(rows.map((r) => r[1])).toEqual(['w0', 'w1', 'v0', 'v1']);
    for (const r of rows) expect(Number(r[3])).toBeCloseTo(Number(r[2]), 5);
    expect(Number(rows[0][2])).toBeCloseTo(-0.127037, 5);
    expect(out).toMatch(/gradCheck passed/);
    expect(out).not.toMatch(/FAIL/);
  });

  it('iris: recipe with size search saves a model', () => {
    const out = run('iris.js');
    expect(out).toMatch(/test accuracy (0\.9[3-9]|1\.0)/);
    expect(out).toMatch(/saved and reloaded .*same predictions true/);
  });

  it('regression: test R^2 above 0.95', () => {
    expect(number(run('regression.js'), /test R\^2 ([\d.]+)/)).toBeGreaterThan(0.95);
  });

  it('csv: classification from a CSV file', () => {
    expect(number(run('csv.js'), /test accuracy ([\d.]+)/)).toBeGreaterThan(0.9);
  });

  it('autoencoder: codes and reconstruction errors printed', () => {
    expect(run('autoencoder.js')).toMatch(/code \[/);
  });

  it('mnist-mlp and mnist-cnn: accuracies as their headers say', () => {
    expect(number(run('mnist-mlp.js'), /test accuracy ([\d.]+)/)).toBeGreaterThan(0.92);
    expect(number(run('mnist-cnn.js'), /reloaded, it scores ([\d.]+)/)).toBeGreaterThan(0.95);
  });

  it('two-inputs: neither input alone beats chance, both together solve it', () => {
    const out = run('two-inputs.js');
    const image = number(out, /image alone ([\d.]+)/);
    const features = number(out, /features alone ([\d.]+)/);
    expect(number(out, /both inputs ([\d.]+)/)).toBeGreaterThanOrEqual(0.95);
    for (const alone of [image, features]) expect(Math.abs(alone - 0.5)).toBeLessThan(0.1);
  });

  it('tfjs-import: the tfjs model predicts as tfjs did, then fine-tunes to the new task', () => {
    const out = run('tfjs-import.js');
    expect(number(out, /largest difference from tfjs [\d.]+: ([\d.e+-]+)/)).toBeLessThan(1e-5);
    const before = number(out, /before fine-tuning: loss [\d.]+, kind accuracy ([\d.]+)/);
    expect(number(out, /after fine-tuning: loss [\d.]+, kind accuracy ([\d.]+)/)).toBeGreaterThan(Math.max(0.9, before + 0.3));
    expect(number(out, /after fine-tuning: loss ([\d.]+)/)).toBeLessThan(number(out, /before fine-tuning: loss ([\d.]+)/) / 5);
    expect(number(out, /reloaded from .oxnet, kind accuracy ([\d.]+)/)).toBeGreaterThan(0.9);
  });

  it('conv-autoencoder: the convolutional code of 32 values reconstructs better than the dense one', () => {
    const out = run('conv-autoencoder.js', '3');
    const dense = number(out, /dense 784-32-784 ([\d.]+)/);
    const conv = number(out, /conv \(32-value code\) ([\d.]+)/);
    expect(conv).toBeLessThan(0.9 * dense);
  }, 300_000);

  it('unet-denoise: one epoch takes the error to the clean digits down at least 4x', () => {
    const out = run('unet-denoise.js', '1');
    const noisy = number(out, /noisy inputs ([\d.]+)/);
    const denoised = number(out, /U-Net output ([\d.]+)/);
    expect(noisy / denoised).toBeGreaterThanOrEqual(4);
  }, 300_000);
  it('onnx-export: ONNX Runtime runs the exported CNN as oxnet does', () => {
    const out = run('onnx-export.js');
    expect(number(out, /max \|onnxruntime - oxnet\| ([\d.e+-]+)/)).toBeLessThanOrEqual(1e-5);
    expect(number(out, /test accuracy oxnet ([\d.]+)/)).toBeGreaterThan(0.8);
    expect(number(out, /onnxruntime ([\d.]+)$/m)).toBe(number(out, /test accuracy oxnet ([\d.]+)/));
  });

  it('onnx-import: the PyTorch CNN predicts as PyTorch and fine-tunes', () => {
    const out = run('onnx-import.js');
    expect(number(out, /max \|oxnet - pytorch\| ([\d.e+-]+)/)).toBeLessThanOrEqual(1e-5);
    const [, before, after] = out.match(/fine-tuning loss ([\d.]+) -> ([\d.]+)/)!;
    expect(Number(after)).toBeLessThan(Number(before) / 2);
  });
});
