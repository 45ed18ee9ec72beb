#!/usr/bin/env python3
"""cuda_vs_torch.py - syno's CUDA backend next to PyTorch on one GPU, in one run.

    python3 bench/cuda_vs_torch.py --syno BUILD/syno [--tune] [--quick] [--json-out FILE]

Measures, side by side, with TF32 off everywhere (FP32 FMA only):

  * conv2d at the ResNet-18 layer shapes (64, 128, 256, 512 channels at
    56, 28, 14, 7 pixels, 3x3, batch 1 and 128) against cuDNN
    (torch.nn.functional.conv2d, cudnn.benchmark on);
  * linear against cuBLAS (torch.nn.functional.linear);
  * syno_op1 and syno_op2 (stdlib/syno.syno, g=32, s=2) against PyTorch
    implementations of the same formulas (unfold + einsum), eager and
    torch.compile;
  * syno's cold NVRTC compile time per kernel and warm kernel-cache load
    time (from `syno bench --backend cuda --json`).

Every timing is the median of --repeat runs after --warmup runs, each run
between two CUDA events on the GPU (syno's through `syno bench`, PyTorch's
here).  Ratios are library time / syno time: above 1 means syno is faster.
Before timing, each PyTorch formula is checked against `syno run --backend
cuda` on the same inputs at a small size (so the comparison is of equal
work).  This is a measurement, never a test: nothing fails on a time.

Without a GPU (or without PyTorch) it says so; --check-only runs just the
formula checks, on the CPU when there is no GPU (syno's reference backend),
which is how the formulas were validated on the development machine.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

RESNET = [(64, 56), (128, 28), (256, 14), (512, 7)]
BATCHES = [1, 128]
LINEAR = [(128, 512, 1000), (1024, 4096, 4096), (4096, 1024, 1024)]


def syno_bench(syno, op, bind, repeat, warmup, tune):
    """`syno bench --backend cuda --json`; returns the parsed object or raises."""
    env = dict(os.environ)
    if tune:
        env["SYNO_CUDA_TUNE"] = "1"
    cmd = [syno, "bench", op, "--bind", bind, "--backend", "cuda", "--json",
           "--repeat", str(repeat), "--warmup", str(warmup)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return json.loads(r.stdout)


def torch_time(fn, repeat, warmup):
    """Median milliseconds of fn() between CUDA events."""
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    n = len(times)
    return times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])


def op1_torch(x, A, B, g):
    """syno_op1: y[n,o,h,w] = sum x[n, gi*Cg+c, h+p-1, w+q-1] A[gi,p,q,o,m] B[gi*Cg+c,q,m]."""
    import torch
    import torch.nn.functional as F
    n, c, h, w = x.shape
    m = A.shape[4]
    xu = F.unfold(x, 3, padding=1).view(n, g, c // g, 3, 3, h, w)
    t = torch.einsum("ngcpqhw,gcqm->ngpqmhw", xu, B.view(g, c // g, 3, m))
    return torch.einsum("ngpqmhw,gpqom->nohw", t, A)


def op2_torch(x, A, B, g):
    """syno_op2: the input rolled by one row (x[(h+1) mod H] after the
    zero-padded window), and A without the W tap."""
    import torch
    import torch.nn.functional as F
    n, c, h, w = x.shape
    m = A.shape[3]
    xs = torch.roll(x, shifts=-1, dims=2)
    xu = F.unfold(xs, 3, padding=1).view(n, g, c // g, 3, 3, h, w)
    t = torch.einsum("ngcpqhw,gcqm->ngpmhw", xu, B.view(g, c // g, 3, m))
    return torch.einsum("ngpmhw,gpom->nohw", t, A)


def check_formulas(syno, device, backend):
    """Each PyTorch formula against `syno run` on the same random inputs."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    rng = np.random.default_rng(1)
    bind = "N=2,C_in=64,C_out=64,H=6,W=6"
    cases = [
        ("conv2d", {"f": (64, 64, 3, 3)}, lambda x, w: F.conv2d(x, w["f"], padding=1)),
        ("syno_op1", {"A": (32, 3, 3, 64, 1), "B": (64, 3, 1)}, lambda x, w: op1_torch(x, w["A"], w["B"], 32)),
        ("syno_op2", {"A": (32, 3, 64, 1), "B": (64, 3, 1)}, lambda x, w: op2_torch(x, w["A"], w["B"], 32)),
        ("linear", {"w": (64, 64)}, None),
    ]
    ok = True
    with tempfile.TemporaryDirectory() as d:
        for op, weights, fn in cases:
            b = "N=6,C_in=64,C_out=64" if op == "linear" else bind
            x = rng.uniform(-1, 1, (6, 64) if op == "linear" else (2, 64, 6, 6)).astype(np.float32)
            ws = {k: rng.uniform(-1, 1, s).astype(np.float32) for k, s in weights.items()}
            np.save(os.path.join(d, "x.npy"), x)
            args = [syno, "run", op, "--bind", b, "--in", os.path.join(d, "x.npy"),
                    "--out", os.path.join(d, "y.npy"), "--backend", backend]
            for k, v in ws.items():
                np.save(os.path.join(d, k + ".npy"), v)
                args += ["--weight", "%s=%s" % (k, os.path.join(d, k + ".npy"))]
            r = subprocess.run(args, capture_output=True, text=True)
            if r.returncode != 0:
                print("  check %-9s syno run failed: %s" % (op, r.stderr.strip()))
                ok = False
                continue
            want = np.load(os.path.join(d, "y.npy"))
            tx = torch.from_numpy(x).to(device)
            tw = {k: torch.from_numpy(v).to(device) for k, v in ws.items()}
            got = (F.linear(tx, tw["w"]) if op == "linear" else fn(tx, tw)).cpu().numpy()
            err = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-6))
            good = err <= 1e-4
            ok = ok and good
            print("  check %-9s PyTorch formula vs syno run --backend %s: max rel error %.2g %s"
                  % (op, backend, err, "ok" if good else "MISMATCH"))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--syno", default="./syno", help="the syno binary (default ./syno)")
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--tune", action="store_true", help="let syno measure tilings first (SYNO_CUDA_TUNE=1)")
    ap.add_argument("--quick", action="store_true", help="batch 1 and 128 at 64 and 512 channels only")
    ap.add_argument("--check-only", action="store_true", help="only check the PyTorch formulas against syno")
    ap.add_argument("--json-out", help="also write every figure to this JSON file")
    a = ap.parse_args()

    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        print("no PyTorch (%s): only syno's own figures are measured" % e)
        torch = None
    gpu = torch is not None and torch.cuda.is_available()
    if a.check_only:
        ok = check_formulas(a.syno, "cuda" if gpu else "cpu", "cuda" if gpu else "ref")
        return 0 if ok else 1
    version = subprocess.run([a.syno, "--version"], capture_output=True, text=True).stdout
    print(version.strip())
    if torch is not None:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
        print("PyTorch %s, cuDNN %s, TF32 off%s" % (torch.__version__, torch.backends.cudnn.version(),
              ", GPU: " + torch.cuda.get_device_name(0) if gpu else ", no GPU"))
    if gpu:
        check_formulas(a.syno, "cuda", "cuda")

    shapes = RESNET if not a.quick else [RESNET[0], RESNET[3]]
    rows, record = [], []

    def row(name, bind, lib_fns):
        try:
            s = syno_bench(a.syno, name, bind, a.repeat, a.warmup, a.tune)
        except Exception as e:  # no GPU, a failure: say so, keep going
            print("%-34s syno: %s" % (name + " " + bind, e))
            return
        ms = s["median_s"] * 1e3
        entry = {"op": name, "bind": bind, "syno_ms": ms, "syno_gflops": s["gflops"],
                 "cold_compile_ms": s["cold_compile_ms_per_source"],
                 "warm_load_ms": s["warm_load_ms_per_source"], "tilings": s.get("tilings")}
        libs = []
        for label, fn in lib_fns:
            try:
                t = torch_time(fn, a.repeat, a.warmup)
                libs.append((label, t))
                entry[label + "_ms"] = t
            except Exception as e:
                libs.append((label, None))
                entry[label + "_error"] = str(e).splitlines()[0][:200]
        record.append(entry)
        rows.append((name, bind, ms, s["gflops"], s["flops"], libs, s["cold_compile_ms_per_source"],
                     s["warm_load_ms_per_source"]))
        cells = "  ".join("%s %8.3f ms %6.2fx" % (l, t, t / ms) if t else "%s n/a" % l for l, t in libs)
        print("%-10s %-32s syno %8.3f ms %7.0f GFLOP/s  %s  | cold %4.0f ms/kernel, warm %5.2f ms"
              % (name, bind, ms, s["gflops"], cells, s["cold_compile_ms_per_source"],
                 s["warm_load_ms_per_source"] or float("nan")))
        sys.stdout.flush()

    print("\nratio = library time / syno time (above 1: syno faster); GFLOP/s from direct-evaluation FLOPs")
    for c, hw in shapes:
        for n in BATCHES:
            bind = "N=%d,C_in=%d,C_out=%d,H=%d,W=%d" % (n, c, c, hw, hw)
            libs = []
            if gpu:
                x = torch.randn(n, c, hw, hw, device="cuda")
                w = torch.randn(c, c, 3, 3, device="cuda")
                libs = [("cudnn", lambda x=x, w=w: F.conv2d(x, w, padding=1))]
            row("conv2d", bind, libs)
    for n, ci, co in LINEAR:
        bind = "N=%d,C_in=%d,C_out=%d" % (n, ci, co)
        libs = []
        if gpu:
            x = torch.randn(n, ci, device="cuda")
            w = torch.randn(co, ci, device="cuda")
            libs = [("cublas", lambda x=x, w=w: F.linear(x, w))]
        row("linear", bind, libs)
    for op, fn, ashape in (("syno_op1", op1_torch, lambda g, c, m: (g, 3, 3, c, m)),
                           ("syno_op2", op2_torch, lambda g, c, m: (g, 3, c, m))):
        compiled = None
        if gpu and hasattr(torch, "compile"):
            compiled = torch.compile(fn)
        for c, hw in shapes:
            for n in BATCHES:
                g, m = 32, c // 64
                bind = "N=%d,C_in=%d,C_out=%d,H=%d,W=%d" % (n, c, c, hw, hw)
                libs = []
                if gpu:
                    x = torch.randn(n, c, hw, hw, device="cuda")
                    A = torch.randn(*ashape(g, c, m), device="cuda")
                    B = torch.randn(c, 3, m, device="cuda")
                    libs = [("eager", lambda x=x, A=A, B=B: fn(x, A, B, g))]
                    if compiled is not None:
                        libs.append(("compiled", lambda x=x, A=A, B=B: compiled(x, A, B, g)))
                row(op, bind, libs)
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"version": version, "gpu": torch.cuda.get_device_name(0) if gpu else None,
                       "rows": record}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
