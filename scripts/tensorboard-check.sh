#!/usr/bin/env bash
# Trains a small model with tensorBoard() (validation, per-batch loss, histograms) into a temp
# logdir, then reads it back with TensorBoard's own Python reader (scripts/tensorboard-check.py).
# Not part of npm test. Needs Python 3; makes a venv with tensorboard under /tmp the first time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${TB_VENV:-/tmp/oxnet-tensorboard-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import tensorboard' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet tensorboard
fi
logdir="$(mktemp -d /tmp/oxnet-tb-XXXXXX)"
trap 'rm -rf "$logdir"' EXIT
(cd "$root" && npm run --silent build:ts)
node -e '
const { Sequential, layers, adam, loadIris, tensorBoard } = require(process.argv[1]);
const iris = loadIris();
const model = new Sequential({ seed: 1 });
model.add(layers.dense({ units: 8, activation: "tanh", inputShape: [4] }));
model.add(layers.dense({ units: 3, activation: "softmax" }));
model.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.02 }), metrics: ["accuracy"] });
model
  .fit(iris.x, iris.y, { epochs: 5, batchSize: 16, validationSplit: 0.2, callbacks: [tensorBoard(process.argv[2], { updateFreq: "batch", histograms: true })] })
  .then((h) => console.log("History loss", h.loss.map((v) => v.toPrecision(6)).join(", "), "| valLoss", h.valLoss.map((v) => v.toPrecision(6)).join(", ")));
' "$root/dist/index.js" "$logdir"
ls -R "$logdir" | sed "s#$logdir#LOGDIR#"
"$venv/bin/python" "$root/scripts/tensorboard-check.py" "$logdir"
