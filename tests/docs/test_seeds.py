"""Every worked example of the five tutorials in ../shared/seeds/, with the correct value.

One case per checkable item, named ``seedNNN-...``; where the tutorial is wrong the comment
says what it prints and the test asserts the correct value (a hand derivation written here,
or PyTorch/Keras measured once: tests/golden/learning.json, deformable.json). Items tested
elsewhere in full are also asserted here, briefly, so that this file is the checklist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from convcalc.cli import app
from convcalc.errors import SpecError
from tests.conftest import GOLDEN, ROOT, analyze_text, load_golden_json, one_layer

LEARNING = load_golden_json("learning.json")
SEED_GOLDEN = (GOLDEN / "seed000_vgg16_summary.txt").read_text()


def cli(*args: object) -> Any:
    r = CliRunner().invoke(app, [str(a) for a in args])
    assert r.exit_code in (0, 2), r.output
    return r


def cli_json(*args: object) -> Any:
    return json.loads(cli(*args, "--format", "json").stdout)


def last(kind: str, args: dict[str, Any], shape: list[int], fmt: str = "channels_last") -> Any:
    return one_layer(kind, args, shape, fmt).rows[-1]


def torch_shape(kind: str, args: dict[str, Any], shape: list[int]) -> list[int]:
    return list(last(kind, args, shape, "channels_first").output_shape)


def spec_error(text: str) -> str:
    with pytest.raises(SpecError) as exc:
        analyze_text(text)
    return exc.value.render()


def vgg16_rows() -> dict[str, Any]:
    return {r.name: r for r in analyze_text((ROOT / "specs" / "vgg16.yaml").read_text()).rows}


def seed_vgg16_params() -> dict[str, int]:
    """Seed 000's printed model.summary(): layer name -> Param #."""
    found = {}
    for line in SEED_GOLDEN.splitlines():
        m = re.match(r"^(\w+) \(\w+\) \(.*\) (\d+)$", line.strip())
        if m:
            found[m.group(1)] = int(m.group(2))
    return found


