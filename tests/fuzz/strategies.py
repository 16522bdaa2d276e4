"""Hypothesis strategies for specs: plausible layer stacks (mostly valid, some not) and
hostile mutations of valid spec text."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st

ACTIVATIONS = st.sampled_from([None, "relu", "linear", "sigmoid", "tanh", "softmax", "gelu"])
PADDING = st.sampled_from(["valid", "same"])
SMALL = st.integers(1, 4)


def _conv(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"filters": SMALL, "kernel_size": st.integers(1, 3)},
        optional={
            "strides": st.integers(1, 2),
            "padding": PADDING,
            "dilation_rate": st.integers(1, 2),
            "use_bias": st.booleans(),
            "activation": ACTIVATIONS,
        },
    )


SINGLE: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "Conv2D": _conv("Conv2D"),
    "SeparableConv2D": _conv("SeparableConv2D"),
    "Conv2DTranspose": st.fixed_dictionaries(
        {"filters": SMALL, "kernel_size": st.integers(1, 3)},
        optional={"strides": st.integers(1, 2), "padding": PADDING},
    ),
    "DepthwiseConv2D": st.fixed_dictionaries(
        {"kernel_size": st.integers(1, 3)},
        optional={"depth_multiplier": st.integers(1, 2), "padding": PADDING},
    ),
    "MaxPooling2D": st.fixed_dictionaries(
        {"pool_size": st.integers(1, 2)},
        optional={"strides": st.integers(1, 2), "padding": PADDING},
    ),
    "AveragePooling2D": st.fixed_dictionaries(
        {"pool_size": st.integers(1, 2)}, optional={"padding": PADDING}
    ),
    "BatchNormalization": st.just({}),
    "ReLU": st.just({}),
    "ReLU6": st.just({}),
    "ELU": st.just({}),
    "Softmax": st.just({}),
    "ZeroPadding2D": st.fixed_dictionaries({"padding": st.integers(0, 2)}),
    "UpSampling2D": st.fixed_dictionaries({"size": st.integers(1, 2)}),
    "Cropping2D": st.fixed_dictionaries({"cropping": st.integers(0, 1)}),
    "GlobalAveragePooling2D": st.just({}),
    "Flatten": st.just({}),
    "Dense": st.fixed_dictionaries({"units": SMALL}, optional={"activation": ACTIVATIONS}),
    "LayerNormalization": st.just({}),
}
MERGES = ["Add", "Concatenate", "Multiply", "Maximum", "Average"]


@st.composite
def spec_documents(draw: st.DrawFn, max_layers: int = 6) -> dict[str, Any]:
    """A spec as a Python document: an input, a few layers, sometimes a merge of two earlier
    layers, sometimes expectations and budgets."""
    cf = draw(st.booleans())
    h, w, c = draw(st.integers(1, 8)), draw(st.integers(1, 8)), draw(SMALL)
    doc: dict[str, Any] = {
        "name": draw(st.text("abcxyz_", min_size=1, max_size=6)),
        "input": [c, h, w] if cf else [h, w, c],
    }
    if cf:
        doc["data_format"] = "channels_first"
    names = ["input_1"]
    layers = []
    for i in range(draw(st.integers(1, max_layers))):
        name = f"l{i}"
        if len(names) > 1 and draw(st.integers(0, 5)) == 0:
            kind = draw(st.sampled_from(MERGES))
            a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
            args: dict[str, Any] = {"inputs": [a, b]}
        else:
            kind = draw(st.sampled_from(sorted(SINGLE)))
            args = dict(draw(SINGLE[kind]))
        args["name"] = name
        layers.append({kind: args})
        names.append(name)
    doc["layers"] = layers
    if draw(st.booleans()):
        doc["expect"] = {"params": draw(st.integers(0, 200))}
    if draw(st.booleans()):
        doc["budget"] = {"max_macs": draw(st.sampled_from(["1k", "10M", 5, "2KiB"]))}
    return doc


def spec_texts(max_layers: int = 6) -> st.SearchStrategy[str]:
    return spec_documents(max_layers).map(lambda d: yaml.safe_dump(d, sort_keys=False))


# what an attacker types: YAML syntax, tags, aliases, merges, control characters, huge numbers
TOKENS = [
    "&a ",
    "*a",
    "<<: *a",
    "<<: ",
    "!!python/object/apply:os.system ['x']",
    "!foo ",
    "!!int ",
    "!!binary ",
    "!!set ",
    "? ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\t",
    "---\n",
    "...\n",
    "#",
    "'",
    '"',
    "\\n",
    "\\e",
    "\\x00",
    "\x85",
    "\u202e",
    "\u2028",
    "9" * 120,
    "0x",
    "0b",
    "1:2:3",
    ".nan",
    "-.inf",
    "~",
    "null",
    "yes",
    "=",
    "%YAML 1.1\n",
    "inputs: [",
    "name: ",
    "layers:\n",
    "expect:\n  ",
    "budget: {",
    "Conv2D",
    "Add",
    "kernel_size: 0",
    "filters: -1",
    "strides: [1, 0]",
    "input: [0]",
]


@st.composite
def mutated_texts(draw: st.DrawFn) -> str:
    """A valid spec's text with a few hostile edits."""
    text = draw(spec_texts(4))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.integers(0, 3))
        if edit == 0:
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif edit == 1:
            text = text[:at] + text[at + draw(st.integers(1, 10)) :]
        elif edit == 2:
            text = text[:at] + draw(st.text(max_size=5)) + text[at:]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(i, lines[i])
                text = "".join(lines)
    return text
