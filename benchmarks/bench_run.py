"""Benchmark `--run` against PyTorch's CPU forward on the same machine, threads and batch.

    PYTHONPATH=. python benchmarks/bench_run.py [--nets vgg16,resnet50] [--threads 1,2]
        [--batch 1,8] [--rounds 3] [--repeat 10] [--kinds] [--baseline DIR]

Runs every zoo network (or --nets: zoo names or spec files) through convcalc's NumPy runtime
and, when torch is importable, through the same network in torch.nn (the code `convcalc
export --to pytorch` writes, bench_torch.py) with the same weights; outputs are compared.
Each measurement is its own worker process (peak RSS per implementation; neither allocator
disturbs the other); the workers alternate runtime / torch for --rounds rounds, each reporting
the median of its forwards after a warm-up, with forwards during which other processes used
the CPU dropped and repeated. A machine worker per thread count measures NumPy's sgemm
GFLOP/s (the GEMM peak, in the runtime's BLAS configuration) and copy bandwidth.

Printed per network, thread count and batch: median forward of each, their ratio, GFLOP/s,
the convolution layers' GFLOP/s and its share of the GEMM peak, peak RSS, and the outputs'
agreement. --kinds adds per layer kind: the runtime's time (its per-layer times), PyTorch's
(clocks around each of its layers, in the torch worker), GFLOP/s, % of the GEMM peak, GB/s,
and the time of copying the same bytes (1.0 = at the memory bound). --baseline DIR runs
another checkout's runtime as a third implementation. The python running this needs numpy,
typer, rich and pyyaml (and torch for the comparison); threads are set in the workers'
environment before numpy or torch is imported, and torch.set_num_threads() too.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common as bc
import bench_report

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
ZOO = (
    "vgg16,resnet50,mobilenet,mobilenet_v2,resnet18,resnet50_torchvision,inception_v3,"
    "xception,densenet121,efficientnet_b0,googlenet,alexnet,inception_3a,vgg19,unet,text_cnn"
)


def spec_path(net: str) -> Path:
    from convcalc import zoo

    return Path(zoo.resolve(net))


# --- weights both sides get ----------------------------------------------------------------------
def setup(net: str) -> tuple[Any, Any, dict[str, dict[str, Any]]]:
    """Spec, report and seeded weights, each kernel rescaled from Keras's glorot_uniform to He's
    variance (2 / fan-in), so that activations keep their scale through deep stacks and the
    comparison of the outputs means something (the same weights go to both sides)."""
    import numpy as np

    from convcalc import analyze, load_spec
    from convcalc.runtime import weights as W

    spec = load_spec(spec_path(net))
    report = analyze(spec)
    rows = {r.name: r for r in report.rows}
    layer_specs = [ls for ls in spec.layers if not ls.is_input]
    params = W.build(
        [(ls, list(rows[ls.name].weights)) for ls in layer_specs], 0, None, "keras", False
    )
    for p in params.values():
        for name, a in p.items():
            if name in ("kernel", "pointwise_kernel") and a.ndim >= 2:
                rf = math.prod(a.shape[:-2])
                fan_in, fan_out = a.shape[-2] * rf, a.shape[-1] * rf
                a *= np.float32(math.sqrt((fan_in + fan_out) / fan_in))
            elif name == "depthwise_kernel":  # Keras's fans: k·C in, k·dm out; the true one: k
                a *= np.float32(math.sqrt(a.shape[-2] + a.shape[-1]))
    return spec, report, params


def sample_input(report: Any, batch: int) -> Any:
    """The executor's seeded input for seed 0 (canonical, batch first)."""
    import numpy as np

    rng = np.random.default_rng([0, 0])
    return rng.standard_normal((batch,) + tuple(report.input_rows[0].shape), dtype=np.float32)


