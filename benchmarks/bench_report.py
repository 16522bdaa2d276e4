"""bench_run.py's printing: the table per network, thread count and batch, and the breakdown
per layer kind (runtime against PyTorch's per-layer clocks, the GEMM peak and the copy bound)."""

from __future__ import annotations

import math
import statistics
from typing import Any

TORCH_FORMATS = "nchw,nhwc"
# the kinds that run as im2col/GEMM, Winograd or a plain GEMM: measured against the sgemm peak
CONV_KINDS = ("Conv1D", "Conv2D", "Conv3D")
HEADER = (
    f"{'network':21s} {'thr':>3s} {'batch':>5s} {'convcalc':>9s} {'PyTorch':>9s} "
    f"{'ratio':>5s} {'(min)':>5s} {'GFLOP/s':>7s} {'conv':>6s} {'%GEMM':>5s} "
    f"{'torch':>6s} {'RSS cc':>7s} {'RSS pt':>7s} {'rel.err':>8s} {'drop':>5s} {'way':6s}"
)
# how the runtime's timed forwards used the threads (Execution.tune(): the faster in the warm-up)
WAYS = {
    "batch shards": "shards",
    "split layers": "split",
    "OpenBLAS threads": "blas",
    "one thread": "one",
    "": "-",
}


def cpu_line() -> str:
    """The CPU as /proc/cpuinfo names it: model, vendor and family, AVX-512 or not, cores."""
    import os

    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        return "cpu: unknown"
    avx512 = "avx512f" in fields.get("flags", "").split()
    return (
        f"cpu: {fields.get('model name', '?')} ({fields.get('vendor_id', '?')}, family "
        f"{fields.get('cpu family', '?')} model {fields.get('model', '?')}), "
        f"{'AVX-512' if avx512 else 'no AVX-512'}, {os.cpu_count()} logical cores"
    )


def versions() -> str:
    import numpy

    out = f"numpy {numpy.__version__}"
    try:
        import torch

        out += f", torch {torch.__version__} (threads by torch.set_num_threads)"
    except ImportError:
        pass
    return out


def preamble(args: Any, load: float) -> None:
    print(f"{cpu_line()}; {versions()}")
    print(
        f"threads {args.threads}; batch {args.batch}; {args.rounds} rounds of alternating "
        f"workers, each the median of up to {args.repeat} forwards (about {args.budget:g} s) "
        f"after a warm-up; torch {args.torch_format} (ratio against the faster); "
        f"load average at the start {load:.2f}"
        + ("" if args.have_torch else "; torch not importable")
    )
    print(
        "convcalc, PyTorch: median seconds per forward; ratio = convcalc / PyTorch (median of "
        "medians; min: of the best forwards); GFLOP/s = 2 x MACs x batch per second; conv: the "
        "convolution layers' GFLOP/s (their MACs over their time) and %GEMM its share of the "
        "measured sgemm peak; torch: PyTorch's convolution GFLOP/s (clocked per layer); RSS: peak "
        "MiB while running forwards; rel.err: the largest max |convcalc - PyTorch| / max |PyTorch| "
        "over every layer's output (batch 1; then that layer, and each side's worst against the "
        "same PyTorch model in float64; and each layer alone, fed PyTorch's outputs of the layers "
        "before it, its worst error and layer); drop: contended forwards dropped; way: how the "
        "runtime used the threads (shards: batch shards; split: split layers; blas: OpenBLAS's "
        "threads for the GEMMs; one: a single thread; the faster in the warm-up, per round)"
    )


def machine_lines(machines: dict[int, dict[str, Any]]) -> None:
    for t, m in machines.items():
        shapes = ", ".join(f"{k} {v:.0f}" for k, v in m["gemm"].items())
        print(
            f"machine, {t} thread(s): OpenBLAS kernel {m['kernel']} (OPENBLAS_CORETYPE "
            f"{m.get('coretype_env') or 'unset'}); sgemm GFLOP/s {shapes} "
            f"-> GEMM peak {m['gemm_peak']:.0f}; copy bandwidth (read + write) "
            f"{m['copy_dram_gbs']:.1f} GB/s at 256 MiB, {m['copy_l3_gbs']:.1f} GB/s at 4 MiB; "
            f"depthwise taps: {m.get('depthwise', 'NumPy')}"
        )


