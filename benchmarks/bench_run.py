"""Benchmark `--run` against PyTorch's CPU forward on the same machine and thread count.

    PYTHONPATH=. python benchmarks/bench_run.py [--threads 2] [--repeat 10] [--rounds 3]

Runs VGG16 (specs/vgg16.yaml, 224x224, batch 1) and MobileNet v1 (specs/mobilenet_v1.yaml,
depthwise separable) through convcalc's NumPy runtime and, when torch is importable, through
an equivalent torch.nn model built from the same spec with the same weights (outputs compared).
Each measurement runs in its own worker process (so peak RSS is per implementation, and
neither allocator disturbs the other); the workers alternate runtime / torch for --rounds
rounds, and each reports the median of --repeat forwards after a warm-up. Printed per
network: median forward time, GFLOP/s (2·MACs per second), peak RSS, and runtime/PyTorch.
With --baseline DIR (another checkout of convcalc) that version's runtime runs as a third
implementation in the same rounds, and its ratio to this one is printed.

The python running this needs numpy, typer, rich and pyyaml (and torch for the comparison).
BLAS/OpenMP threads are set through the environment before numpy or torch is imported, and
torch.set_num_threads() too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETS = {
    "vgg16": ROOT / "specs" / "vgg16.yaml",
    "mobilenet_v1": ROOT / "specs" / "mobilenet_v1.yaml",
}
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# --- timing that drops contended runs -------------------------------------------------------------
def _busy_s() -> float:
    """CPU seconds that processes of this machine have used so far (/proc/stat: user, nice,
    system, irq, softirq; not idle, iowait, or steal, the hypervisor's share, which no process
    here can avoid and which both implementations suffer alike)."""
    with open("/proc/stat", encoding="ascii") as fh:
        v = [int(x) for x in fh.readline().split()[1:8]]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def timed(fn, repeat: int, foreign_limit: float = 0.03) -> tuple[list[float], int]:
    """``repeat`` timings of ``fn()`` during which other processes used at most
    ``foreign_limit`` CPU seconds (the machine is shared; a contended run is repeated, up to
    4·repeat tries). Returns the kept times and how many were dropped."""
    kept: list[float] = []
    dropped = 0
    for _ in range(4 * repeat):
        b0, c0, t0 = _busy_s(), os.times(), time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        b1, c1 = _busy_s(), os.times()
        own = (c1.user + c1.system) - (c0.user + c0.system)
        if (b1 - b0) - own > foreign_limit:
            dropped += 1
            continue
        kept.append(dt)
        if len(kept) == repeat:
            break
    return kept or [float("nan")], dropped


def _hwm_mib() -> float:
    """Peak resident memory of this process since start or the last :func:`_reset_hwm`."""
    with open("/proc/self/status", encoding="ascii") as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
    return kb / 1024


def _reset_hwm() -> None:
    """Reset the peak to the current RSS (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    import gc

    gc.collect()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")


# --- workers (one implementation, one network, in a fresh process) -------------------------------
def _setup(spec_path: Path):
    import numpy as np

    from convcalc import analyze, load_spec
    from convcalc.runtime import weights as W

    spec = load_spec(spec_path)
    report = analyze(spec)
    rows = {r.name: r for r in report.rows}
    layer_specs = [ls for ls in spec.layers if ls.kind != "InputLayer"]
    params = W.build(
        [(ls, list(rows[ls.name].weights)) for ls in layer_specs], 0, None, "keras", False
    )
    for p in params.values():
        # Keras's glorot fans for a depthwise kernel (fan_in 9·C, fan_out 9) shrink activations
        # by ~sqrt(C) per block, so MobileNet's output would be a uniform softmax and the
        # comparison with torch empty: scale them back (the same weights go to both sides)
        if "depthwise_kernel" in p:
            p["depthwise_kernel"] *= np.float32(np.sqrt(p["depthwise_kernel"].shape[-2]))
    return spec, report, params


def worker_numpy(spec_path: Path, repeat: int) -> dict:
    from convcalc.runtime.executor import Execution, RunOptions

    spec, report, params = _setup(spec_path)
    ex = Execution(spec, report, RunOptions(), params)  # the weights the torch worker gets
    setup_peak = _hwm_mib()
    _reset_hwm()
    ex.forward()  # warm-up: shape checks, statistics, first touch of the buffers
    times, dropped = timed(ex.forward, repeat)
    out = next(iter(ex.outputs.values()))
    layers = {n: statistics.median(t[1:]) for n, t in ex.times.items()}
    return {
        "forward_s": statistics.median(times),
        "min_s": min(times),
        "dropped": dropped,
        "output": out.ravel()[:1000].tolist(),
        "layers": layers,
        "forward_peak_mib": _hwm_mib(),
        "setup_peak_mib": setup_peak,
    }


def torch_model(spec, report, params):
    """torch.nn equivalent of a spec (the kinds VGG16 and MobileNet use), NCHW, same weights."""
    import numpy as np
    import torch
    from torch import nn

    from convcalc.shapes import to_canonical

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a))

    mods: list[nn.Module] = []
    for ls in spec.layers:
        layer, p = ls.layer, params.get(ls.name, {})
        row = report.row(ls.name)
        if ls.kind == "InputLayer":
            continue
        ins = to_canonical(row.input_shapes[0], spec.channels_first)
        if ls.kind in ("Conv2D", "DepthwiseConv2D"):
            pads = layer.pads(ins[:-1])
            (pt, pb), (pl, pr) = pads
            if (pt, pl) != (pb, pr):
                mods.append(nn.ZeroPad2d((pl, pr, pt, pb)))
                pt = pl = 0
            c = ins[-1]
            if ls.kind == "Conv2D":
                conv = nn.Conv2d(
                    c,
                    layer.filters,
                    layer.kernel_size,
                    layer.strides,
                    (pt, pl),
                    bias=layer.use_bias,
                )
                conv.weight.data = t(p["kernel"].transpose(3, 2, 0, 1))
            else:
                dm = layer.depth_multiplier
                conv = nn.Conv2d(
                    c,
                    c * dm,
                    layer.kernel_size,
                    layer.strides,
                    (pt, pl),
                    groups=c,
                    bias=layer.use_bias,
                )
                k = p["depthwise_kernel"]  # (kh, kw, C, dm) -> (C·dm, 1, kh, kw)
                conv.weight.data = t(k.transpose(2, 3, 0, 1).reshape(c * dm, 1, *k.shape[:2]))
            if layer.use_bias:
                conv.bias.data = t(p["bias"])
            mods.append(conv)
            if layer.activation == "relu":
                mods.append(nn.ReLU(inplace=True))
        elif ls.kind == "BatchNormalization":
            bn = nn.BatchNorm2d(ins[-1], eps=1e-3)
            bn.weight.data, bn.bias.data = t(p["gamma"]), t(p["beta"])
            bn.running_mean.data, bn.running_var.data = t(p["moving_mean"]), t(p["moving_variance"])
            mods.append(bn)
        elif ls.kind == "ReLU":
            mods.append(nn.ReLU6(inplace=True) if layer.max_value == 6 else nn.ReLU(True))
        elif ls.kind == "ZeroPadding2D":
            (pt, pb), (pl, pr) = layer.padding
            mods.append(nn.ZeroPad2d((pl, pr, pt, pb)))
        elif ls.kind == "MaxPooling2D":
            mods.append(nn.MaxPool2d(layer.pool_size, layer.strides))
        elif ls.kind == "GlobalAveragePooling2D":
            mods.append(nn.AdaptiveAvgPool2d(1))
        elif ls.kind in ("Flatten", "Reshape"):
            if ls.kind == "Flatten" and not spec.channels_first:
                mods.append(_nhwc_flatten())
            else:
                mods.append(nn.Flatten())
        elif ls.kind == "Dense":
            fc = nn.Linear(ins[-1], layer.units)
            fc.weight.data, fc.bias.data = t(p["kernel"].T), t(p["bias"])
            mods.append(fc)
            if layer.activation == "relu":
                mods.append(nn.ReLU(inplace=True))
            elif layer.activation == "softmax":
                mods.append(nn.Softmax(dim=1))
        elif ls.kind == "Activation" and layer.activation == "softmax":
            mods.append(nn.Softmax(dim=1))
        elif ls.kind == "Dropout":
            continue
        else:
            raise SystemExit(f"bench: no torch equivalent for {ls.kind}")
    return nn.Sequential(*mods).eval()


