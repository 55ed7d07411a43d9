// Which Python runs the numpy and PyTorch peers, and whether it has them.
//   BENCH_PYTHON, else bench/.venv/bin/python (what setup-python.sh makes), else python3.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const VENV_PYTHON = path.join(__dirname, '..', '.venv', 'bin', 'python');

/** The python command for the peers; `exists` is injectable for tests. */
function choosePython(env = process.env, exists = fs.existsSync) {
  if (env.BENCH_PYTHON) return env.BENCH_PYTHON;
  if (exists(VENV_PYTHON)) return VENV_PYTHON;
  return 'python3';
}

/** Whether `python -c "import <module>"` succeeds (a missing interpreter counts as no). */
function canImport(python, module, timeoutMs = 120000) {
  const r = spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore', timeout: timeoutMs });
  return r.status === 0;
}

/** The one line printed when PyTorch is not there (its jobs are skipped, not failed). */
function torchMissingLine(python) {
  return `PyTorch: '${python}' cannot import torch, so the PyTorch rows are skipped; run bench/setup-python.sh (a venv in bench/.venv with torch and numpy) or set BENCH_PYTHON to a python that has torch`;
}

module.exports = { choosePython, canImport, torchMissingLine, VENV_PYTHON };