def _med(values: list[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return statistics.median(vals) if vals else float("nan")


def summary(case: dict[str, Any]) -> dict[str, Any]:
    """The figures of one case (network, threads, batch) over its rounds."""
    runs, report, batch = case["runs"], case["report"], case["batch"]
    med = {k: _med([r["forward_s"] for r in v]) for k, v in runs.items()}
    best = {k: min(r["min_s"] for r in v) for k, v in runs.items()}
    rss = {k: max(r["forward_peak_mib"] for r in v) for k, v in runs.items()}
    torch = [k for k in med if k.startswith("torch")]
    fastest = min(torch, key=lambda k: med[k] if med[k] == med[k] else math.inf) if torch else None
    layer_s = {n: _med([r["layers"][n] for r in runs["numpy"]]) for n in runs["numpy"][0]["layers"]}
    conv = [r for r in report.rows if r.kind in CONV_KINDS]
    conv_s = sum(layer_s[r.name] for r in conv)
    conv_flops = 2 * batch * sum(r.macs for r in conv)
    out: dict[str, Any] = {
        "med": med,
        "best": best,
        "rss": rss,
        "torch": fastest,
        "layer_s": layer_s,
        "gflops": 2 * batch * report.totals.macs / med["numpy"] / 1e9,
        "conv_gflops": conv_flops / conv_s / 1e9 if conv_s else float("nan"),
        "dropped": {k: sum(r["dropped"] for r in v) for k, v in runs.items()},
    }
    out["peak_pct"] = 100 * out["conv_gflops"] / case["machine"]["gemm_peak"]
    if fastest:
        kinds = {k: _med([r["kinds"].get(k, math.nan) for r in runs[fastest]]) for k in CONV_KINDS}
        t_conv = sum(v for v in kinds.values() if not math.isnan(v))
        out["torch_conv_gflops"] = conv_flops / t_conv / 1e9 if t_conv else float("nan")
        checks = [r["check"] for k in torch for r in runs[k] if r.get("check")]
        out["err"] = max((c["worst"] for c in checks), default=math.nan)
        out["err_layer"] = max(checks, key=lambda c: c["worst"])["layer"] if checks else ""
        alone = [tuple(c["same_input"]) for c in checks if c.get("same_input")]
        out["same"] = max(alone, default=(math.nan, ""))
        out["f64"] = (
            (
                max(c.get("f64_cc", math.nan) for c in checks),
                max(c.get("f64_pt", math.nan) for c in checks),
            )
            if checks
            else (math.nan, math.nan)
        )
    return out


def case_lines(case: dict[str, Any]) -> list[str]:
    s = case["summary"] = summary(case)
    med, best, rss, t = s["med"], s["best"], s["rss"], s["torch"]
    drops = sum(s["dropped"].values())
    name = case["net"] + (f" ({t.split()[1]})" if t else "")
    if t:
        tail = (
            f"{med[t]:9.4f} {med['numpy'] / med[t]:5.2f} {best['numpy'] / best[t]:5.2f} "
            f"{s['gflops']:7.1f} {s['conv_gflops']:6.1f} {s['peak_pct']:5.0f} "
            f"{s['torch_conv_gflops']:6.1f} {rss['numpy']:7.0f} {rss[t]:7.0f} {s['err']:8.1e}"
        )
    else:
        tail = f"{'-':>9s} {'':5s} {'':5s} {s['gflops']:7.1f} {s['conv_gflops']:6.1f} " + (
            f"{s['peak_pct']:5.0f} {'':6s} {rss['numpy']:7.0f}"
        )
    ways = "/".join(sorted({WAYS.get(r.get("mode", ""), "?") for r in case["runs"]["numpy"]}))
    lines = [
        f"{name:21s} {case['threads']:3d} {case['batch']:5d} {med['numpy']:9.4f} {tail} {drops:5d}"
        f" {ways:6s}"
        + (
            f" {s['err_layer']}; vs float64: convcalc {s['f64'][0]:.1e}, PyTorch {s['f64'][1]:.1e}"
            f"; each layer alone (PyTorch's inputs): {s['same'][0]:.1e} {s['same'][1]}"
            if s.get("err_layer")
            else ""
        )
    ]
    if "baseline" in med:
        lines.append(
            f"{'':21s} runtime / baseline: median {med['numpy'] / med['baseline']:.3f}, "
            f"min {best['numpy'] / best['baseline']:.3f} (baseline {med['baseline']:.4f} s)"
        )
    return lines


def kind_lines(case: dict[str, Any], nlayers: int) -> list[str]:
    """Per layer kind: the runtime's and PyTorch's time, GFLOP/s, % of the GEMM peak, GB/s and
    the time over that of copying the same bytes (inputs + output once)."""
    s, report, batch = case["summary"], case["report"], case["batch"]
    numpy_runs, t = case["runs"]["numpy"], s["torch"]
    peak = case["machine"]["gemm_peak"]
    copy_s = numpy_runs[0]["copy_s"]
    acc: dict[str, dict[str, float]] = {}
    for r in report.rows:
        if r.is_input:
            continue
        elems = sum(math.prod(x) for x in r.in_shapes) + math.prod(r.shape)
        k = acc.setdefault(r.kind, {"n": 0, "s": 0.0, "macs": 0, "bytes": 0, "copy": 0.0})
        k["n"] += 1
        k["s"] += s["layer_s"][r.name]
        k["macs"] += r.macs
        k["bytes"] += 4 * batch * elems
        k["copy"] += copy_s[str(batch * elems // 2)]
    torch_kinds = (
        {k: _med([r["kinds"].get(k, math.nan) for r in case["runs"][t]]) for k in acc} if t else {}
    )
    title = f"{case['net']}, {case['threads']} thread(s), batch {case['batch']}"
    lines = [
        "",
        f"{title}: per layer kind (ms per forward; PyTorch: clocks around each layer, {t or '-'})",
        f"  {'kind':26s} {'n':>4s} {'convcalc':>9s} {'PyTorch':>9s} {'ratio':>6s} "
        f"{'GFLOP/s':>8s} {'%GEMM':>6s} {'pt GF/s':>8s} {'GB/s':>7s} {'x copy':>7s}",
    ]
    for kind, k in sorted(acc.items(), key=lambda kv: -kv[1]["s"]):
        pt = torch_kinds.get(kind, math.nan)
        gf = 2 * batch * k["macs"] / k["s"] / 1e9 if k["macs"] and k["s"] else math.nan
        pgf = (
            2 * batch * k["macs"] / pt / 1e9
            if k["macs"] and pt and not math.isnan(pt)
            else math.nan
        )
        lines.append(
            f"  {kind:26s} {int(k['n']):4d} {k['s'] * 1e3:9.2f} {pt * 1e3:9.2f} "
            f"{k['s'] / pt if pt else math.nan:6.2f} {gf:8.1f} {100 * gf / peak:6.0f} "
            f"{pgf:8.1f} {k['bytes'] / k['s'] / 1e9 if k['s'] else math.nan:7.1f} "
            f"{k['s'] / k['copy'] if k['copy'] else math.nan:7.2f}"
        )
    total = sum(s["layer_s"].values())
    pt_total = _med([r["kinds"].get("(total)", math.nan) for r in case["runs"][t]]) if t else 0
    lines.append(f"  {'(sum of layers)':26s} {'':4s} {total * 1e3:9.2f} {pt_total * 1e3:9.2f}")
    return lines + (slow_layer_lines(case, nlayers) if nlayers else [])


def slow_layer_lines(case: dict[str, Any], nlayers: int) -> list[str]:
    """The runtime's ``nlayers`` slowest layers, each beside PyTorch's clock around the same
    layer plus the layers the runtime ran as its epilogue (their own time is 0: a BatchNorm
    and activation after a convolution), and both sides' GFLOP/s."""
    s, report, batch, t = case["summary"], case["report"], case["batch"], case["summary"]["torch"]
    rows = {r.name: r for r in report.rows}
    head: dict[str, str] = {}  # a fused layer -> the layer that ran it
    for r in report.rows:
        if not r.is_input and s["layer_s"].get(r.name) == 0.0 and len(r.inputs) == 1:
            head[r.name] = head.get(r.inputs[0], r.inputs[0])
    runs = case["runs"][t] if t else []

    def own(name: str) -> float:
        return _med([r["kinds"].get("layer:" + name, math.nan) for r in runs])

    def torch_s(name: str) -> float:
        return own(name) + sum(own(k) for k, h in head.items() if h == name)

    lines = [
        f"    {'layer (slowest)':40s} {'convcalc':>9s} {'PyTorch':>9s} {'ratio':>6s}  GFLOP/s"
        "  (PyTorch: with the layers fused into it here)"
    ]
    for name, v in sorted(s["layer_s"].items(), key=lambda kv: -kv[1])[:nlayers]:
        pt = torch_s(name) if runs else math.nan
        flops = 2 * batch * rows[name].macs
        gf = (
            f"{flops / v / 1e9:6.0f} {flops / pt / 1e9:6.0f}"
            if flops and not math.isnan(pt)
            else ""
        )
        ratio = v / pt if pt else math.nan
        fused = [k for k, h in head.items() if h == name]
        lines.append(
            f"    {name:40s} {v * 1e3:9.2f} {pt * 1e3:9.2f} {ratio:6.2f} {gf}"
            + (f"  +{','.join(fused)}" if fused else "")
        )
    return lines


def as_json(case: dict[str, Any]) -> dict[str, Any]:
    keep = ("net", "threads", "batch", "machine")
    s = dict(case["summary"])
    return {**{k: case[k] for k in keep}, "summary": s}
