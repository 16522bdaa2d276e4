"""What each counting tool prints for its totals, formatted as the tool formats them (its own
rounding, units and quirks), for ``summary --convention`` and ``explain-count``."""

from __future__ import annotations

from convcalc.analysis.conventions import Convention
from convcalc.report import Report


def torchinfo_number(n: int, units: str = "auto") -> str:
    """torchinfo 1.8.0's format_output_num: ``(Units.GIGABYTES): 15.48`` for mult-adds. Its
    Units enum prints as ``Units.GIGABYTES`` on Python 3.11 and later (``G`` before)."""
    if units == "none":
        return f": {n:,}"
    if n >= 1e12:
        name, value = "Units.TERABYTES", n / 1e12
    elif n >= 1e9:
        name, value = "Units.GIGABYTES", n / 1e9
    else:
        name, value = "Units.MEGABYTES", n / 1e6
    if value.is_integer():
        return f" ({name}): {int(value):,d}"
    return f" ({name}): {value:,.2f}"


def fvcore_size(x: int, sig_figs: int = 3) -> str:
    """fvcore's _format_size (flop_count_table): ``15.47G``, ``0.138G``."""

    def fmt(v: float) -> str:
        return f"{v:.{sig_figs}f}".rstrip("0").rstrip(".")

    for limit, div, suffix in ((1e14, 1e15, "P"), (1e11, 1e12, "T"), (1e8, 1e9, "G")):
        if abs(x) > limit:
            return fmt(x / div) + suffix
    if abs(x) > 1e5:
        return fmt(x / 1e6) + "M"
    if abs(x) > 1e2:
        return fmt(x / 1e3) + "K"
    return str(x)


def thop_clever(num: float, fmt: str = "%.3f") -> str:
    """thop.clever_format: ``15.470G``; below a thousand ``0.000B`` (B for none, not billion)."""
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if num > limit:
            return fmt % (num / limit) + suffix
    return fmt % num + "B"


def ptflops_macs(flops: int, precision: int = 2) -> str:
    """ptflops flops_to_string: ``15.52 GMac`` (str(round(...)): ``320.3 MMac``)."""
    for div, unit in ((10**9, "GMac"), (10**6, "MMac"), (10**3, "KMac")):
        if flops // div > 0:
            return f"{round(flops / div, precision)} {unit}"
    return f"{flops} Mac"


def ptflops_params(n: int, precision: int = 2) -> str:
    """ptflops params_to_string: ``138.36 M``, ``2.06 k``, ``448``."""
    if n // 10**6 > 0:
        return f"{round(n / 10**6, precision)} M"
    if n // 10**3:
        return f"{round(n / 10**3, precision)} k"
    return str(n)


def calflops_number(num: float, precision: int = 2) -> str:
    """calflops number_to_string: ``30.97 G`` (``:g`` of the rounded value)."""
    magnitude, units = 1.0, ""
    for m, u in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if num >= m:
            magnitude, units = m, u
            break
    return f"{round(num / magnitude, precision):g} {units}"


def flopcounter_number(n: int) -> str:
    """FlopCounterMode's table: ``30.941B`` (suffixes K, M, B, T; from the digit count)."""
    suffixes = ["", "K", "M", "B", "T"]
    index = max(0, min(len(suffixes) - 1, (len(str(n)) - 2) // 3))
    return f"{n / 1000**index:.3f}{suffixes[index]}"


def printed_totals(c: Convention, report: Report, batch: int = 1, itemsize: int = 4) -> list[str]:
    """The lines ``c``'s tool prints for ``report`` (what a user compares)."""
    refusal = c.refuses(report)
    if refusal:
        return [refusal]
    total, trainable = c.params(report)
    count = c.total(report, batch)
    if c.name == "torchinfo":
        sizes = c.sizes(report, batch, itemsize)  # type: ignore[attr-defined]
        mb = {k: v / 1e6 for k, v in sizes.items()}
        return [
            f"Total params{torchinfo_number(total, 'none')}",
            f"Trainable params{torchinfo_number(trainable, 'none')}",
            f"Non-trainable params{torchinfo_number(total - trainable, 'none')}",
            f"Total mult-adds{torchinfo_number(count)}",
            f"Input size (MB): {mb['input']:0.2f}",
            f"Forward/backward pass size (MB): {mb['forward_backward']:0.2f}",
            f"Params size (MB): {mb['params']:0.2f}",
            f"Estimated Total Size (MB): {sum(sizes.values()) / 1e6:0.2f}",
        ]
    if c.name == "fvcore":
        return [
            f"FlopCountAnalysis(model, x).total(): {count}",
            f"flop_count_table: model | #parameters {fvcore_size(total)} | "
            f"#flops {fvcore_size(count)}",
        ]
    if c.name == "thop":
        return [
            f"thop.profile: macs {float(count)}, params {float(total)}",
            f'clever_format([macs, params], "%.3f"): {thop_clever(count)}, {thop_clever(total)}',
        ]
    if c.name == "ptflops":
        return [
            f"get_model_complexity_info: {count:,} MACs, {total:,} params",
            f"as strings: {ptflops_macs(count)}, {ptflops_params(total)}",
        ]
    if c.name == "calflops":
        macs = sum(c.macs(r, batch) for r in report.rows)  # type: ignore[attr-defined]
        return [
            f"calculate_flops: {count:,} FLOPs, {macs:,} MACs, {total:,} params",
            f"as strings: {calflops_number(count)}FLOPS, {calflops_number(macs)}MACs, "
            f"{calflops_number(total).replace('G', 'B').strip()}",
        ]
    if c.name == "flopcounter":
        back = sum(t.value for r in report.rows for t in c.backward(r, batch))  # type: ignore[attr-defined]
        return [
            f"FlopCounterMode: get_total_flops() {count:,} (Global {flopcounter_number(count)})",
            f"backward of out.sum(): {back:,} ({flopcounter_number(back)})",
        ]
    return []
