"""coursekit.models.attention: attention by hand equals PyTorch's; the video transformer."""

import re

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from coursekit.models import (
    MultiHeadSelfAttention,
    SelfAttention,
    TransformerVideoClassifier,
    attention,
    sinusoidal_positions,
)

SIZE = (24, 32)


def random(*shape, seed=1):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def build(**options):
    torch.manual_seed(0)
    options = dict(num_classes=5, feat_dim=16, frame_size=SIZE, num_layers=2, num_heads=4,
                   max_frames=12) | options
    return TransformerVideoClassifier(**options).eval()


def videos(batch=3, time=6):
    return random(batch, time, 3, *SIZE)


# --- attention by hand ----------------------------------------------------------------------


@pytest.mark.parametrize("shape_q, shape_kv", [((2, 5, 8), (2, 5, 8)),
                                               ((3, 2, 4, 6), (3, 2, 7, 6))])
def test_attention_equals_scaled_dot_product_attention(shape_q, shape_kv):
    queries, keys, values = random(*shape_q, seed=1), random(*shape_kv, seed=2), random(
        *shape_kv, seed=3)
    outputs, weights = attention(queries, keys, values)
    torch.testing.assert_close(outputs, F.scaled_dot_product_attention(queries, keys, values))
    assert weights.shape == (*shape_q[:-1], shape_kv[-2])


def test_attention_weights_sum_to_one_over_the_keys():
    _, weights = attention(random(2, 5, 8), random(2, 7, 8, seed=2), random(2, 7, 3, seed=3))
    assert weights.shape == (2, 5, 7)
    assert (weights >= 0).all()
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(2, 5))


def test_one_head_shapes():
    torch.manual_seed(0)
    outputs, weights = SelfAttention(embed_dim=12, head_dim=5)(random(2, 7, 12))
    assert outputs.shape == (2, 7, 5)
    assert weights.shape == (2, 7, 7)
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(2, 7))


@pytest.mark.parametrize("num_heads", [1, 2, 4])
def test_multi_head_equals_nn_multihead_attention(num_heads):
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(16, num_heads, batch_first=True)
    with torch.no_grad():  # PyTorch starts the biases at 0; make them matter
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    ours = MultiHeadSelfAttention.from_torch(mha)
    x = random(3, 7, 16)
    outputs, weights = ours(x)
    expected, expected_weights = mha(x, x, x, average_attn_weights=False)
    torch.testing.assert_close(outputs, expected)
    torch.testing.assert_close(weights, expected_weights)
    assert weights.shape == (3, num_heads, 7, 7)
    _, averaged = mha(x, x, x)  # PyTorch's default averages the heads
    torch.testing.assert_close(weights.mean(dim=1), averaged)


def test_multi_head_starts_different_from_an_unrelated_nn_multihead_attention():
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = random(2, 5, 8)
    ours_outputs, _ = MultiHeadSelfAttention(8, 2)(x)  # fresh weights, nothing copied
    assert not torch.allclose(ours_outputs, mha(x, x, x)[0])


def test_heads_must_divide_the_width():
    with pytest.raises(ValueError, match="num_heads=3"):
        MultiHeadSelfAttention(16, 3)
    with pytest.raises(ValueError, match="num_heads=3"):
        TransformerVideoClassifier(5, feat_dim=16, frame_size=SIZE, num_heads=3)


def test_from_torch_refuses_what_it_cannot_copy():
    with pytest.raises(ValueError, match="from_torch"):
        MultiHeadSelfAttention.from_torch(nn.MultiheadAttention(8, 2, kdim=4, vdim=4))


def test_sinusoidal_positions():
    code = sinusoidal_positions(10, 6)
    assert code.shape == (10, 6)
    torch.testing.assert_close(code[0], torch.tensor([0.0, 1, 0, 1, 0, 1]))  # sin 0, cos 0
    torch.testing.assert_close(code[:, 0], torch.sin(torch.arange(10.0)))  # the fastest wave
    assert len({tuple(row.tolist()) for row in code}) == 10  # every frame gets its own code
    assert sinusoidal_positions(4, 5).shape == (4, 5)  # an odd width works too


# --- the video transformer ----------------------------------------------------------------


def test_one_video_and_a_batch():
    model = build()
    assert model(videos()[0]).shape == (1, 5)
    assert model(videos()).shape == (3, 5)
    torch.testing.assert_close(model(videos())[1:2], model(videos()[1]))
    assert isinstance(model.cnn, nn.Module) and isinstance(model.final, nn.Linear)


