// Data-parallel training on MPI (issue 17): `mpirun -np 2` on loopback against one process.
// 1. Two ranks at global batch 16 (8 each) end with the weights one process reaches at batch 16
//    over the same samples, within 1e-5 after 50 steps (an MLP with SGD+momentum, a small CNN
//    with Adam; and the MLP from a streamed source through fitDataset), and the two ranks' weights
//    are bitwise equal.
// 2. A rank that SIGKILLs itself, or throws, mid-training ends the job with an error within 30 s.
// Skipped with a message when mpirun or the MPI addon (npm run build:mpi) is missing, unless CI
// is set: then that is a failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mpiAddonPath } from '../../src/distributed/world';
import { bundleChild } from '../hardening/childBundle';
import { testTempDir } from '../helpers/temp';
import { nativeAvailable } from '../model/helpers';

const haveMpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
const haveAddon = existsSync(mpiAddonPath());
const ready = haveMpirun && haveAddon && nativeAvailable();
const missing = !haveMpirun
  ? 'mpirun (apt-get install openmpi-bin libopenmpi-dev)'
  : !haveAddon
    ? `the MPI addon ${mpiAddonPath()} (npm run build:mpi)`
    : 'the native addon';
if (!ready && !process.env.CI) console.warn(`test/distributed skipped: ${missing} is missing`);

/** mpirun as CI runs it: as root in a container, two ranks on however few cores there are. */
const MPIRUN = ['--allow-run-as-root', '--oversubscribe', '-np', '2'];

interface Result {
  rank: number;
  size: number;
  step: number;
  losses: number[];
  weights: Float32Array[];
}

function read(file: string): Result {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  return { ...r, weights: r.weights.map((b: string) => new Float32Array(new Uint8Array(Buffer.from(b, 'base64')).buffer)) };
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; signal: string | null; out: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMPI_MCA_btl_vader_single_copy_mechanism: 'none' } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, ms: Date.now() - t0 });
    });
  });
}

/** Two ranks, rank 1 failing after 2 epochs as `mode` says: mpirun must end within 30 s, with an error. */
async function failingRun(mode: 'die' | 'throw') {
  const child = await bundleChild('trainRun', `${__dirname}/children`);
  const dir = testTempDir('oxnet-mpi-');
  const r = await run('mpirun', [...MPIRUN, process.execPath, child, 'mlp', dir.file(mode), mode], 60_000);
  expect(r.signal, `mpirun was still running after 60 s:\n${r.out}`).toBeNull();
  expect(r.code).not.toBe(0);
  expect(r.ms).toBeLessThan(30_000);
  return r;
}

describe.runIf(ready || process.env.CI)('data-parallel fit on MPI', () => {
  it('the environment has mpirun and the MPI addon (CI must build them)', () => {
    expect(ready, `${missing} is missing`).toBe(true);
  });

  for (const net of ['mlp', 'cnn', 'mlp-stream']) {
    it(`${net}: 2 ranks x batch 8 match 1 process x batch 16 within 1e-5 after 50 steps; the ranks agree bitwise`, async () => {
      const child = await bundleChild('trainRun', `${__dirname}/children`);
      const dir = testTempDir('oxnet-mpi-');
      const single = await run(process.execPath, [child, net, dir.file('single')], 120_000);
      expect(single.code, single.out).toBe(0);
      const multi = await run('mpirun', [...MPIRUN, process.execPath, child, net, dir.file('multi')], 120_000);
      expect(multi.code, multi.out).toBe(0);
      const one = read(dir.file('single.0.json'));
      const [r0, r1] = [read(dir.file('multi.0.json')), read(dir.file('multi.1.json'))];
      expect([one.size, r0.size, r1.size]).toEqual([1, 2, 2]);
      expect([one.step, r0.step, r1.step]).toEqual([50, 50, 50]);
      let worst = 0;
      one.weights.forEach((w, i) => {
        expect(Buffer.from(r0.weights[i].buffer).equals(Buffer.from(r1.weights[i].buffer)), `tensor ${i} differs between the ranks`).toBe(true);
        for (let j = 0; j < w.length; j++) worst = Math.max(worst, Math.abs(w[j] - r0.weights[i][j]));
      });
      expect(worst).toBeLessThan(1e-5);
      // The training moved the weights (a run that did nothing would match trivially) and the losses agree.
      expect(one.losses[0] - one.losses.at(-1)!).toBeGreaterThan(0.01);
      for (const [e, l] of r0.losses.entries()) expect(l).toBeCloseTo(one.losses[e], 5);
    }, 300_000);
  }

  it("the example and README's train.js train MNIST on 2 ranks, rank 0 alone printing", async () => {
    const root = resolve(__dirname, '../..');
    const ex = await run('mpirun', [...MPIRUN, process.execPath, join(root, 'examples', 'distributed-mnist.js')], 240_000);
    expect(ex.code, ex.out).toBe(0);
    expect(ex.out.match(/^test accuracy/gm)).toHaveLength(1);
    expect(Number(ex.out.match(/test accuracy ([\d.]+)/)?.[1])).toBeGreaterThan(0.93);
    // README's script, from its heredoc, against this checkout's dist/.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const script = readme.match(/cat > train\.js <<'JS'\n([\s\S]*?)\nJS\n/)?.[1];
    expect(script, "README's train.js heredoc").toBeDefined();
    const dir = testTempDir('oxnet-mpi-');
    writeFileSync(dir.file('train.js'), script!.replace("require('oxnet')", `require(${JSON.stringify(join(root, 'dist'))})`));
    const r = await run('mpirun', [...MPIRUN, process.execPath, dir.file('train.js')], 240_000);
    expect(r.code, r.out).toBe(0);
    expect(r.out.match(/^test accuracy/gm)).toHaveLength(1);
    expect(Number(r.out.match(/test accuracy ([\d.]+)/)?.[1])).toBeGreaterThan(0.85);
  }, 600_000);

  it('a rank killed with SIGKILL mid-training ends the job with an error within 30 s', async () => {
    const r = await failingRun('die');
    expect(r.out).toMatch(/signal 9|Killed/);
  }, 120_000);

  it('a rank whose script throws mid-training aborts the job (its peers never wait for it)', async () => {
    const r = await failingRun('throw');
    expect(r.out).toMatch(/rank 1 gives up/);
    expect(r.out).toMatch(/rank 1 exits with code 1; aborting the MPI job/);
  }, 120_000);
});