# --- workers (one implementation, one network, in a fresh process) -------------------------------
def worker_numpy(net: str, batch: int, repeat: int, check: str) -> dict[str, Any]:
    import numpy as np

    from convcalc.runtime.executor import Execution, RunOptions

    spec, report, params = setup(net)
    ex = Execution(spec, report, RunOptions(batch=batch), params)
    setup_peak = bc.hwm_mib()
    bc.reset_hwm()
    ex.forward()  # warm-up: shape checks, statistics, first touch of the buffers
    ex.tune()  # and how the timed forwards use the threads, measured as `run --repeat` does
    mode, trials = ex.mode, ex.trials
    calls: list[int] = []
    times, dropped = bc.timed(ex.forward, repeat, kept_calls=calls)
    peak = bc.hwm_mib()
    # each layer's median over the forwards kept (ex.times[n][0] is the warm-up's)
    layers = {n: statistics.median(t[1 + i] for i in calls) for n, t in ex.times.items()}
    # the time of copying each layer's bytes (its inputs and output) once, for the GB/s bound
    copy_s: dict[int, float] = {}
    for r in report.rows:
        if not r.is_input:
            n = batch * (sum(math.prod(s) for s in r.in_shapes) + math.prod(r.shape)) // 2
            if n not in copy_s:
                copy_s[n] = 8 * n / bc.copy_gbs(n, seconds=0.05) / 1e9
    if check:  # every layer's output, for the torch worker to compare (after the peak is taken)
        del ex
        saved = Execution(spec, report, RunOptions(batch=batch, keep_activations=True), params)
        saved.forward()
        np.savez(check, **saved.saved)
    return {
        "forward_s": statistics.median(times),
        "min_s": min(times),
        "dropped": dropped,
        "layers": layers,
        "copy_s": {str(k): v for k, v in copy_s.items()},
        "forward_peak_mib": peak,
        "setup_peak_mib": setup_peak,
        "kernel": bc.blas_kernel(),
        "mode": mode,
        "trials": trials,
    }


def worker_torch(
    net: str, batch: int, repeat: int, threads: int, fmt: str, check: str
) -> dict[str, Any]:
    import torch
    from bench_torch import compare_layers, profile_by_kind, torch_model

    torch.set_num_threads(threads)
    spec, report, params = setup(net)
    model, var = torch_model(spec, report, params)
    del params  # the numpy copies: a PyTorch user would hold only the model
    setup_peak = bc.hwm_mib()
    bc.reset_hwm()
    x = torch.from_numpy(sample_input(report, batch))
    x = x.permute(0, x.dim() - 1, *range(1, x.dim() - 1))  # NCHW
    if fmt == "nhwc" and x.dim() == 4:  # oneDNN's preferred layout: model and input
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    else:
        x = x.contiguous()
    with torch.inference_mode():
        y = model(x)
        times, dropped = bc.timed(lambda: model(x), repeat)
    peak = bc.hwm_mib()
    del y
    return {
        "forward_s": statistics.median(times),
        "min_s": min(times),
        "dropped": dropped,
        "kinds": profile_by_kind(model, x),
        "check": compare_layers(model, x, var, check, spec, setup(net)[2]) if check else None,
        "forward_peak_mib": peak,
        "setup_peak_mib": setup_peak,
    }


# --- driver --------------------------------------------------------------------------------------
def run_worker(impl: str, args: argparse.Namespace, **kw: Any) -> dict[str, Any]:
    threads = kw["threads"]
    env = dict(os.environ, **{v: str(threads) for v in THREAD_VARS})
    if args.openblas_coretype == "unset":
        env.pop("OPENBLAS_CORETYPE", None)
    elif args.openblas_coretype != "as-set":
        env["OPENBLAS_CORETYPE"] = args.openblas_coretype
    package = args.baseline.resolve() if impl == "baseline" else ROOT
    env["PYTHONPATH"] = str(package) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, __file__, "--worker", "numpy" if impl == "baseline" else impl]
    for k, v in kw.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    proc = subprocess.run(cmd, capture_output=True, env=env, text=True, check=False)
    if proc.returncode:  # (stderr is shown only on failure)
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"bench: worker {impl} {kw} failed ({proc.returncode})")
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def repeats(macs: int, batch: int, args: argparse.Namespace) -> int:
    """--repeat, fewer for heavy forwards: about --budget seconds of forwards per worker
    (estimated at 100 GFLOP/s), at least 3."""
    est = 2 * macs * batch / 100e9
    return max(3, min(args.repeat, int(args.budget / max(est, 1e-9))))