def test_config_rebuilds_the_model():
    model = build()
    assert model.config == dict(num_classes=5, feat_dim=16, frame_size=SIZE, in_channels=3,
                                motion=False, num_layers=2, num_heads=4, max_frames=12,
                                positions=True, dropout=0.1)
    copy = TransformerVideoClassifier(**model.config)
    copy.load_state_dict(model.state_dict())
    torch.testing.assert_close(copy.eval()(videos()), model(videos()))


def test_without_positions_the_order_of_frames_is_invisible():
    model, clips = build(positions=False), videos()
    logits = model(clips)
    torch.testing.assert_close(model(clips.flip(1)), logits)  # reversed
    torch.testing.assert_close(model(clips[:, [3, 0, 5, 1, 4, 2]]), logits)  # shuffled


def test_with_positions_the_order_of_frames_matters():
    model, clips = build(positions=True), videos()
    difference = (model(clips.flip(1)) - model(clips)).abs().amax(dim=1)
    assert (difference > 1e-3).all()


def test_positions_switch_changes_the_logits_and_nothing_else():
    with_positions, without = build(positions=True), build(positions=False)
    assert with_positions.state_dict().keys() == without.state_dict().keys()
    without.load_state_dict(with_positions.state_dict())
    assert not torch.allclose(with_positions(videos()), without(videos()))


def test_attention_weights_over_frames():
    model, clips = build(), videos(batch=2, time=5)
    weights = model.attention_weights(clips)
    assert weights.shape == (2, 2, 4, 6, 6)  # (B, layers, heads, 1 + T, 1 + T)
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(2, 2, 4, 6))
    model.train()
    model.attention_weights(clips)
    assert model.training  # the mode is restored


def test_attention_weights_are_the_ones_the_encoder_uses():
    model, clips = build(num_layers=1, num_heads=2), videos(batch=2, time=5)
    tokens = model.tokens(model.encode(clips))
    layer = model.encoder.layers[0]
    ours = MultiHeadSelfAttention.from_torch(layer.self_attn)
    _, expected = ours(layer.norm1(tokens))
    torch.testing.assert_close(model.attention_weights(clips)[:, 0], expected)


def test_learns_a_tiny_task_where_order_matters():
    torch.manual_seed(0)
    model = TransformerVideoClassifier(2, feat_dim=16, frame_size=(16, 16), num_layers=1,
                                       num_heads=2, max_frames=8, dropout=0.0)
    ramp = torch.linspace(0, 1, 6).view(1, 6, 1, 1, 1).expand(8, 6, 3, 16, 16)
    noise = 0.05 * random(8, 6, 3, 16, 16)
    brightening = ramp + noise
    clips = torch.cat([brightening, brightening.flip(1)])  # the same clips, played backwards
    labels = torch.tensor([0] * 8 + [1] * 8)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(40):
        loss = F.cross_entropy(model(clips), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert (model.eval()(clips).argmax(dim=1) == labels).all()


def test_errors():
    model = build()
    with pytest.raises(ValueError, match="max_frames=12"):
        model(videos(time=13))
    with pytest.raises(ValueError, match=r"\(T, C, H, W\)"):
        model(torch.rand(3, *SIZE))
    with pytest.raises(ValueError, match="channels-last"):
        model(torch.rand(4, *SIZE, 3))
    with pytest.raises(ValueError, match="frame_size"):
        model(torch.rand(4, 3, 16, 16))
    with pytest.raises(ValueError, match="max_frames"):
        TransformerVideoClassifier(5, feat_dim=16, frame_size=SIZE, max_frames=0)
    with pytest.raises(ValueError, match="max_frames=True"):
        TransformerVideoClassifier(5, feat_dim=16, frame_size=SIZE, max_frames=True)
    assert not hasattr(model, "forward_loop")  # every frame attends to all the others at once


@pytest.mark.parametrize("shape, empty", [((0, 3, *SIZE), "T = 0"), ((2, 0, 3, *SIZE), "T = 0"),
                                          ((0, 6, 3, *SIZE), "B = 0")])
def test_no_clips_or_no_frames_is_a_clear_error(shape, empty):
    model, message = build(), re.escape(f"shape {shape} ({empty})") + ".*nothing to classify"
    with pytest.raises(ValueError, match=message):
        model(torch.rand(shape))
    with pytest.raises(ValueError, match=message):
        model.attention_weights(torch.rand(shape))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16])
def test_other_float_dtypes_are_converted_to_the_models(dtype):
    model, clips = build(), videos()
    logits = model(clips.to(dtype))
    assert logits.dtype == torch.float32
    torch.testing.assert_close(logits, model(clips.to(dtype).float()))
    assert model.attention_weights(clips.to(dtype)).dtype == torch.float32