def _nhwc_flatten():
    from torch import nn

    class NHWCFlatten(nn.Module):
        """Flatten in (H, W, C) order, as a channels_last Keras model does."""

        def forward(self, x):
            return x.permute(0, 2, 3, 1).flatten(1)

    return NHWCFlatten()


def worker_torch(spec_path: Path, repeat: int, threads: int, torch_format: str) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    spec, report, params = _setup(spec_path)
    model = torch_model(spec, report, params)
    del params  # the numpy copies: a PyTorch user would hold only the model
    setup_peak = _hwm_mib()
    _reset_hwm()
    rng = np.random.default_rng([0, 0])  # the executor's input for seed 0
    from convcalc.shapes import to_canonical

    shape = to_canonical(report.input_rows[0].output_shape, spec.channels_first)
    x = torch.from_numpy(rng.standard_normal((1,) + shape, dtype=np.float32)).permute(0, 3, 1, 2)
    if torch_format == "nhwc":  # oneDNN's preferred layout: model and input channels_last
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    else:  # PyTorch's default: contiguous NCHW
        x = x.contiguous()
    with torch.inference_mode():
        y = model(x)
        times, dropped = timed(lambda: model(x), repeat)
    return {
        "forward_s": statistics.median(times),
        "min_s": min(times),
        "dropped": dropped,
        "output": y.numpy().ravel()[:1000].tolist(),
        "forward_peak_mib": _hwm_mib(),
        "setup_peak_mib": setup_peak,
    }


