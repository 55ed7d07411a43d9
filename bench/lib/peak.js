// The machine's theoretical fp32 peak from /proc/cpuinfo:
//   peak = cores x clock x FMA lanes x 2 flops per FMA x FMA units per core
// lanes: 16 with avx512f, 8 with avx2+fma, else 4 (SSE, no FMA: counted as mul+add).
// FMA units = 2 is a guess (true of recent Intel and AMD cores, not readable from cpuinfo), except
// on AMD family 25 (Zen 3/4), whose AVX-512 (Zen 4) runs each 512-bit FMA on both 256-bit pipes:
// one 16-lane FMA per cycle. The clock is the one cpuinfo reports; boost clocks are not visible
// there, so a measured figure can exceed this "peak" on a boosting core.
const fs = require('node:fs');
const os = require('node:os');

/** { gflops, formula } from the text of /proc/cpuinfo and a core count, or null without a clock. */
function peakFromCpuinfo(text, cores) {
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)$/m.exec(text)?.[1]);
  if (!Number.isFinite(mhz)) return null;
  const lanes = flags.has('avx512f') ? 16 : flags.has('avx2') && flags.has('fma') ? 8 : 4;
  const zen34 = /^vendor_id\s*:\s*AuthenticAMD$/m.test(text) && Number(/^cpu family\s*:\s*(\d+)$/m.exec(text)?.[1]) === 25;
  const fmaUnits = zen34 && lanes === 16 ? 1 : 2;
  const gflops = (cores * mhz * lanes * 2 * fmaUnits) / 1000;
  const units = zen34 && lanes === 16 ? '1 FMA unit (Zen 4: 512-bit FMA on two 256-bit pipes)' : `${fmaUnits} FMA units (guess)`;
  const formula = `${cores} cores x ${mhz} MHz (cpuinfo; boost not visible) x ${lanes} lanes x 2 (FMA) x ${units}`;
  return { gflops, formula };
}

function theoreticalPeak() {
  try {
    return peakFromCpuinfo(fs.readFileSync('/proc/cpuinfo', 'utf8'), os.availableParallelism());
  } catch {
    return null;
  }
}

module.exports = { theoreticalPeak, peakFromCpuinfo };
