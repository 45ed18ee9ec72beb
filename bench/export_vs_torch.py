#!/usr/bin/env python3
"""export_vs_torch.py - modules written by `syno export --pytorch` next to
hand-written PyTorch modules and to syno's own CPU executor, in one run.

    /usr/bin/python3 bench/export_vs_torch.py --syno BUILD/syno [--threads 2]
        [--repeat 15] [--random 20] [--quick] [--rounds 1] [--cpu]
        [--op FILE:OP ...]

For each operator: the forward pass and the backward pass (the gradients of
the input and of every weight) of

  * export: the module `syno export --pytorch FILE:OP --bind B` writes;
  * torch:  the same operator written by hand on torch.nn.functional
            (conv2d, group_conv2d, depthwise_conv2d, linear; "-" for the
            others);
  * syno:   syno's CPU executor on the same sizes (`syno bench --grad
            --json`, its median time per call);

all on the CPU with THREADS threads (torch.set_num_threads, SYNO_THREADS);
wall time, or with --cpu processor time (`syno bench`'s cpu_s), which a
busy machine disturbs less (with one thread it is the fair comparison;
with more, PyTorch's OpenMP threads spin while they wait).
The two PyTorch modules are timed alternately, call by call, after warm-up
calls; each figure is the median of REPEAT calls.  With --rounds R, that
and one `syno bench` run alternate R times and each figure is the median
over the rounds.  Before timing, the
exported module and the hand-written one are given the same weights and
their outputs compared.  Operators: the standard library's convolutions,
syno_op1, syno_op2, avgpool2d, linear, the demo's find op_3b2379e8 (the
formula of doc/performance.md), and RANDOM random operators (tests/randop_dump,
depth 8) at --random-bind's sizes; or, with --op (repeated), just the
operators named, at --random-bind's sizes.  The load average is printed before and
after: figures from a busy machine are not comparable with an idle one's.

This is a measurement, never a test: nothing fails on a time.
"""
import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_vs_torch import load_avg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STDLIB = os.environ.get("SYNO_STDLIB", os.path.join(HERE, "..", "stdlib"))

OP3B = """size N, C_in, C_out, H, W;
coef k = 3, s = 2;
# The demo's op_3b2379e8 (doc/performance.md):
#   out[n,o,y,z] = sum x[n, g*C_in/2 + c, l*H/2 + y/2, z+t-1] * f[o, y mod 2, c, l, t]
op op_3b2379e8(x[n: N, c: C_in, h: H, w: W]) -> [n, o, y, z] {
    weight f[fo: C_out, fp: s, fc: C_in/s, fl: s, ft: k];
    g, ci = split(c, C_in/s);
    l, hh = split(h, H/s);
    z, t = unfold(w, k);
    sum(g);
    sum(share(ci, fc));
    sum(share(l, fl));
    sum(share(t, ft));
    y = merge(hh, share(expand(s), fp));
    o = share(expand(C_out), fo);
}
"""


def hand_conv(weight_shape, groups_of, pad):
    class Hand(torch.nn.Module):
        def __init__(self, w):
            super().__init__()
            w = w.detach().clone()
            self.f = torch.nn.Parameter(w.reshape(weight_shape) if weight_shape else w)

        def forward(self, x):
            return F.conv2d(x, self.f, padding=pad, groups=groups_of(x))
    return Hand


class HandLinear(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w.detach().clone())

    def forward(self, x):
        return F.linear(x, self.w)


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, mod.__all__[0])


def step_fn(m, x, dy):
    def step():
        for p in m.parameters():
            p.grad = None
        x.grad = None
        y = m(x)
        y.backward(dy)
    return step


CLOCK = time.perf_counter


def timed(fns, repeat, warmup=3):
    """Median seconds of each function, called alternately (wall, or
    processor time with --cpu)."""
    for _ in range(warmup):
        for f in fns:
            f()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for i, f in enumerate(fns):
            t = CLOCK()
            f()
            times[i].append(CLOCK() - t)
    return [statistics.median(t) for t in times]


