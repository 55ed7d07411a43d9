# PyTorch CPU as a peer: W2, W3, W4, W5, W6, W7, W8 with PyTorch's ordinary training loop
# (nn.Module, torch.optim.Adam, cross-entropy or MSE, one Python iteration a batch), float32, or
# under torch.autocast("cpu", dtype=torch.bfloat16) with --precision=bfloat16 (the loss and Adam
# stay float32, as autocast does). run.js passes the workload's settings (lib/workloads.js) and
# the files it wrote (lib/data.js): the MNIST split, the epoch orders, the synthetic pools, so
# data, orders and batches are the same as oxnet's. Prints the same '@@bench' lines as the node
# workers.
#   python torch_workloads.py W3 --threads 2 --settings '{...}' --mnist F --orders F [--synthetic F]
#       [--precision bfloat16] [--quick]
import argparse, json, os, resource, sys, time

ap = argparse.ArgumentParser()
ap.add_argument('workload')
ap.add_argument('--threads', type=int, required=True)
ap.add_argument('--settings', default='{}')
ap.add_argument('--mnist')
ap.add_argument('--orders')
ap.add_argument('--synthetic')
ap.add_argument('--precision', default=None)
ap.add_argument('--quick', action='store_true')
# run.js's time limit for this job: W7/W8 time fewer batches (at least 1, the record's `samples`
# says how many) where the warm-up shows the settings' count would not fit in 40% of it.
ap.add_argument('--limit-s', type=float, default=float('inf'))
args = ap.parse_args()
W = args.workload
IMPL = 'pytorch'
tags = {'precision': args.precision} if args.precision else {}


def emit(metric, value, **extra):
    print('@@bench ' + json.dumps({'workload': W, 'impl': IMPL, 'metric': metric, 'value': value, 'threads': args.threads, **tags, **extra}), flush=True)


def skip(reason):
    print('@@bench ' + json.dumps({'workload': W, 'impl': IMPL, **tags, 'skipped': reason}), flush=True)


try:
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F
except ImportError as e:
    skip(f'torch does not import ({e}): run bench/setup-python.sh or set BENCH_PYTHON')
    sys.exit(0)

torch.set_num_threads(args.threads)
torch.manual_seed(7)
S = json.loads(args.settings)
BF16 = args.precision == 'bfloat16'
if args.precision not in (None, 'bfloat16'):
    raise SystemExit(f'unknown --precision {args.precision}')

TRAIN, TEST, PIXELS = 8000, 2000, 784


def bf16_hardware():
    try:
        flags = next((l for l in open('/proc/cpuinfo') if l.startswith('flags')), '').split()
    except OSError:
        return False
    return 'avx512_bf16' in flags or 'amx_bf16' in flags


# Without AVX512_BF16 or AMX, autocast's bfloat16 products run slow reference kernels (on a Zen 1:
# torch.matmul at 0.1 GFLOP/s, a W7 batch takes minutes): --quick leaves the large ones out.
if BF16 and args.quick and W in ('W6', 'W7', 'W8') and not bf16_hardware():
    skip('this CPU has neither AVX512_BF16 nor AMX: autocast bfloat16 runs reference kernels (minutes a batch); run without --quick to measure it')
    sys.exit(0)


def autocast():
    return torch.autocast('cpu', dtype=torch.bfloat16, enabled=BF16)


# ---- data (the files lib/data.js writes) ----
def load_split():
    a = np.fromfile(args.mnist, dtype=np.float32)
    at = 0
    out = {}
    for name, n in [('trainX', TRAIN * PIXELS), ('trainY', TRAIN * 10), ('testX', TEST * PIXELS), ('testY', TEST * 10)]:
        out[name] = a[at:at + n]
        at += n
    assert at == a.size, f'{args.mnist}: {a.size} floats, expected {at}'
    x = torch.from_numpy(out['trainX'].reshape(TRAIN, PIXELS).copy())
    tx = torch.from_numpy(out['testX'].reshape(TEST, PIXELS).copy())
    y = torch.from_numpy(out['trainY'].reshape(TRAIN, 10).argmax(1))
    ty = torch.from_numpy(out['testY'].reshape(TEST, 10).argmax(1))
    return x, y, tx, ty


def orders():
    o = np.fromfile(args.orders, dtype=np.uint32).reshape(-1, TRAIN)
    return [torch.from_numpy(r.astype(np.int64)) for r in o]


# ---- the networks of workloads.md ----
def mlp():
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def autoencoder():
    return nn.Sequential(nn.Linear(784, 32), nn.Sigmoid(), nn.Linear(32, 784), nn.Sigmoid())


def cnn():
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


class Block(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, add the shortcut (a strided 1x1 projection where the shape changes), ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.proj = nn.Conv2d(cin, cout, 1, stride, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.proj is None else self.proj(x)))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        blocks, cin = [], 16
        for stage, f in enumerate([16, 32, 64]):
            for b in range(2):
                blocks.append(Block(cin, f, 2 if stage > 0 and b == 0 else 1))
                cin = f
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        h = self.blocks(self.stem(x.view(-1, 1, 28, 28)))
        return self.head(h.mean((2, 3)))


def vgg():
    def conv(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]
    return nn.Sequential(
        *conv(3, 64), *conv(64, 64), nn.MaxPool2d(2),
        *conv(64, 128), *conv(128, 128), nn.MaxPool2d(2),
        *conv(128, 256), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 10))


def wide_mlp():
    return nn.Sequential(nn.Linear(3072, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 10))