def measure(net: str, threads: int, batch: int, args: argparse.Namespace) -> dict[str, Any]:
    """Every implementation's workers for one case, alternating, --rounds times."""
    from convcalc import analyze, load_spec

    spec = load_spec(spec_path(net))
    report = analyze(spec)
    rep = repeats(report.totals.macs, batch, args)
    common = {"net": net, "batch": batch, "threads": threads, "repeat": rep}
    common["foreign"] = args.foreign
    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            # the first round at batch 1 also compares every layer's output
            check = str(Path(tmp) / "acts.npz") if i == 0 and batch == 1 and args.check else ""
            runs.setdefault("numpy", []).append(run_worker("numpy", args, **common, check=check))
            if args.have_torch:
                for j, fmt in enumerate(args.torch_format.split(",")):
                    runs.setdefault(f"torch {fmt}", []).append(
                        run_worker(
                            "torch", args, **common, torch_format=fmt, check=check if j == 0 else ""
                        )
                    )
            if args.baseline:
                runs.setdefault("baseline", []).append(run_worker("baseline", args, **common))
    return {
        "net": net,
        "threads": threads,
        "batch": batch,
        "report": report,
        "runs": runs,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nets", default=ZOO, help="zoo names or spec files, comma-separated")
    ap.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    ap.add_argument("--batch", default="1,8", help="batch sizes, comma-separated")
    ap.add_argument("--repeat", type=int, default=10, help="forwards per worker (at most)")
    ap.add_argument("--budget", type=float, default=3.0, help="seconds of forwards per worker")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--foreign",
        type=float,
        default=0.03,
        help="drop a forward during which other processes used more CPU seconds than this",
    )
    ap.add_argument("--kinds", action="store_true", help="the per-layer-kind breakdown")
    ap.add_argument(
        "--no-check",
        dest="check",
        action="store_false",
        help="skip comparing every layer's output with PyTorch's (done at batch 1)",
    )
    ap.add_argument("--layers", type=int, default=0, help="the runtime's N slowest layers")
    ap.add_argument(
        "--torch-format",
        default=bench_report.TORCH_FORMATS,
        help="torch's memory formats, comma-separated: nchw (its default), nhwc "
        "(channels_last); the ratio is taken against the faster",
    )
    ap.add_argument(
        "--openblas-coretype",
        default="as-set",
        help="OPENBLAS_CORETYPE for every worker: as-set (this environment's), unset (OpenBLAS "
        "detects the CPU), or a kernel name (SkylakeX, Haswell, ...)",
    )
    ap.add_argument("--baseline", type=Path, help="another convcalc checkout to run alike")
    ap.add_argument("--json", type=Path, help="also write every measurement here")
    ap.add_argument("--worker", choices=["numpy", "torch", "machine"], help=argparse.SUPPRESS)
    ap.add_argument("--net", help=argparse.SUPPRESS)
    ap.add_argument("--check", dest="check_path", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        doc = worker(args)
        print(json.dumps(doc))
        return
    try:
        import torch  # noqa: F401

        args.have_torch = True
    except ImportError:
        args.have_torch = False
    threads = [int(t) for t in args.threads.split(",")]
    batches = [int(b) for b in args.batch.split(",")]
    from convcalc import load_spec
    from convcalc.errors import SpecError

    for net in args.nets.split(","):  # every name before the first measurement, not an hour in
        try:
            load_spec(spec_path(net))
        except SpecError as err:  # its own "name: error: ..." lines, not argparse's usage
            print(f"{ap.prog}: --nets {err}", file=sys.stderr)
            sys.exit(2)
    bench_report.preamble(args, bc.load_avg())
    machines = {t: run_worker("machine", args, threads=t, foreign=args.foreign) for t in threads}
    bench_report.machine_lines(machines)
    cases = []
    print(bench_report.HEADER)
    for t in threads:
        for b in batches:
            for net in args.nets.split(","):
                case = measure(net, t, b, args)
                case["machine"] = machines[t]
                cases.append(case)
                for line in bench_report.case_lines(case):
                    print(line, flush=True)
    for case in cases if args.kinds or args.layers else []:
        for line in bench_report.kind_lines(case, args.layers):
            print(line)
    print(f"load average at the end: {bc.load_avg():.2f}")
    if args.json:
        args.json.write_text(json.dumps([bench_report.as_json(c) for c in cases], indent=1))


def worker(args: argparse.Namespace) -> dict[str, Any]:
    bc.FOREIGN_LIMIT = args.foreign
    if args.worker == "machine":
        return bc.machine()
    batch = int(args.batch)
    if args.worker == "numpy":
        return worker_numpy(args.net, batch, args.repeat, args.check_path)
    return worker_torch(
        args.net, batch, args.repeat, int(args.threads), args.torch_format, args.check_path
    )


if __name__ == "__main__":
    main()