# --- driver -----------------------------------------------------------------------------------
def run_worker(impl: str, net: str, args: argparse.Namespace) -> dict:
    env = dict(os.environ, **{v: str(args.threads) for v in THREAD_VARS})
    package = args.baseline.resolve() if impl == "baseline" else ROOT
    env["PYTHONPATH"] = str(package) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        "numpy" if impl == "baseline" else impl,
        "--net",
        net,
        "--repeat",
        str(args.repeat),
        "--threads",
        str(args.threads),
        "--torch-format",
        args.torch_format,
    ]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, env=env, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"bench: worker {impl} {net} failed ({proc.returncode})")
    return json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--nets", default=",".join(NETS))
    ap.add_argument("--layers", action="store_true", help="print the runtime's per-layer times")
    ap.add_argument(
        "--torch-format",
        choices=["nchw", "nhwc"],
        default="nchw",
        help="torch's memory format: contiguous NCHW (its default) or channels_last",
    )
    ap.add_argument("--baseline", type=Path, help="another convcalc checkout to run alike")
    ap.add_argument("--worker", choices=["numpy", "torch"], help=argparse.SUPPRESS)
    ap.add_argument("--net", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        path = NETS[args.net]
        doc = (
            worker_numpy(path, args.repeat)
            if args.worker == "numpy"
            else worker_torch(path, args.repeat, args.threads, args.torch_format)
        )
        print(json.dumps(doc))
        return
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    from convcalc import analyze, load_spec

    print(
        f"threads {args.threads}, {args.repeat} forwards per worker after a warm-up, "
        f"{args.rounds} rounds, torch {args.torch_format}"
        + ("" if have_torch else "; torch not importable")
    )
    print(
        "peak RSS: the process's peak while running forwards (after building its weights);"
        " setup: its peak while building them (torch's includes our numpy copy of them)"
    )
    header = (
        f"{'network':14s} {'impl':8s} {'median s':>9s} {'min s':>8s} {'GFLOP/s':>8s} "
        f"{'peak RSS':>9s} {'setup':>9s} {'ratio (median, min)':>20s}"
    )
    print(header)
    for net in args.nets.split(","):
        flops = analyze(load_spec(NETS[net])).totals.flops
        runs: dict[str, list[dict]] = {"numpy": [], "torch": [], "baseline": []}
        for _ in range(args.rounds):
            runs["numpy"].append(run_worker("numpy", net, args))
            if have_torch:
                runs["torch"].append(run_worker("torch", net, args))
            if args.baseline:
                runs["baseline"].append(run_worker("baseline", net, args))
        med = {k: statistics.median(r["forward_s"] for r in v) for k, v in runs.items() if v}
        best = {k: min(r["min_s"] for r in v) for k, v in runs.items() if v}
        rss = {k: max(r["forward_peak_mib"] for r in v) for k, v in runs.items() if v}
        setup = {k: max(r["setup_peak_mib"] for r in v) for k, v in runs.items() if v}
        for impl in med:  # noqa: PLC0206 - med, best, rss and setup share the keys
            ratio = (
                f"{med[impl] / med['torch']:.2f}, {best[impl] / best['torch']:.2f}"
                if "torch" in med and impl != "torch"
                else ""
            )
            name = {"numpy": "runtime", "torch": "torch", "baseline": "baseline"}[impl]
            print(
                f"{net:14s} {name:8s} {med[impl]:9.4f} {best[impl]:8.4f} "
                f"{flops / med[impl] / 1e9:8.1f} {rss[impl]:5.0f} MiB {setup[impl]:5.0f} MiB "
                f"{ratio:>20s}"
            )
        if "torch" in med:
            import numpy as np

            a, b = np.array(runs["numpy"][0]["output"]), np.array(runs["torch"][0]["output"])
            print(
                f"{'':14s} outputs: max |runtime - torch| / max |torch| = "
                f"{np.max(np.abs(a - b)) / np.max(np.abs(b)):.1e}"
            )
        if "baseline" in med:
            print(
                f"{'':14s} runtime / baseline: median {med['numpy'] / med['baseline']:.3f}, "
                f"min {best['numpy'] / best['baseline']:.3f}"
            )
        drops = {k: sum(r["dropped"] for r in v) for k, v in runs.items() if v}
        print(f"{'':14s} contended forwards dropped and repeated: {drops}")
        if args.layers:
            per = runs["numpy"][-1]["layers"]
            for name, s in sorted(per.items(), key=lambda kv: -kv[1])[:12]:
                print(f"{'':14s}   {name:24s} {s * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
