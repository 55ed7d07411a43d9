"""Makes the ONNX import fixtures under test/fixtures/onnx/ once, with PyTorch's own exporter.

A small MLP, a small CNN (conv, relu, maxpool, flatten, linear) and a residual net (batch norm,
add, average and global average pooling) with seeded weights, exported
by torch.onnx.export at opset 17, and PyTorch's outputs on seeded inputs (JSON: input shape,
inputs, outputs, and targets for a fine-tuning check). Run from the repository root:

    python3 -m venv /tmp/onnxvenv && /tmp/onnxvenv/bin/pip install onnx torch
    /tmp/onnxvenv/bin/python scripts/onnx-fixtures.py
"""
import json
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "onnx")


def write(name, net, shape, n=8):
    torch.manual_seed(1)
    x = torch.rand(n, *shape) * 2 - 1
    net.eval()
    with torch.no_grad():
        y = net(x)
    classes = torch.randint(0, y.shape[1], (n,))
    torch.onnx.export(net, (x[:1],), os.path.join(OUT, f"{name}.onnx"), opset_version=17,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                      dynamo=False)
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump({
            "inputShape": list(shape),
            "x": [float(v) for v in x.flatten()],
            "y": [float(v) for v in y.flatten()],
            "classes": [int(c) for c in classes],
            "torch": torch.__version__,
        }, f)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3))
    write("mlp", mlp, (6,))
    torch.manual_seed(0)
    cnn = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, stride=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(6 * 2 * 2, 3),
    )
    write("cnn", cnn, (2, 8, 8))
    torch.manual_seed(0)
    block = ResidualNet()
    with torch.no_grad():
        for bn in (block.bn, block.head_bn):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 1.5)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
    write("resnet", block, (3, 6, 6))


class ResidualNet(nn.Module):
    """A residual block (conv, batch norm, relu, add), global average pooling, batch norm, linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.AvgPool2d(2)
        self.head_bn = nn.BatchNorm1d(4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        h = torch.relu(self.stem(x))
        h = torch.relu(h + self.bn(self.conv(h)))
        h = torch.nn.functional.adaptive_avg_pool2d(self.pool(h), 1).flatten(1)
        return self.fc(torch.sigmoid(self.head_bn(h)))


if __name__ == "__main__":
    main()
