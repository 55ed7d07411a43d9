// The machine's theoretical fp32 peak from /proc/cpuinfo:
//   peak = cores x clock x FMA lanes x 2 flops per FMA x FMA units per core
// lanes: 16 with avx512f, 8 with avx2+fma, else 4 (SSE, no FMA: counted as mul+add).
// FMA units = 2 is a guess (true of recent Intel and AMD cores, not readable from cpuinfo), and
// the clock is the one cpuinfo reports (boost clocks are not visible there).
const fs = require('node:fs');
const os = require('node:os');

/** { gflops, formula } from the text of /proc/cpuinfo and a core count, or null without a clock. */
function peakFromCpuinfo(text, cores) {
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)$/m.exec(text)?.[1]);
  if (!Number.isFinite(mhz)) return null;
  const lanes = flags.has('avx512f') ? 16 : flags.has('avx2') && flags.has('fma') ? 8 : 4;
  const fmaUnits = 2;
  const gflops = (cores * mhz * lanes * 2 * fmaUnits) / 1000;
  const formula = `${cores} cores x ${mhz} MHz x ${lanes} lanes x 2 (FMA) x ${fmaUnits} FMA units (guess)`;
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
