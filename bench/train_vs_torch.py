#!/usr/bin/env python3
"""train_vs_torch.py - proxy training in syno next to the same network in
PyTorch on the CPU, in one run.

    /usr/bin/python3 bench/train_vs_torch.py --syno BUILD/syno [--subset 10000]
        [--threads 2] [--repeat 3] [--test-subset 2000] [--no-export] [--parts]

Trains the default proxy network of `syno train --task fmnist`
(doc/training.md: stem, three conv2d slots with BN+ReLU, 2x2 max pooling
after the first, global average pooling, a linear head; batch 64, SGD with
momentum 0.9, weight decay 5e-4 on weights only, lr 0.1 on a cosine
schedule) for one epoch of the first SUBSET Fashion-MNIST images, three
ways, alternating run by run:

  * syno:   `syno train conv2d --task fmnist --json` (its CPU executor);
  * torch:  the same network in PyTorch with the slots written by hand on
            torch.nn.functional.conv2d;
  * export: the same PyTorch network with `syno export --pytorch conv2d` in
            the slots (left out with --no-export).

Every run uses THREADS threads (SYNO_THREADS, torch.set_num_threads), the
same batch, data subset and schedule.  Reported per way: the median over
REPEAT runs of the wall seconds of the training epoch (data already in
memory, test excluded), the processor seconds of the epoch (all threads;
steadier than wall time on a busy machine), the test accuracy on the first
TEST_SUBSET test images, and each way's time relative to torch.  The load
average is printed before and after: figures taken while other processes
run are not comparable with figures from an idle machine.  On a busy
machine, run it with OMP_WAIT_POLICY=PASSIVE in the environment: with more
than one thread, PyTorch's OpenMP threads otherwise spin while they wait
for each other and take many times longer.  With --parts,
syno's processor time by part of the network (its own profile) and
PyTorch's by operator (torch.profiler over the last epoch) are printed too.

This is a measurement, never a test: nothing fails on a time.
"""
import argparse
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F
from torch import nn

# the data and the network of the external evaluator, examples/fmnist_train.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from fmnist_train import ProxyNet, evaluate, load  # noqa: E402


class Conv2d(nn.Module):
    """The hand-written slot: a 3x3 convolution with zero padding, no bias."""

    def __init__(self, C_in, C_out, **_):
        super().__init__()
        self.f = nn.Parameter(torch.randn(C_out, C_in, 3, 3) * math.sqrt(2.0 / (9 * C_in)))

    def forward(self, x):
        return F.conv2d(x, self.f, padding=1)


LAYERS = [dict(N=64, C_in=16, C_out=16, H=28, W=28), dict(N=64, C_in=16, C_out=32, H=14, W=14),
          dict(N=64, C_in=32, C_out=32, H=14, W=14)]


def cpu_seconds():
    return time.process_time()


def torch_run(slot_class, xtr, ytr, xte, yte, batch, seed, parts):
    """One epoch; returns (wall s, processor s, test accuracy, profile)."""
    torch.manual_seed(seed)
    net = ProxyNet(slot_class, [dict(l, name="l%d" % i) for i, l in enumerate(LAYERS)])
    decay = [p for n, p in net.named_parameters() if p.dim() > 1]
    rest = [p for n, p in net.named_parameters() if p.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": rest, "weight_decay": 0}], lr=0.1,
                          momentum=0.9)
    steps = len(xtr) // batch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    perm = torch.randperm(len(xtr))
    net.train()
    prof = None
    if parts:
        prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
        prof.__enter__()
    t0, c0 = time.perf_counter(), cpu_seconds()
    for b in range(steps):
        idx = perm[b * batch:(b + 1) * batch]
        loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    table = None
    if prof is not None:
        prof.__exit__(None, None, None)
        table = {}
        for e in prof.key_averages():
            table[e.key] = e.self_cpu_time_total / 1e6
    return wall, cpu, evaluate(net, xte, yte, batch), table


