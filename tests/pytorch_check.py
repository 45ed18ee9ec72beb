"""pytorch_check.py - checks modules written by `syno export --pytorch`
against the reference evaluator (run by tests/pytorch.sh, which prepares
the cases).  Prints TAP.

Usage: python3 pytorch_check.py MANIFEST
Each line of MANIFEST: NAME <tab> DIR.  DIR holds op.py (the export),
in/ (the inputs `syno run --save-inputs` used: the input, every weight and
dy), y.npy (the reference output) and g/ (the reference gradients of the
input and every weight).  For each case: the module is loaded with only
torch importable from syno's side, built with its default sizes (those of
--bind), given the reference weights, and run in float64 and in float32;
its output and autograd's gradients must equal the reference's to 1e-6
(float64; 1e-4 in float32) relative to the largest reference value.  The
float64 runs make every window that needs a gradient take _Windows (the
module's own backward of a window, which at these small sizes it leaves to
Tensor.unfold; _WINDOWS_MIN = 0) and every product with a vector that
needs a gradient take _MulSum (_MULSUM_MIN = 0), the float32 runs keep the
module's rules.  Where
torch sees a CUDA device, every case runs there too (the same module moved
with .to("cuda"), its inputs on the device; float32 within 1e-4, as TF32
is off); without one, the last test says so as a skip."""
import importlib.util
import os
import sys

import numpy as np
import torch


def rel_err(got, want):
    got = got.detach().cpu().numpy().astype(np.float64)
    want = want.astype(np.float64)
    if got.shape != want.shape:
        return float("inf"), "shape %s, want %s" % (got.shape, want.shape)
    scale = max(np.abs(want).max(initial=0.0), 1e-30)
    return float(np.abs(got - want).max(initial=0.0) / scale), ""


def load(path, name):
    spec = importlib.util.spec_from_file_location("syno_export_" + name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def param(module, name):
    for cand in (name, name + "_"):
        if hasattr(module, cand):
            return getattr(module, cand)
    raise KeyError("the module has no parameter named %s" % name)


def check(name, d, n):
    mod = load(os.path.join(d, "op.py"), name)
    with open(os.path.join(d, "op.py")) as f:
        imports = [l.strip() for l in f if l.startswith(("import ", "from "))]
    cls = getattr(mod, mod.__all__[0])
    ins = {f[:-4]: np.load(os.path.join(d, "in", f)) for f in os.listdir(os.path.join(d, "in"))}
    grads = {f[:-4]: np.load(os.path.join(d, "g", f)) for f in os.listdir(os.path.join(d, "g"))}
    want = np.load(os.path.join(d, "y.npy"))
    results = []
    runs = [("cpu", torch.float64, 1e-6), ("cpu", torch.float32, 1e-4)]
    if torch.cuda.is_available():
        runs += [("cuda", torch.float64, 1e-6), ("cuda", torch.float32, 1e-4)]
    default_min = getattr(mod, "_WINDOWS_MIN", None)
    default_mulsum = getattr(mod, "_MULSUM_MIN", None)
    for device, dtype, bound in runs:
        if default_min is not None:
            mod._WINDOWS_MIN = 0 if dtype == torch.float64 else default_min
        if default_mulsum is not None:
            mod._MULSUM_MIN = 0 if dtype == torch.float64 else default_mulsum
        m = cls().to(device=device, dtype=dtype)
        weights = [k for k, _ in m.named_parameters()]
        xname = [k for k in ins if k != "dy" and k not in grads or False]
        # the input is the one array of in/ that is neither dy nor a parameter
        xname = [k for k in ins if k != "dy" and k not in weights and k + "_" not in weights]
        assert len(xname) == 1, "cannot tell the input among %s" % sorted(ins)
        with torch.no_grad():
            for k in ins:
                if k not in ("dy", xname[0]):
                    param(m, k).copy_(torch.from_numpy(ins[k]))
        x = torch.from_numpy(ins[xname[0]]).to(device=device, dtype=dtype).requires_grad_(True)
        y = m(x)
        errs = [rel_err(y, want)]
        if y.device != x.device:
            errs.append((float("inf"), "output on %s, input on %s" % (y.device, x.device)))
        y.backward(torch.from_numpy(ins["dy"]).to(device=device, dtype=dtype))
        for k, g in grads.items():
            got = x.grad if k == xname[0] else param(m, k).grad
            errs.append(rel_err(got, g) if got is not None else (float("inf"), "no gradient for %s" % k))
        worst = max(e for e, _ in errs)
        why = "; ".join(w for _, w in errs if w)
        results.append((device, dtype, worst, bound, why))
    good = all(w <= b for _, _, w, b, _ in results) and imports in (["import torch", "from torch import nn"], ["import torch", "from torch import nn", "import torch.nn.functional as F"])
    detail = ", ".join("%s%s %.1e" % ("" if dev == "cpu" else dev + " ", str(t).replace("torch.", ""), w)
                       for dev, t, w, _, _ in results)
    print("%s %d - %s: output and gradients match the reference (%s)" % ("ok" if good else "not ok", n, name, detail))
    if not good:
        for _, _, w, b, why in results:
            if why:
                print("#   " + why)
        if imports != ["import torch", "from torch import nn"]:
            print("#   imports: %s" % imports)
        print("#   case kept in %s" % d)
    return good


def main():
    cases = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
    if torch.cuda.is_available():  # full float32 products, as on the CPU
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    print("1..%d" % (len(cases) + 1))
    failed = 0
    for n, (name, d) in enumerate(cases, 1):
        try:
            failed += not check(name, d, n)
        except Exception as e:  # a module that does not load or run fails its case
            failed += 1
            print("not ok %d - %s: %s: %s" % (n, name, type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
    n = len(cases) + 1
    if torch.cuda.is_available():  # (TF32 was turned off in main, before the cases)
        print("ok %d - every case above also ran on %s" % (n, torch.cuda.get_device_name(0)))
    else:
        print("ok %d # SKIP no CUDA device for torch: the exports ran on the CPU only" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
