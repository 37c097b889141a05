"""summary's FLOPs per sample and activation bytes kept for backward."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.demo import build_founding_model
from glassnet.diagnostics.costs import format_bytes, format_count, layer_costs


def test_dense_layers_count_two_flops_per_weight_plus_bias_and_activation():
    model = gn.Model([gn.Dense(128, activation="relu", input_shape=(64,)), gn.Dense(10)])
    costs = layer_costs(model)
    assert costs[0].flops == (2 * 64 + 1 + 1) * 128  # product, bias, ReLU
    assert costs[1].flops == (2 * 128 + 1) * 10


def test_activation_bytes_are_the_arrays_saved_for_backward_at_the_batch_size():
    costs = layer_costs(build_founding_model(), batch_size=5000)
    by_name = {c.name: c for c in costs}
    assert (
        by_name["linear_1"].activation_bytes == 5000 * 2 * 4
    )  # its float32 input (not its weight)
    assert by_name["relu_1"].activation_bytes == 5000 * 5 * 1  # relu keeps a boolean mask
    assert by_name["linear_2"].activation_bytes == 5000 * 5 * 4
    assert by_name["linear_1"].parameters == 15


def test_summary_prints_flops_and_activations_with_totals():
    text = build_founding_model().summary(print_fn=lambda _: None, batch_size=100)
    assert "FLOPs/sample" in text and "Activations @100" in text
    assert "Forward FLOPs per sample: 60" in text  # (2*2+1)*5 + 5 + (2*5+1)*2 + 2 + (2*2+1)*1 + 1
    assert "linear_1 (Linear)    (None, 5)     15       25" in text
    with pytest.raises(ValueError, match="batch_size"):
        build_founding_model().summary(batch_size=0)


def test_a_layer_may_declare_its_own_flops():
    class Scaled(gn.nn.Module):
        traceable = True

        def forward(self, x):
            return x * 2.0

        def flops(self, input_shape):
            return 7 * int(np.prod(input_shape))

    model = gn.Model([gn.Linear(3, 4), Scaled()])
    assert layer_costs(model)[1].flops == 28


def test_normalization_and_embedding_layers_are_counted_without_special_cases():
    model = gn.Model([gn.Dense(8, input_shape=(4,)), gn.nn.LayerNorm(8), gn.nn.BatchNorm1d(8)])
    costs = layer_costs(model, batch_size=10)
    assert all(c.flops > 0 for c in costs) and costs[1].activation_bytes > 0


def test_summary_without_a_known_input_shape_shows_question_marks():
    model = gn.Model([gn.Dense(4), gn.ReLU()])
    assert layer_costs(model) is None
    assert "?" in model.summary(print_fn=lambda _: None)
    assert "<pre>" in build_founding_model()._repr_html_()


def test_formatting():
    assert format_count(16640) == "16.6k" and format_count(12) == "12"
    assert format_bytes(2048) == "2.0 KiB" and format_bytes(10) == "10 B"


def test_conv_recurrent_and_attention_ops_count_their_products() -> None:
    from glassnet.ops.attention import ScaledDotProductAttention
    from glassnet.ops.conv import Conv2d, ConvTranspose2d

    # conv2d: 3 * 3 * 3 kernel terms (a multiply and an add each) and a bias per output element
    assert (
        Conv2d().flops([(2, 3, 8, 8), (4, 3, 3, 3), (4,)], (2, 4, 8, 8))
        == (2 * 27 + 1) * 2 * 4 * 8 * 8
    )
    # conv_transpose2d: 100 input elements, each onto 2 * 3 * 3 outputs
    assert ConvTranspose2d().flops([(1, 4, 5, 5), (4, 2, 3, 3)], (1, 2, 7, 7)) == 2 * 100 * 18
    # attention: 2 * 5 queries x 7 keys, 2 E + 2 Ev + 5 each
    attention = ScaledDotProductAttention(scale=1.0)
    assert attention.flops([(2, 5, 8), (2, 7, 8), (2, 7, 6)], (2, 5, 6)) == 2 * 5 * 7 * (
        16 + 12 + 5
    )
    # an LSTM layer: at least its two products over 4 gates at each of 10 steps
    model = gn.Model([gn.LSTM(16)])
    model.build((None, 10, 4))
    assert layer_costs(model, 1)[0].flops >= 2 * (4 + 16) * 4 * 16 * 10