# (id, actual, expected): actual is computed by convcalc when the case runs
CASES: list[tuple[str, Callable[[], Any], Any]] = [
    # --- seed 000: filters, VGG16, 1x1 convolutions ------------------------------------------
    ("seed000-block1_conv1-(3x3x3+1)x64", lambda: vgg16_rows()["block1_conv1"].params, 1792),
    ("seed000-block2_conv1-(3x3x64+1)x128", lambda: vgg16_rows()["block2_conv1"].params, 73856),
    (
        "seed000-vgg16-every-row-params",
        lambda: {n: r.params for n, r in vgg16_rows().items()},
        seed_vgg16_params(),
    ),
    (
        "seed000-vgg16-output-shapes",
        lambda: {
            n: list(r.output_shape) for n, r in vgg16_rows().items() if n.startswith("block5")
        },
        {
            "block5_conv1": [14, 14, 512],
            "block5_conv2": [14, 14, 512],
            "block5_conv3": [14, 14, 512],
            "block5_pool": [7, 7, 512],
        },
    ),
    (
        "seed000-vgg16-total-138,357,544",
        lambda: analyze_text((ROOT / "specs" / "vgg16.yaml").read_text()).totals.params,
        138_357_544,
    ),
    (
        "seed000-flatten-25088",
        lambda: list(vgg16_rows()["flatten"].output_shape),
        [7 * 7 * 512],
    ),
    (
        # one 1x1 filter on 6x6x32 gives one 6x6 map; its kernel is 1x1x32
        "seed000-1x1-filter-6x6x32",
        lambda: (
            list(last("Conv2D", {"filters": 1, "kernel_size": 1}, [6, 6, 32]).output_shape),
            list(last("Conv2D", {"filters": 1, "kernel_size": 1}, [6, 6, 32]).weights[0].shape),
        ),
        ([6, 6, 1], [1, 1, 32, 1]),
    ),
    (
        "seed000-n-1x1-filters-n-maps",
        lambda: list(last("Conv2D", {"filters": 7, "kernel_size": 1}, [6, 6, 32]).output_shape),
        [6, 6, 7],
    ),
    (
        # the seed prints (5x5x32+1)x192 = 153,792; it is (5·5·192+1)·32 = 153,632
        "seed000-5x5-same-params-153,632-not-153,792",
        lambda: (
            last(
                "Conv2D", {"filters": 32, "kernel_size": 5, "padding": "same"}, [28, 28, 192]
            ).params
        ),
        153_632,
    ),
    (
        # the seed prints 16,080; (1·1·192+1)·16 + (5·5·16+1)·32 = 3,088 + 12,832 = 15,920
        "seed000-bottleneck-params-15,920-not-16,080",
        lambda: (
            analyze_text((ROOT / "specs" / "inception_bottleneck.yaml").read_text()).totals.params
            - 153_632
        ),
        15_920,
    ),
    (
        "seed000-5x5-mults-120,422,400",
        lambda: (
            last("Conv2D", {"filters": 32, "kernel_size": 5, "padding": "same"}, [28, 28, 192]).macs
        ),
        28 * 28 * 32 * 5 * 5 * 192,
    ),
    (
        "seed000-bottleneck-mults-12,443,648",
        lambda: (
            last("Conv2D", {"filters": 16, "kernel_size": 1}, [28, 28, 192]).macs
            + last(
                "Conv2D", {"filters": 32, "kernel_size": 5, "padding": "same"}, [28, 28, 16]
            ).macs
        ),
        12_443_648,
    ),
    (
        # "only a tenth of the original": 15,920 / 153,632
        "seed000-about-a-tenth",
        lambda: round(
            15_920
            / last(
                "Conv2D", {"filters": 32, "kernel_size": 5, "padding": "same"}, [28, 28, 192]
            ).params,
            3,
        ),
        0.104,
    ),
    # --- seed 001: PyTorch convolution and pooling -------------------------------------------
    (
        # out = floor((W - F + 2P)/S) + 1: (50 - 3 + 0)/2 + 1 = 24.5 -> 24 (floor)
        "seed001-formula-floor-24.5-to-24",
        lambda: cli_json("conv", "-i", "20x16x50x100", "-n", "33", "-k", "3", "-s", "2")["axes"][0][
            "substituted"
        ],
        "floor((50 + 0 + 0 - 3) / 2) + 1 = floor(47/2) + 1 = 23 + 1 = 24",
    ),
    (
        # the comment says torch.Size([20, 16, 24, 49]): 33 channels, not 16
        "seed001-Conv2d(16,33,3,stride=2)-(20,33,24,49)",
        lambda: cli_json("conv", "-i", "20x16x50x100", "-n", "33", "-k", "3", "-s", "2")[
            "output_shape"
        ],
        [20, 33, 24, 49],
    ),
    (
        "seed001-summary-batch-20",
        lambda: (
            "[20, 33, 24, 49]"  # a spec in PyTorch's names: shapes as torch.Size lists them
            in cli(
                "summary", ROOT / "docs" / "examples" / "seed001_conv.yaml", "--batch", "20"
            ).stdout
        ),
        True,
    ),
    (
        "seed001-padding-(4,2)-(20,33,28,100)",
        lambda: cli_json(
            "conv", "-i", "20x16x50x100", "-n", "33", "-k", "3x5", "-s", "2x1", "-p", "4x2"
        )["output_shape"],
        [20, 33, 28, 100],
    ),
    (
        "seed001-dilation-(3,1)-(20,33,26,100)",
        lambda: cli_json(
            "conv",
            "-i",
            "20x16x50x100",
            "-n",
            "33",
            "-k",
            "3x5",
            "-s",
            "2x1",
            "-p",
            "4x2",
            "-d",
            "3x1",
        )["output_shape"],
        [20, 33, 26, 100],
    ),
    (
        "seed001-grouped-weight-(5,2,3,3)",
        lambda: list(
            last(
                "Conv2d",
                {"in_channels": 10, "out_channels": 5, "kernel_size": 3, "groups": 5},
                [10, 224, 224],
                "channels_first",
            ).weight_shapes()[0][1]
        ),
        LEARNING["seed001"]["grouped"]["weight"],
    ),
    (
        "seed001-grouped-output-(20,5,222,222)",
        lambda: [
            20,
            *torch_shape(
                "Conv2d", {"out_channels": 5, "kernel_size": 3, "groups": 5}, [10, 224, 224]
            ),
        ],
        LEARNING["seed001"]["grouped_out"],
    ),
    (
        "seed001-groups=6-in_channels-not-divisible",
        lambda: (
            "groups must divide the input channels"
            in spec_error(
                "data_format: channels_first\ninput: [10, 224, 224]\nlayers:\n"
                "  - Conv2d: {out_channels: 6, kernel_size: 3, groups: 6}\n"
            )
        ),
        True,
    ),
    (
        "seed001-out_channels=6-groups=5-not-divisible",
        lambda: (
            "groups must divide filters"
            in spec_error(
                "data_format: channels_first\ninput: [10, 224, 224]\nlayers:\n"
                "  - Conv2d: {out_channels: 6, kernel_size: 3, groups: 5}\n"
            )
        ),
        True,
    ),
    (
        "seed001-output_channels-is-out_channels",
        lambda: (
            "did you mean 'out_channels'"
            in spec_error(
                "data_format: channels_first\ninput: [10, 224, 224]\nlayers:\n"
                "  - Conv2d: {in_channels: 10, output_channels: 5, kernel_size: 3, groups: 5}\n"
            )
        ),
        True,
    ),
    (
        "seed001-kerner_size-typo",
        lambda: (
            "did you mean 'kernel_size'"
            in spec_error(
                "input: [8, 8, 3]\nlayers:\n  - Conv2d: {out_channels: 4, kerner_size: 3}\n"
            )
        ),
        True,
    ),
    (
        "seed001-Conv2d-has-no-ceil_mode",
        lambda: (
            "unknown argument 'ceil_mode'"
            in spec_error(
                "input: [8, 8, 3]\nlayers:\n  - Conv2d: {out_channels: 4, kernel_size: 3, ceil_mode: true}\n"
            )
        ),
        True,
    ),
    (
        "seed001-weight-layouts-(C_out,C_in/g,kh,kw)-and-depthwise-(C_in,1,kh,kw)",
        lambda: (
            last(
                "Conv2d",
                {"out_channels": 8, "kernel_size": 3, "groups": 2},
                [4, 9, 9],
                "channels_first",
            ).weight_shapes()[0][1],
            last("DepthwiseConv2D", {"kernel_size": 3}, [9, 9, 4]).weights[0].torch_shape,
        ),
        ((8, 2, 3, 3), (4, 1, 3, 3)),
    ),
    (
        "seed001-MaxPool2d(3,2,1)-(20,16,25,16)",
        lambda: cli_json("pool", "-i", "20x16x50x32", "-k", "3", "-s", "2", "-p", "1")[
            "output_shape"
        ],
        [20, 16, 25, 16],
    ),
    (
        "seed001-ceil_mode-rounds-up",
        lambda: (
            [c["out"] for c in LEARNING["pool_ceil"][:2]]
            == [
                cli_json(
                    "pool",
                    "-i",
                    "5x5",
                    "-k",
                    "2",
                    "-s",
                    "2",
                    "-p",
                    str(p),
                    "--ceil-mode",
                    "--torch",
                )["axes"][0]["output"]
                for p in (1, 0)
            ]
        ),
        True,
    ),
    # --- seed 002: 1-D, 1x1, separable, grouped, transposed, dilated, deformable ---------------
    (
        "seed002-Conv1d(256,128,3)-weight-[128,256,3]",
        lambda: dict(
            last(
                "Conv1d", {"out_channels": 128, "kernel_size": 3}, [256, 15], "channels_first"
            ).weight_shapes()
        ),
        {k: tuple(v) for k, v in LEARNING["seed001"]["conv1d"].items()},
    ),
    (
        "seed002-Conv1d-output-(32,128,13)",
        lambda: [32, *torch_shape("Conv1d", {"out_channels": 128, "kernel_size": 3}, [256, 15])],
        LEARNING["seed001"]["conv1d_out"],
    ),
    (
        "seed002-conv1d-params-C_in*K*C_out",
        lambda: (
            last(
                "Conv1d",
                {"out_channels": 128, "kernel_size": 3, "bias": False},
                [256, 15],
                "channels_first",
            ).params
        ),
        256 * 3 * 128,
    ),
    (
        # depth_conv outputs (1, 3, 5, 5); the comment says [1, 6, 5, 5]
        "seed002-depthwise-step-(1,3,5,5)",
        lambda: torch_shape(
            "Conv2d", {"out_channels": 3, "kernel_size": 3, "padding": 1, "groups": 3}, [3, 5, 5]
        ),
        [3, 5, 5],
    ),
    (
        "seed002-pointwise-step-(1,6,5,5)",
        lambda: torch_shape("Conv2d", {"out_channels": 6, "kernel_size": 1}, [3, 5, 5]),
        [6, 5, 5],
    ),
    (
        # standard H·W·K·K·M·N vs separable H·W·M·K·K + H·W·M·N (here 12x12x3, K=5, N=256)
        "seed002-separable-cost-formulas",
        lambda: [
            v["macs"]
            for v in cli_json(
                "compare",
                "-i",
                "12x12x3",
                "-k",
                "5",
                "-n",
                "256",
                "--padding",
                "same",
                "--separable",
            )["variants"]
        ],
        [12 * 12 * 5 * 5 * 3 * 256, 12 * 12 * 3 * 5 * 5 + 12 * 12 * 3 * 256],
    ),
    (
        "seed002-separable-params-M*K*K+M*N",
        lambda: sum(
            w.size
            for w in last(
                "SeparableConv2D",
                {"filters": 256, "kernel_size": 5, "use_bias": False},
                [12, 12, 3],
            ).weights
        ),
        3 * 5 * 5 + 3 * 256,
    ),
    (
        # the seed's comment `# [6,6,3,3]` on conv_out is the weight shape; the output is (1,6,5,5)
        "seed002-group_conv-standard-weight-[6,6,3,3]-output-(1,6,5,5)",
        lambda: (
            last(
                "Conv2d",
                {"out_channels": 6, "kernel_size": 3, "padding": 1},
                [6, 5, 5],
                "channels_first",
            ).weight_shapes()[0][1],
            torch_shape("Conv2d", {"out_channels": 6, "kernel_size": 3, "padding": 1}, [6, 5, 5]),
        ),
        ((6, 6, 3, 3), [6, 5, 5]),
    ),
    (
        "seed002-group_conv-weight-[6,2,3,3]",
        lambda: last(
            "Conv2d",
            {"out_channels": 6, "kernel_size": 3, "padding": 1, "groups": 3},
            [6, 5, 5],
            "channels_first",
        ).weight_shapes()[0][1],
        (6, 2, 3, 3),
    ),
    (
        "seed002-grouped-params-C1*h*w*C2/g",
        lambda: (
            last(
                "Conv2D",
                {"filters": 6, "kernel_size": 3, "groups": 3, "use_bias": False},
                [5, 5, 6],
            ).params
        ),
        6 * 3 * 3 * 6 // 3,
    ),
    (
        "seed002-C-is-4x9",
        lambda: cli_json("matrix", "-i", "3x3", "-k", "[[0,1],[2,3]]")["C"],
        [
            [0, 1, 0, 2, 3, 0, 0, 0, 0],
            [0, 0, 1, 0, 2, 3, 0, 0, 0],
            [0, 0, 0, 0, 1, 0, 2, 3, 0],
            [0, 0, 0, 0, 0, 1, 0, 2, 3],
        ],
    ),
    (
        # the seed says x = Cᵀy: Cᵀy has x's shape only
        "seed002-Cᵀy-is-not-x",
        lambda: (
            cli_json("matrix", "-i", "3x3", "-k", "[[0,1],[2,3]]")["CT_y"],
            "but is not x" in cli("matrix", "-i", "3x3", "-k", "[[0,1],[2,3]]").stdout,
        ),
        (LEARNING["corr2d"]["ct_y"], True),
    ),
    (
        "seed002-Cᵀy-is-the-transposed-layer",
        lambda: cli_json("matrix", "-i", "3x3", "-k", "[[0,1],[2,3]]")["CT_y_run"],
        LEARNING["corr2d"]["ct_y"],
    ),
    (
        "seed002-ConvTranspose2d(1,3,2)-(1,3,4,4)",
        lambda: cli_json("transpose", "-i", "1x1x3x3", "-n", "3", "-k", "2")["output_shape"],
        [1, 3, 4, 4],
    ),
    (
        "seed002-ConvTranspose2d(3,3,2,stride=2)-(1,3,6,6)",
        lambda: cli_json("transpose", "-i", "1x3x3x3", "-n", "3", "-k", "2", "-s", "2")[
            "output_shape"
        ],
        [1, 3, 6, 6],
    ),
    (
        "seed002-dilation-2-sees-5x5",
        lambda: cli_json("conv", "-i", "5x5", "-k", "3", "-d", "2")["axes"][0]["effective_kernel"],
        5,
    ),
    (
        "seed002-dilation_test-(1,1,3,3)-and-(1,1,1,1)",
        lambda: (
            cli_json("conv", "-i", "1x1x5x5", "-n", "1", "-k", "3")["output_shape"],
            cli_json("conv", "-i", "1x1x5x5", "-n", "1", "-k", "3", "-d", "2")["output_shape"],
        ),
        ([1, 1, 3, 3], [1, 1, 1, 1]),
    ),
    (
        # "rates must not share a common factor > 1": 2,2,2 leave holes, 1,2,5 do not
        "seed002-gridding-common-factor",
        lambda: (
            "warning: gridding"
            in cli("summary", ROOT / "docs" / "examples" / "dilated_gridding.yaml").stdout,
            "warning" in cli("summary", ROOT / "docs" / "examples" / "dilated_hdc.yaml").stdout,
        ),
        (True, False),
    ),
    (
        # offset field: 2N channels, N = k·k sampling points (18 for 3x3)
        "seed002-deformable-offset-channels-2·k·k",
        lambda: (
            last("DeformableConv2D", {"filters": 4, "kernel_size": 3, "padding": 1}, [6, 6, 4])
            .weights[2]
            .shape[-1]
        ),
        2 * 3 * 3,
    ),
    (
        "seed002-deformable-matches-torchvision",
        lambda: (
            last(
                "DeformConv2d",
                load_golden_json("deformable.json")["cases"][0]["layer"]["DeformConv2d"],
                [2, 6, 7],
                "channels_first",
            ).params
        ),
        load_golden_json("deformable.json")["cases"][0]["params"],
    ),
    (
        "seed002-im2col-patch-matrix",
        lambda: cli_json("matrix", "-i", "3x3", "-k", "[[0,1],[2,3]]")["patches"][0],
        [0, 1, 3, 4],
    ),
    # --- seed 003: d2l, TensorFlow ------------------------------------------------------------
    (
        "seed003-corr2d-[[19,25],[37,43]]",
        lambda: cli_json("matrix", "-i", "3x3", "-k", "[[0,1],[2,3]]")["y_run"],
        LEARNING["corr2d"]["y"],
    ),
    (
        "seed003-corr2d-on-screen-from-run",
        lambda: (
            "[[19, 25], [37, 43]]"
            in re.sub(
                r"\[ +",
                "[",
                " ".join(
                    cli(
                        "run",
                        ROOT / "docs" / "examples" / "corr2d.yaml",
                        "--input-values",
                        "arange(9)",
                        "--weight",
                        "corr/kernel=[[0,1],[2,3]]",
                    ).stdout.split()
                ),
            )
        ),
        True,
    ),
    (
        "seed003-convolution-flips-the-kernel",
        lambda: cli_json("matrix", "-i", "3x3", "-k", "[[0,1],[2,3]]")["true_convolution"],
        LEARNING["corr2d"]["true_convolution"],
    ),
    (
        "seed003-output-(n-k+1)",
        lambda: list(last("Conv2D", {"filters": 1, "kernel_size": [2, 3]}, [6, 8, 1]).output_shape),
        [6 - 2 + 1, 8 - 3 + 1, 1],
    ),
    (
        "seed003-Conv2D-takes-kernel_size-not-shape",
        lambda: (
            "unknown argument 'shape'"
            in spec_error("input: [6, 8, 1]\nlayers:\n  - Conv2D: {filters: 1, shape: [1, 2]}\n")
        ),
        True,
    ),
    (
        "seed003-learning-a-kernel-lr-3.21e-2-10-steps",
        lambda: cli_json("fit-kernel", "--demo")["loss"],
        pytest.approx(LEARNING["fit_kernel"]["losses"], rel=1e-10),
    ),
    (
        "seed003-least-squares-not-linear-programming",
        lambda: (
            cli_json("fit-kernel", "--demo")["least_squares"][0],
            "least squares (not linear programming)" in cli("fit-kernel", "--demo").stdout,
        ),
        (pytest.approx([1, -1], abs=1e-12), True),
    ),
    (
        "seed003-padding-(n-k+p+1)",
        lambda: list(
            last(
                "Conv2D", {"filters": 1, "kernel_size": 3, "padding": [[1, 1], [2, 0]]}, [6, 8, 1]
            ).output_shape
        ),
        [6 - 3 + 2 + 1, 8 - 3 + 2 + 1, 1],
    ),
    (
        "seed003-p=k-1-keeps-the-size-odd-k-split-evenly",
        lambda: [
            a["padding"] for a in cli_json("conv", "-i", "8x8", "-k", "3", "-p", "same")["axes"]
        ],
        [[1, 1], [1, 1]],
    ),
    (
        # even k: k/2 on one side, k/2 - 1 on the other; Keras puts the extra one at the end
        "seed003-even-k-split-(0,1)",
        lambda: cli_json("conv", "-i", "8x8", "-k", "2", "-p", "same")["axes"][0]["padding"],
        [0, 1],
    ),
    (
        "seed003-8x8-same-3x3-8x8",
        lambda: list(
            last(
                "Conv2D", {"filters": 1, "kernel_size": 3, "padding": "same"}, [8, 8, 1]
            ).output_shape
        ),
        [8, 8, 1],
    ),
    (
        # (n + p - k + s)/s needs a floor: (8 + 0 - 3 + 3)/3 = 2.67 -> 2, (8 - 5 + 4)/4 = 1.75 -> 1
        "seed003-stride-formula-needs-floor-(3,5)-(3,4)-2x1",
        lambda: list(
            last(
                "Conv2D", {"filters": 1, "kernel_size": [3, 5], "strides": [3, 4]}, [8, 8, 1]
            ).output_shape
        ),
        [2, 1, 1],
    ),
    (
        "seed003-same-stride-2-4x4",
        lambda: list(
            last(
                "Conv2D",
                {"filters": 1, "kernel_size": 3, "padding": "same", "strides": 2},
                [8, 8, 1],
            ).output_shape
        ),
        [4, 4, 1],
    ),
    (
        "seed003-1x1-conv-is-a-dense-layer",
        lambda: (
            last("Conv2D", {"filters": 5, "kernel_size": 1}, [4, 4, 3]).params,
            last("Conv2D", {"filters": 5, "kernel_size": 1}, [4, 4, 3]).macs,
        ),
        (
            last("Dense", {"units": 5}, [4, 4, 3]).params,
            last("Dense", {"units": 5}, [4, 4, 3]).macs,
        ),
    ),
    # --- seed 004: spatially and depthwise separable convolutions ------------------------------
    (
        "seed004-3x3-to-3x1+1x3-9-to-6",
        lambda: (
            cli_json("kernel", "box")["multiplications_before"],
            cli_json("kernel", "box")["multiplications_after"],
        ),
        (9, 6),
    ),
    (
        "seed004-sobel-separable",
        lambda: (cli_json("kernel", "sobel")["column"], cli_json("kernel", "sobel")["row"]),
        ([1, 2, 1], [1, 0, -1]),
    ),
    (
        "seed004-not-every-kernel-separates",
        lambda: cli_json("kernel", "laplacian")["separable"],
        False,
    ),
    (
        "seed004-12x12x3-5x5-8x8x1",
        lambda: list(last("Conv2D", {"filters": 1, "kernel_size": 5}, [12, 12, 3]).output_shape),
        [8, 8, 1],
    ),
    (
        "seed004-5x5x3=75-mults-per-position",
        lambda: last("Conv2D", {"filters": 1, "kernel_size": 5}, [12, 12, 3]).macs // 64,
        75,
    ),
    (
        # the seed also writes 12x12x3 -(5x5x3x256)-> 12x12x256: it is 8x8x256 without padding
        "seed004-256-kernels-8x8x256",
        lambda: list(last("Conv2D", {"filters": 256, "kernel_size": 5}, [12, 12, 3]).output_shape),
        [8, 8, 256],
    ),
    (
        "seed004-standard-1,228,800",
        lambda: last("Conv2D", {"filters": 256, "kernel_size": 5}, [12, 12, 3]).macs,
        1_228_800,
    ),
    (
        # the depthwise bank is 5x5x1x3 (three 5x5x1 kernels), not 5x5x1x1
        "seed004-depthwise-8x8x3-bank-5x5x3x1",
        lambda: (
            list(last("DepthwiseConv2D", {"kernel_size": 5}, [12, 12, 3]).output_shape),
            last("DepthwiseConv2D", {"kernel_size": 5}, [12, 12, 3]).weights[0].shape,
        ),
        ([8, 8, 3], (5, 5, 3, 1)),
    ),
    (
        "seed004-depthwise-4,800",
        lambda: last("DepthwiseConv2D", {"kernel_size": 5}, [12, 12, 3]).macs,
        3 * 5 * 5 * 8 * 8,
    ),
    (
        "seed004-pointwise-1x1x3-8x8x1",
        lambda: list(last("Conv2D", {"filters": 1, "kernel_size": 1}, [8, 8, 3]).output_shape),
        [8, 8, 1],
    ),
    (
        "seed004-pointwise-49,152",
        lambda: last("Conv2D", {"filters": 256, "kernel_size": 1}, [8, 8, 3]).macs,
        256 * 3 * 8 * 8,
    ),
    (
        # the seed writes 52,952 once; 4,800 + 49,152 = 53,952
        "seed004-separable-53,952-not-52,952",
        lambda: last("SeparableConv2D", {"filters": 256, "kernel_size": 5}, [12, 12, 3]).macs,
        53_952,
    ),
    (
        # "more than twice as fast" understates it: 1,228,800 / 53,952 = 22.78
        "seed004-22.78x-fewer",
        lambda: round(
            1_228_800
            / last("SeparableConv2D", {"filters": 256, "kernel_size": 5}, [12, 12, 3]).macs,
            2,
        ),
        22.78,
    ),
    (
        "seed004-each-transformation-5x5x3x8x8=4,800",
        lambda: 5 * 5 * 3 * 8 * 8,
        last("Conv2D", {"filters": 1, "kernel_size": 5}, [12, 12, 3]).macs,
    ),
    (
        "seed004-depth-multiplier-2-8x8x6",
        lambda: list(
            last(
                "DepthwiseConv2D", {"kernel_size": 5, "depth_multiplier": 2}, [12, 12, 3]
            ).output_shape
        ),
        [8, 8, 6],
    ),
]


@pytest.mark.parametrize(
    ("actual", "expected"), [(a, e) for _, a, e in CASES], ids=[c[0] for c in CASES]
)
def test_seed_item(actual: Callable[[], Any], expected: Any) -> None:
    assert actual() == expected


def test_every_seed_is_covered() -> None:
    seeds = {c[0][:7] for c in CASES}
    assert seeds == {f"seed00{i}" for i in range(5)}
    assert len(CASES) == len({c[0] for c in CASES})
    assert len(seed_vgg16_params()) == 23  # every row of the seed's VGG16 table was read
