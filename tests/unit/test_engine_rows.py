"""The engine's rows (built positionally, with the facts of layers alike shared) against each
layer's own methods, field by field."""

from __future__ import annotations

import pytest

from convcalc.analysis import analyze, load_spec
from convcalc.shapes import to_canonical


@pytest.mark.parametrize(
    "name", ["resnet50", "mobilenet_v2_torchvision", "googlenet", "unet", "text_cnn", "xception"]
)
def test_every_field_is_what_the_layer_says(name: str) -> None:
    spec = load_spec(name)
    report = analyze(spec)
    cf = spec.channels_first
    assert len(report.rows) == len(spec.layers)
    for ls, r in zip(spec.layers, report.rows):
        layer = ls.layer
        assert (r.name, r.kind, r.inputs, r.loc, r.index) == (
            ls.name,
            ls.kind,
            tuple(ls.inputs),
            ls.loc,
            ls.index,
        )
        assert (r.channels_first, r.is_input, r.blocks, r.shares, r.group) == (
            cf,
            ls.is_input,
            ls.blocks if not ls.is_input else (),
            ls.shares,
            ls.group if not ls.is_input else (),
        )
        if ls.is_input:
            assert r.shape == to_canonical(layer.shape, cf)  # type: ignore[attr-defined]
            continue
        ins = list(r.in_shapes)
        pre = layer.output_shape(ins)
        weights = () if ls.shares else tuple(layer.weights(ins))
        trainable = sum(w.size for w in weights if w.trainable and ls.trainable)
        grad_in, grad_w = layer.backward_macs(ins, pre)
        assert r.shape == layer.result_shape(ins, pre)
        assert (r.weights, r.params, r.trainable_params, r.macs) == (
            weights,
            sum(w.size for w in weights),
            trainable,
            layer.macs(ins, pre),
        )
        assert r.backward[1] == (grad_w if trainable else 0)
        assert r.backward[0] in (0, grad_in)
        torch = layer.torch_module(ins)
        assert r.torch == (torch._replace(cls="") if ls.functional else torch)
        assert (r.torch_layout, r.incomplete, r.operator, r.parts, r.fused) == (
            cf or layer.torch_spelling,
            layer.not_analysable(),
            layer.operator,
            layer.parts(ins, pre),
            layer.fused_module(),
        )
        assert (r.torch_buffers, r.torch_spelled, r.keeps, r.kept_extra_bytes) == (
            layer.torch_buffers,
            layer.torch_spelling,
            layer.keeps,
            layer.kept_extra_bytes(ins, pre),
        )


def test_without_fields_every_other_field_is_the_same() -> None:
    from convcalc.analysis import analyze, load_spec

    spec = load_spec("resnet50")
    full, plain = analyze(spec), analyze(spec, fields=False)
    assert plain.has_fields is False and all(r.field is None for r in plain.rows)
    assert [r._replace(field=None) for r in full.rows] == list(plain.rows)
    assert full.field_of(full.outputs[-1]).size  # the field is there when asked for