def syno_time(syno, ref, bind, threads, repeat):
    cmd = [syno, "bench", ref, "--bind", bind, "--grad", "--threads", str(threads), "--repeat", str(repeat),
           "--no-baseline", "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)["cpu_s" if CLOCK is time.process_time else "median_s"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--syno", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--random", type=int, default=20)
    p.add_argument("--random-bind", default="N=64,C=32,H=32,W=32",
                   help="the sizes of the random operators (default %(default)s)")
    p.add_argument("--min-ms", type=float, default=1.0,
                   help="leave out of the summary the operators syno runs in less (Python's own overhead, tens "
                        "of microseconds per torch call, dominates them; default %(default)s)")
    p.add_argument("--quick", action="store_true", help="the library operators only")
    p.add_argument("--rounds", type=int, default=1,
                   help="rounds of PyTorch's calls and one `syno bench` each, alternating; medians over them")
    p.add_argument("--cpu", action="store_true",
                   help="processor time (all threads) instead of wall time: steadier on a busy machine, and "
                        "comparable across ways with one thread")
    p.add_argument("--op", action="append", default=[], metavar="FILE:OP",
                   help="time this operator at --random-bind's sizes (repeatable) instead of the built-in list")
    a = p.parse_args()
    global CLOCK
    if a.cpu:
        CLOCK = time.process_time
    torch.set_num_threads(a.threads)
    tmp = tempfile.TemporaryDirectory()
    op3b = os.path.join(tmp.name, "op_3b2379e8.syno")
    with open(op3b, "w") as f:
        f.write(OP3B)
    conv = os.path.join(STDLIB, "conv.syno")
    cases = [
        ("conv2d 16->16 28x28", conv + ":conv2d", "N=64,C_in=16,C_out=16,H=28,W=28",
         hand_conv(None, lambda x: 1, 1)),
        ("conv2d 16->32 14x14", conv + ":conv2d", "N=64,C_in=16,C_out=32,H=14,W=14",
         hand_conv(None, lambda x: 1, 1)),
        ("conv2d 32->32 14x14", conv + ":conv2d", "N=64,C_in=32,C_out=32,H=14,W=14",
         hand_conv(None, lambda x: 1, 1)),
        ("group_conv2d g=4", conv + ":group_conv2d", "N=64,C_in=32,C_out=32,H=14,W=14,g=4",
         hand_conv((32, 8, 3, 3), lambda x: 4, 1)),
        ("depthwise_conv2d", conv + ":depthwise_conv2d", "N=64,C_in=32,C_out=32,H=28,W=28",
         hand_conv((32, 1, 3, 3), lambda x: x.shape[1], 1)),
        ("linear 256x512->512", os.path.join(STDLIB, "linear.syno") + ":linear", "N=256,C_in=512,C_out=512",
         HandLinear),
    ]
    if a.op:
        cases = [(ref, ref, a.random_bind, None) for ref in a.op]
    elif not a.quick:
        for op, bind in [("conv1x1", "N=64,C_in=32,C_out=32,H=14,W=14"),
                         ("dilated_conv2d", "N=64,C_in=32,C_out=32,H=14,W=14"),
                         ("pooled_conv2d", "N=64,C_in=32,C_out=32,H=14,W=14"),
                         ("shift_conv", "N=64,C_in=32,C_out=32,H=14,W=14")]:
            cases.append((op, conv + ":" + op, bind, None))
        syn = os.path.join(STDLIB, "syno.syno")
        cases.append(("syno_op1", syn + ":syno_op1", "N=64,C_in=64,C_out=64,H=14,W=14", None))
        cases.append(("syno_op2", syn + ":syno_op2", "N=64,C_in=64,C_out=64,H=14,W=14", None))
        cases.append(("avgpool2d", os.path.join(STDLIB, "pool.syno") + ":avgpool2d", "N=64,C_in=32,H=28,W=28", None))
        cases.append(("op_3b2379e8", op3b + ":op_3b2379e8", "N=64,C_in=32,C_out=32,H=28,W=28", None))
        if a.random:
            rd = os.path.join(os.path.dirname(os.path.abspath(a.syno)), "tests", "randop_dump")
            rdir = os.path.join(tmp.name, "rand")
            os.mkdir(rdir)
            if subprocess.run([rd, "8", str(a.random), rdir], capture_output=True).returncode == 0:
                for i in range(a.random):
                    cases.append(("random 8/%d" % i, os.path.join(rdir, "randop_8_%d.syno:randop" % i),
                                  a.random_bind, None))
            else:
                print("(no random operators: %s did not run)" % rd)
    print("machine: %s, %d CPUs; torch %s, %d threads; load %s" %
          (open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0].strip(),
           os.cpu_count(), torch.__version__, a.threads, load_avg()))
    print("forward + backward (input and weight gradients), median of %d calls, ms of %s" %
          (a.repeat, "processor time" if a.cpu else "wall time"))
    print("%-22s %-8s %10s %10s %10s %11s %10s" % ("operator", "path", "export", "torch", "syno", "exp/torch",
                                                 "exp/syno"))
    worst = []
    for name, ref, bind, hand in cases:
        path = os.path.join(tmp.name, "m%d.py" % len(worst))
        r = subprocess.run([a.syno, "export", "--pytorch", ref, "--bind", bind], capture_output=True, text=True)
        if r.returncode != 0:
            print("%-22s (export failed: %s)" % (name, r.stderr.strip().splitlines()[-1] if r.stderr else "?"))
            continue
        with open(path, "w") as f:
            f.write(r.stdout)
        kind = "views" if "follows syno's staged plan" in r.stdout else "gather"
        cls = load(path, "m%d" % len(worst))
        torch.manual_seed(0)
        m = cls()
        sizes = dict(m.sizes)
        x = None
        for cand in input_shapes(r.stdout, sizes):
            try:
                m.bind(torch.empty(cand))
                x = torch.randn(cand, requires_grad=True)
                break
            except ValueError:
                continue
        if x is None:
            print("%-22s (cannot tell the input's shape)" % name)
            continue
        y = m(x)
        dy = torch.randn(y.shape)
        fns = [step_fn(m, x, dy)]
        th = None
        if hand is not None:
            weight = next(m.parameters())
            h = hand(weight)
            yh = h(x)
            if yh.shape != y.shape or (yh - y).abs().max().item() > 1e-3 * max(1.0, y.abs().max().item()):
                print("%-22s (hand-written module disagrees: %s)" % (name, (yh - y).abs().max().item()))
                continue
            fns.append(step_fn(h, x, dy))
        # ROUNDS rounds, each PyTorch's calls then one `syno bench`: the
        # medians over the rounds (a busy machine's slow spells hit both)
        rounds = [(timed(fns, a.repeat), syno_time(a.syno, ref, bind, a.threads, a.repeat)) for _ in range(a.rounds)]
        te = statistics.median(r[0][0] for r in rounds)
        th = statistics.median(r[0][1] for r in rounds) if len(fns) > 1 else None
        sy = [r[1] for r in rounds if r[1] is not None]
        tsy = statistics.median(sy) if sy else None
        print("%-22s %-8s %10.2f %10s %10s %11s %10s" %
              (name, kind, te * 1e3, "%.2f" % (th * 1e3) if th else "-", "%.2f" % (tsy * 1e3) if tsy else "-",
               "%.2f" % (te / th) if th else "-", "%.2f" % (te / tsy) if tsy else "-"))
        worst.append((name, te / th if th else None, te / tsy if tsy else None, tsy or 0.0))
    big = [w for w in worst if w[2] and w[3] * 1e3 >= a.min_ms]
    rs = [w[2] for w in big]
    if rs:
        print("export/syno over the %d operators syno takes %.1f ms or more for: median %.2f, geometric mean %.2f, "
              "worst %.2f (%s)" % (len(rs), a.min_ms, statistics.median(rs),
                                   math.exp(sum(math.log(v) for v in rs) / len(rs)), max(rs),
                                   max(big, key=lambda w: w[2])[0]))
    print("load after: %s" % load_avg())
    return 0


def input_shapes(text, sizes):
    """Candidate input shapes: the `want = (...)` tuple of the module's bind,
    evaluated under the constructor's sizes."""
    import re
    m = re.search(r"want = \((.*)\)\n", text)
    if not m:
        return []
    terms = re.findall(r'_mono\(v, \(((?:\("[A-Za-z_0-9]+", -?\d+\), )*)\)', m.group(1))
    shape = []
    for t in terms:
        val = 1.0
        for name, e in re.findall(r'\("([A-Za-z_0-9]+)", (-?\d+)\)', t):
            if sizes.get(name) is None:
                return []
            val *= sizes[name] ** int(e)
        shape.append(int(round(val)))
    return [tuple(shape)]


if __name__ == "__main__":
    sys.exit(main())