MODELS = {'W2': mlp, 'W3': cnn, 'W5': autoencoder, 'W6': ResNet, 'W7': vgg, 'W8': wide_mlp}


# ---- training: the ordinary loop ----
def make_step(model):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    # cross_entropy takes logits (oxnet's softmax + cross-entropy, computed from logits); W5's MSE on sigmoid outputs.
    loss_fn = F.mse_loss if W == 'W5' else F.cross_entropy

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        with autocast():
            loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss
    return step


def predict(model, x):
    model.eval()
    with torch.no_grad(), autocast():
        out = torch.cat([model(x[i:i + 500]) for i in range(0, x.shape[0], 500)]).float()
    model.train()
    return out


def mnist_workload():
    x, y, tx, ty = load_split()
    target, test_target = (x, tx) if W == 'W5' else (y, ty)
    model = MODELS[W]()
    step = make_step(model)
    batch = S['batch']
    ords = orders()

    def train(order, start, end):
        """Samples order[start:end) in batches (the last one short if it must be)."""
        for i in range(start, end, batch):
            idx = order[i:min(i + batch, end)]
            step(x[idx], target[idx])

    def score(epochs):
        out = predict(model, tx)
        if W == 'W5':
            emit('recon_mse', float(((out - tx) ** 2).mean()), epochs=epochs)
        else:
            emit('test_accuracy', float((out.argmax(1) == ty).float().mean()), epochs=epochs)

    if S.get('epochs'):
        timed_s, timed_n = 0.0, 0
        for e in range(S['epochs']):
            t0 = time.perf_counter()
            train(ords[e], 0, TRAIN)
            if e >= S['warmupEpochs']:
                timed_s += time.perf_counter() - t0
                timed_n += TRAIN
        emit('samples_per_s', timed_n / timed_s, epochs=S['epochs'])
        score(S['epochs'])
        return
    # One epoch (order 0): warm-up batches, then timed batch by batch until the epoch ends or the budget is spent.
    order = ords[0]
    warm = S['warmupBatches'] * batch
    train(order, 0, warm)
    budget = S.get('budgetS')
    budget = float('inf') if budget is None else budget
    at, timed_s = warm, 0.0
    while at < TRAIN and timed_s < budget:
        t0 = time.perf_counter()
        train(order, at, min(at + batch, TRAIN))
        timed_s += time.perf_counter() - t0
        at = min(at + batch, TRAIN)
    emit('samples_per_s', (at - warm) / timed_s, samples=at - warm)
    if at == TRAIN:
        score(1)


def synthetic_workload():
    batch = S['batch']
    a = np.fromfile(args.synthetic, dtype=np.float32)
    width = 32 * 32 * 3 if W == 'W7' else 3072
    n = a.size // (width + 1)
    assert n * (width + 1) == a.size and n % batch == 0, f'{args.synthetic}: {a.size} floats'
    x = torch.from_numpy(a[:n * width].reshape(n, width).copy())
    if W == 'W7':
        x = x.view(n, 32, 32, 3).permute(0, 3, 1, 2).contiguous()  # oxnet's channels-last pool -> NCHW
    y = torch.from_numpy(a[n * width:].astype(np.int64))
    pool = n // batch
    xs = [x[b * batch:(b + 1) * batch] for b in range(pool)]
    ys = [y[b * batch:(b + 1) * batch] for b in range(pool)]
    model = MODELS[W]()
    step = make_step(model)

    def train(first, count):
        for i in range(first, first + count):
            step(xs[i % pool], ys[i % pool])

    t0 = time.perf_counter()
    train(0, S['warmupBatches'])
    per_batch = (time.perf_counter() - t0) / max(1, S['warmupBatches'])
    count = max(1, min(S['batches'], int(0.4 * args.limit_s / per_batch))) if S['warmupBatches'] else S['batches']
    t0 = time.perf_counter()
    train(S['warmupBatches'], count)
    took = time.perf_counter() - t0
    emit('samples_per_s', count * batch / took, samples=count * batch, batch=batch)


def gemm_workload():
    # torch.matmul, float32 (and bfloat16 inputs with --precision=bfloat16): GFLOP/s = 2 n^3 / best time.
    g = torch.Generator().manual_seed(1)
    dtype = torch.bfloat16 if BF16 else torch.float32
    last = None
    for n in S['sizes']:
        if last and last[1] * (n / last[0]) ** 3 > 20:
            skip(f'n={n}: a call would take about {last[1] * (n / last[0]) ** 3:.0f} s here')
            continue
        a = (torch.rand(n, n, generator=g) * 2 - 1).to(dtype)
        b = (torch.rand(n, n, generator=g) * 2 - 1).to(dtype)
        torch.matmul(a, b)  # warm-up
        best, spent, reps = float('inf'), 0.0, 0
        while reps < S['minReps'] or spent < S['minTimeS']:
            t0 = time.perf_counter()
            torch.matmul(a, b)
            dt = time.perf_counter() - t0
            best, spent, reps = min(best, dt), spent + dt, reps + 1
            if spent > 20:
                break
        last = (n, best)
        emit('gflops', 2 * n ** 3 / best / 1e9, size=n, reps=reps)


if W == 'W4':
    gemm_workload()
elif W in ('W7', 'W8'):
    synthetic_workload()
elif W in MODELS:
    mnist_workload()
else:
    raise SystemExit(f'torch_workloads.py: unknown workload {W}')
emit('peak_rss_mb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
