# W4 for numpy: float32 C = A @ B, GFLOP/s = 2 n^3 / best time. Prints the same '@@bench' lines as
# the node workers. Run by run.js with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset.
import json, os, resource, sys, time

quick = '--quick' in sys.argv
threads = int(os.environ.get('OPENBLAS_NUM_THREADS') or os.cpu_count())

def emit(**rec):
    print('@@bench ' + json.dumps(rec), flush=True)

try:
    import numpy as np
except ImportError as e:
    emit(workload='W4', impl='numpy', skipped=f'numpy does not import: {e}')
    sys.exit(0)

rng = np.random.default_rng(1)
for n in ([256, 1024] if quick else [256, 1024, 4096]):
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    a @ b  # warm-up
    best, spent, reps = float('inf'), 0.0, 0
    while reps < 3 or spent < (0.3 if quick else 1.0):
        t0 = time.perf_counter()
        a @ b
        dt = time.perf_counter() - t0
        best, spent, reps = min(best, dt), spent + dt, reps + 1
    emit(workload='W4', impl='numpy', metric='gflops', value=2 * n**3 / best / 1e9, threads=threads, size=n, reps=reps)
emit(workload='W4', impl='numpy', metric='peak_rss_mb', value=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, threads=threads)
