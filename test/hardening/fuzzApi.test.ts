// Property-based fuzzing of every entry point (issue 7): >= 10,000 random malformed calls on
// both backends, the raw native binding and the public model API; every refusal must be an
// OxnetError with a code other than E_NATIVE, and the process must stay up. FUZZ_RUNS scales it
// (scripts/fuzz-api runs it far longer with a random seed).
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backend/js';
import { loadNativeBinding } from '../../src/backend/native';
import { nativeOrNull } from '../helpers/backends';
import { fuzzBackend, fuzzBinding, fuzzPublic, newTally } from './fuzzCalls';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const { native } = nativeOrNull();
const TIMEOUT = 60_000 + RUNS * 20;

describe('API fuzz: only typed errors, the process stays up', () => {
  it.runIf(native)(
    `native backend: ${RUNS * 2} malformed calls`,
    async () => {
      const tally = newTally();
      const failures = await fuzzBackend(native!, RUNS * 2, SEED, tally);
      expect(failures).toEqual([]);
      expect(tally.calls).toBe(RUNS * 2);
      // The generators must reach the refusals, not only the happy path.
      expect(tally.refused.get('E_SHAPE') ?? 0).toBeGreaterThan(RUNS / 20);
      expect(tally.refused.get('E_ARG') ?? 0).toBeGreaterThan(RUNS / 20);
    },
    TIMEOUT,
  );

  it.runIf(native)(
    `raw native binding: ${RUNS} malformed calls`,
    async () => {
      const tally = newTally();
      const failures = await fuzzBinding(loadNativeBinding(), RUNS, SEED + 1, tally);
      expect(failures).toEqual([]);
      expect(tally.calls).toBe(RUNS);
    },
    TIMEOUT,
  );

  it(
    `js backend: ${RUNS} malformed calls`,
    async () => {
      const tally = newTally();
      const failures = await fuzzBackend(jsBackend, RUNS, SEED + 2, tally);
      expect(failures).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    `public model API: ${Math.ceil(RUNS / 3)} malformed fit/predict sequences`,
    async () => {
      const tally = newTally();
      const failures = await fuzzPublic(Math.ceil(RUNS / 3), SEED + 3, tally);
      expect(failures).toEqual([]);
    },
    TIMEOUT,
  );
});