def syno_run(syno, subset, test_subset, threads, seed):
    env = dict(os.environ, SYNO_THREADS=str(threads))
    cmd = [syno, "train", "conv2d", "--task", "fmnist", "--subset", str(subset), "--epochs", "1", "--threads",
           str(threads), "--test-subset", str(test_subset), "--seed", str(seed), "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    d = json.loads(r.stdout)
    s = d["seconds"]
    return s["per_epoch"], s["train_cpu"], d["test_accuracy"], d.get("profile_cpu")


def median(v):
    v = sorted(v)
    return v[(len(v) - 1) // 2] if len(v) % 2 else 0.5 * (v[len(v) // 2 - 1] + v[len(v) // 2])


def load_avg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--syno", required=True)
    p.add_argument("--data", default=os.environ.get("SYNO_FMNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    p.add_argument("--subset", type=int, default=10000)
    p.add_argument("--test-subset", type=int, default=2000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--no-export", action="store_true", help="leave out the exported module")
    p.add_argument("--parts", action="store_true", help="also the time by part of the network")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    xtr, ytr = load(a.data, "train", a.subset)
    xte, yte = load(a.data, "test", a.test_subset)
    ways = {"torch": lambda seed, parts: torch_run(Conv2d, xtr, ytr, xte, yte, a.batch, seed, parts),
            "syno": lambda seed, parts: syno_run(a.syno, a.subset, a.test_subset, a.threads, seed)}
    tmp = tempfile.TemporaryDirectory()
    if not a.no_export:
        path = os.path.join(tmp.name, "conv2d.py")
        with open(path, "w") as f:
            subprocess.run([a.syno, "export", "--pytorch", "conv2d"], stdout=f, check=True)
        spec = importlib.util.spec_from_file_location("syno_conv2d", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        exported = getattr(mod, mod.__all__[0])
        ways["export"] = lambda seed, parts: torch_run(exported, xtr, ytr, xte, yte, a.batch, seed, parts)
    print("machine: %s, %d CPUs; torch %s, %d threads; load %s" %
          (open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0].strip(),
           os.cpu_count(), torch.__version__, a.threads, load_avg()))
    print("one epoch of %d images, batch %d, test on %d; median of %d runs, alternating" %
          (a.subset // a.batch * a.batch, a.batch, a.test_subset, a.repeat))
    res = {k: [] for k in ways}
    profiles = {}
    for r in range(a.repeat):
        for k, fn in ways.items():
            last = r == a.repeat - 1
            wall, cpu, acc, prof = fn(1, a.parts and last)
            res[k].append((wall, cpu, acc))
            if last:
                profiles[k] = prof
    base = median([w for w, _, _ in res["torch"]])
    base_cpu = median([c for _, c, _ in res["torch"]])
    print("%-7s %10s %12s %9s %11s %11s" % ("", "wall s", "processor s", "accuracy", "wall/torch", "cpu/torch"))
    for k in ways:
        w, c = median([x[0] for x in res[k]]), median([x[1] for x in res[k]])
        print("%-7s %10.2f %12.2f %9.4f %11.2f %11.2f" % (k, w, c, res[k][-1][2], w / base, c / base_cpu))
    print("load after: %s" % load_avg())
    if a.parts:
        print("\nsyno, processor seconds by part (last run):")
        for name, v in (profiles.get("syno") or {}).items():
            print("  %-24s %6.2f" % (name, v))
        for k in ("torch", "export"):
            table = profiles.get(k)
            if not table:
                continue
            total = sum(table.values()) or 1.0
            cpu = res[k][-1][1]
            print("\n%s, by operator (torch.profiler's self time in the last run, as a share, and that share of the"
                  " run's %.2f processor seconds; the profiler slows the run):" % (k, cpu))
            for name, v in sorted(table.items(), key=lambda kv: -kv[1])[:14]:
                print("  %-40s %5.1f%% %6.2f" % (name, 100 * v / total, cpu * v / total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
