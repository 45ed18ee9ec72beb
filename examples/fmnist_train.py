"""fmnist_train.py - an external evaluator for `syno search --evaluator`:
trains the operator exported by `syno export --pytorch` in the same proxy
network as `syno train --task fmnist` (doc/training.md), but in PyTorch,
and prints its test accuracy as the last line (a JSON object).

    syno search examples/fmnist-conv.syno \\
        --evaluator '/usr/bin/python3 examples/fmnist_train.py --op {pytorch} --layers {layers}'

--layers is the JSON list of layer bindings the search passes ({layers});
slot i of the network is the operator built with layer i's sizes, and N
(the batch) is the first layer's.  Needs torch and numpy, and the
Fashion-MNIST files of Debian's dataset-fashion-mnist."""
import argparse
import gzip
import importlib.util
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def read_idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def load(data, split, limit):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data, prefix + "-images-idx3-ubyte.gz"), 16).reshape(-1, 28, 28)
    y = read_idx(os.path.join(data, prefix + "-labels-idx1-ubyte.gz"), 8)
    if limit:
        x, y = x[:limit], y[:limit]
    x = (x.astype(np.float32) / 255.0 - 0.2860) / 0.3530
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y.astype(np.int64))


class ProxyNet(nn.Module):
    """stem 3x3 conv, BN, ReLU; then per layer: the operator, BN, ReLU, and a
    2x2 max pooling where the next layer's H is half this one's; global
    average pooling; a linear classifier."""

    def __init__(self, op_class, layers, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(1, layers[0]["C_in"], 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(layers[0]["C_in"])
        sizes = [{k: v for k, v in l.items() if k != "name"} for l in layers]
        self.slots = nn.ModuleList(op_class(**s) for s in sizes)
        self.bns = nn.ModuleList(nn.BatchNorm2d(s["C_out"]) for s in sizes)
        self.pool = [i + 1 < len(sizes) and sizes[i + 1]["H"] * 2 == sizes[i]["H"] for i in range(len(sizes))]
        self.fc = nn.Linear(sizes[-1]["C_out"], classes)

    def forward(self, x):
        x = F.relu(self.bn0(self.stem(x)))
        for slot, bn, pool in zip(self.slots, self.bns, self.pool):
            x = F.relu(bn(slot(x)))
            if pool:
                x = F.max_pool2d(x, 2)
        return self.fc(x.mean((2, 3)))


def evaluate(net, xte, yte, batch):
    """Test accuracy of NET on XTE, YTE, in batches of BATCH (the last one
    zero-padded: the operator's N is the batch)."""
    net.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, len(xte), batch):
            xb = xte[s:s + batch]
            n = len(xb)
            if n < batch:
                xb = torch.cat([xb, xb.new_zeros((batch - n,) + tuple(xb.shape[1:]))])
            correct += (net(xb)[:n].argmax(1) == yte[s:s + n]).sum().item()
    return correct / len(xte)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--op", required=True, help="the module written by syno export --pytorch")
    p.add_argument("--layers", required=True, help="JSON list of the layer bindings")
    p.add_argument("--data", default=os.environ.get("SYNO_FMNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    p.add_argument("--subset", type=int, default=10000)
    p.add_argument("--test-subset", type=int, default=0)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--wd", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    spec = importlib.util.spec_from_file_location("candidate", a.op)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    layers = json.loads(a.layers)
    net = ProxyNet(getattr(mod, mod.__all__[0]), layers)
    batch = layers[0]["N"]
    xtr, ytr = load(a.data, "train", a.subset)
    xte, yte = load(a.data, "test", a.test_subset)
    steps = a.epochs * (len(xtr) // batch)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=a.momentum, weight_decay=a.wd)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    t0 = time.time()
    loss = float("nan")
    for epoch in range(a.epochs):
        net.train()
        perm = torch.randperm(len(xtr))
        for b in range(len(xtr) // batch):
            idx = perm[b * batch:(b + 1) * batch]
            loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
            if not torch.isfinite(loss):
                print("diverged at epoch %d" % (epoch + 1), file=sys.stderr)
                return 1
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print("epoch %d: loss %.4f, %.1f s" % (epoch + 1, loss.item(), time.time() - t0), file=sys.stderr)
    acc = evaluate(net, xte, yte, batch)
    print(json.dumps({"accuracy": acc, "loss": loss.item(), "seconds": time.time() - t0}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
