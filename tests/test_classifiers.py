"""coursekit.models: the CNN and video classifiers, batched and looped; their contracts."""

import copy
import inspect
import re

import numpy as np
import pytest
import torch

from coursekit.models import (
    CNN,
    FrameAverageClassifier,
    GRUVideoClassifier,
    LSTMVideoClassifier,
    ManualRNNVideoClassifier,
    RecurrentVideoClassifier,
    TransformerVideoClassifier,
    VideoClassifier,
    as_frame_size,
    conv_output_size,
    is_count,
)

SIZE = (24, 32)
CLASSIFIERS = [FrameAverageClassifier, ManualRNNVideoClassifier, LSTMVideoClassifier,
               GRUVideoClassifier]
RECURRENT = CLASSIFIERS[1:]
ALL_CLASSIFIERS = [*CLASSIFIERS, TransformerVideoClassifier]


def build(cls, **options):
    torch.manual_seed(0)
    return cls(num_classes=5, frame_size=SIZE, **options)


def videos(batch=3, time=6):
    return torch.rand(batch, time, 3, *SIZE, generator=torch.Generator().manual_seed(1))


def test_the_lectures_sizes():
    cnn = CNN()
    assert cnn.flat_size == 50176 == cnn.fc.in_features
    assert cnn(torch.rand(1, 3, 220, 220)).shape == (1, 128)
    assert cnn.config == dict(in_channels=3, feat_dim=128, frame_size=(220, 220))
    assert LSTMVideoClassifier()(torch.rand(4, 3, 220, 220)).shape == (1, 5)  # the defaults


@pytest.mark.parametrize("frame_size, expected", [((220, 220), (28, 28)), ((64, 64), (8, 8)),
                                                  ((65, 33), (9, 5)), ((1, 1), (1, 1))])
def test_flatten_size_follows_the_frame_size(frame_size, expected):
    assert conv_output_size(frame_size) == expected
    cnn = CNN(feat_dim=7, frame_size=frame_size)
    assert cnn.flat_size == 64 * expected[0] * expected[1]
    assert cnn(torch.rand(2, 3, *frame_size)).shape == (2, 7)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_one_video_and_a_batch(cls):
    model = build(cls)
    assert model(videos()[0]).shape == (1, 5)
    assert model(videos()).shape == (3, 5)


@pytest.mark.parametrize("cls", RECURRENT)
def test_batched_equals_the_lectures_frame_by_frame_loop(cls):
    model, clips = build(cls), videos()
    torch.testing.assert_close(model(clips), model.forward_loop(clips))
    torch.testing.assert_close(model(clips[1]), model.forward_loop(clips[1]))


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_channels_last_is_only_a_memory_layout(cls):
    model, clips, layouts = build(cls), videos(), []
    model.cnn.conv1.register_forward_hook(lambda module, args, out: layouts.append(
        args[0].is_contiguous(memory_format=torch.channels_last)))
    logits = model(clips)
    model.cnn.channels_last = False
    torch.testing.assert_close(model(clips), logits, rtol=1e-4, atol=1e-5)
    weights_too = copy.deepcopy(model).to(memory_format=torch.channels_last)
    torch.testing.assert_close(weights_too(clips), logits, rtol=1e-4, atol=1e-5)
    assert layouts[:2] == [True, False]


def test_the_cnn_runs_once_on_all_frames():
    model, calls = build(LSTMVideoClassifier), []
    model.cnn.register_forward_hook(lambda module, args, out: calls.append(args[0].shape))
    model(videos(batch=3, time=6))
    assert calls == [torch.Size([18, 3, *SIZE])]


@pytest.mark.parametrize("pool", ["mean", "max"])
def test_the_baseline_cannot_see_order(pool):
    model, clips = build(FrameAverageClassifier, pool=pool), videos()
    shuffled = clips[:, torch.randperm(clips.shape[1])]
    torch.testing.assert_close(model(clips), model(clips.flip(1)))
    torch.testing.assert_close(model(clips), model(shuffled))


def test_the_baseline_sees_appearance():
    model, clips = build(FrameAverageClassifier), videos()
    assert not torch.allclose(model(clips), model(1 - clips))


@pytest.mark.parametrize("cls", RECURRENT)
def test_recurrent_classifiers_see_order(cls):
    model, clips = build(cls), videos()
    shuffled = clips[:, torch.tensor([3, 0, 5, 1, 4, 2])]
    assert (model(clips) - model(clips.flip(1))).abs().max() > 1e-4
    assert (model(clips) - model(shuffled)).abs().max() > 1e-4


def test_lstm_state_is_h_then_c():
    model = build(LSTMVideoClassifier)
    features = model.encode(videos())
    _, (h, c) = model.lstm(features)
    assert h.shape == c.shape == (1, 3, 64)  # (num_layers, B, hidden), batch_first or not
    torch.testing.assert_close(model.final(h[-1]), model(videos()))


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_gradients_reach_the_cnn(cls):
    model = build(cls)
    model(videos()).sum().backward()
    assert model.cnn.conv1.weight.grad.abs().sum() > 0
    assert model.final.weight.grad.abs().sum() > 0


def test_lecture_attribute_names():
    assert isinstance(build(LSTMVideoClassifier).lstm, torch.nn.LSTM)
    assert isinstance(build(GRUVideoClassifier).gru, torch.nn.GRU)
    model = build(ManualRNNVideoClassifier, hidden_dim=16)
    assert (model.Wx.out_features, model.Wh.in_features, model.final.in_features) == (16, 16, 16)


def test_channels_last_input_says_how_to_permute():
    model = build(LSTMVideoClassifier)
    with pytest.raises(ValueError, match=r"permute\(0, 3, 1, 2\)"):
        model(torch.rand(6, *SIZE, 3))
    with pytest.raises(ValueError, match=r"permute\(0, 1, 4, 2, 3\)"):
        model(torch.rand(2, 6, *SIZE, 3))


def test_wrong_channel_count_suggests_a_fix():
    model = build(LSTMVideoClassifier)
    with pytest.raises(ValueError, match=r"expected 3 channels.*got 1.*repeat_interleave\(3"):
        model(torch.rand(6, 1, *SIZE))
    with pytest.raises(ValueError, match=r"got 4.*alpha"):
        model(torch.rand(2, 6, 4, *SIZE))
    grey = torch.rand(6, 1, *SIZE)
    assert model(grey.repeat_interleave(3, dim=-3)).shape == (1, 5)  # the suggested fix works


def test_wrong_frame_size_names_both_sizes():
    with pytest.raises(ValueError, match=r"frames are 64 x 64.*frame_size=\(24, 32\)"):
        build(FrameAverageClassifier)(torch.rand(6, 3, 64, 64))


def test_integer_pixels_say_how_to_convert():
    with pytest.raises(ValueError, match=r"torch.uint8.*video.float\(\) / 255"):
        build(LSTMVideoClassifier)(torch.zeros(6, 3, *SIZE, dtype=torch.uint8))


@pytest.mark.parametrize("frame_size", [0, -3, 3.5, (0, 32), (24, 32, 3), "24", True, (24.5, 32),
                                        None])
def test_bad_frame_size_argument(frame_size):
    message = f"frame_size must be two positive ints.*got frame_size={re.escape(repr(frame_size))}"
    with pytest.raises(ValueError, match=message):
        CNN(frame_size=frame_size)
    with pytest.raises(ValueError, match=message):
        LSTMVideoClassifier(frame_size=frame_size)


@pytest.mark.parametrize("frame_size", [24, [24, 32], (np.int64(24), 32), torch.Size([24, 32])])
def test_good_frame_size_arguments(frame_size):
    size = (24, 24) if frame_size == 24 else (24, 32)
    assert CNN(frame_size=frame_size).frame_size == size
    assert type(CNN(frame_size=frame_size).frame_size[0]) is int


def test_as_frame_size_names_its_argument_and_is_count_refuses_bools():
    assert as_frame_size(np.int64(7)) == (7, 7) and is_count(np.int32(2)) and is_count(-1)
    assert not any(is_count(value) for value in (True, 2.0, "2", None))
    with pytest.raises(ValueError, match=r"^size must be two positive ints.*got size=2.5"):
        as_frame_size(2.5, name="size")


# Nothing to classify: (T, C, H, W) with T = 0, (B, T, C, H, W) with T = 0, and with B = 0.
EMPTY = [((0, 3, *SIZE), "T = 0"), ((2, 0, 3, *SIZE), "T = 0"), ((0, 6, 3, *SIZE), "B = 0")]


@pytest.mark.parametrize("cls, loop", [(cls, False) for cls in CLASSIFIERS]
                         + [(cls, True) for cls in RECURRENT])
@pytest.mark.parametrize("shape, empty", EMPTY)
def test_no_clips_or_no_frames_is_a_clear_error(cls, loop, shape, empty):
    model = build(cls)
    run = model.forward_loop if loop else model
    with pytest.raises(ValueError, match=re.escape(f"shape {shape} ({empty})") + ".*nothing"):
        run(torch.rand(shape))


@pytest.mark.parametrize("cls", CLASSIFIERS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16])
def test_other_float_dtypes_are_converted_to_the_models(cls, dtype):
    model, clips = build(cls), videos().to(dtype)
    logits = model(clips)
    assert logits.dtype == torch.float32
    torch.testing.assert_close(logits, model(clips.float()))
    if isinstance(model, RecurrentVideoClassifier):
        torch.testing.assert_close(model.forward_loop(clips), logits)
    torch.testing.assert_close(model(clips[0]), logits[:1])


def test_a_float64_model_takes_float32_clips():
    model = build(GRUVideoClassifier).double()
    assert model(videos()).dtype == model.forward_loop(videos()).dtype == torch.float64


def test_the_cnn_converts_float64_frames_and_encodes_an_empty_batch():
    cnn, frames = CNN(feat_dim=7, frame_size=SIZE), videos()[0]  # (T, C, H, W): T frames
    torch.testing.assert_close(cnn(frames.double()), cnn(frames))
    assert cnn(frames[:0]).shape == (0, 7)  # as PyTorch's layers do; the classifiers refuse it


def test_the_cnn_checks_its_frames():
    cnn = CNN(frame_size=SIZE)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\).*frame.unsqueeze\(0\)"):
        cnn(torch.rand(3, *SIZE))
    with pytest.raises(ValueError, match=r"frames are 64 x 64.*frame_size=\(24, 32\)"):
        cnn(torch.rand(2, 3, 64, 64))
    with pytest.raises(ValueError, match=r"permute\(0, 3, 1, 2\)"):
        cnn(torch.rand(2, *SIZE, 3))


def test_wrong_rank():
    with pytest.raises(ValueError, match=r"\(T, C, H, W\) or a batch \(B, T, C, H, W\)"):
        build(GRUVideoClassifier)(torch.rand(3, *SIZE))


def test_bad_pool():
    with pytest.raises(ValueError, match="pool='median'"):
        FrameAverageClassifier(5, pool="median")


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_the_input_follows_the_parameters_device(cls):
    # "meta" tensors have shapes but no data: a stand-in for a GPU on a machine without one
    model = build(cls).to("meta")
    assert model(videos()).device.type == "meta"
    if isinstance(model, RecurrentVideoClassifier):
        assert model.forward_loop(videos()[0]).device.type == "meta"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_runs_on_the_gpu():
    model = build(LSTMVideoClassifier).cuda()
    assert model(videos()).device.type == "cuda"


# --- the contracts: one hierarchy, one constructor signature, one config --------------------


def test_each_kind_of_model_says_what_it_is():
    assert all(issubclass(cls, RecurrentVideoClassifier) for cls in RECURRENT)
    for cls in (FrameAverageClassifier, TransformerVideoClassifier):  # no memory, no loop
        assert issubclass(cls, VideoClassifier) and not issubclass(cls, RecurrentVideoClassifier)
        assert not hasattr(cls, "forward_loop")
    with pytest.raises(TypeError, match="abstract method over_time"):
        VideoClassifier()
    with pytest.raises(TypeError, match="abstract methods head, step"):
        RecurrentVideoClassifier()


KEYWORD = inspect.Parameter.KEYWORD_ONLY
EXTRAS = {
    FrameAverageClassifier: [("pool", "mean")],
    ManualRNNVideoClassifier: [], LSTMVideoClassifier: [], GRUVideoClassifier: [],
    TransformerVideoClassifier: [("num_layers", 2), ("num_heads", 4), ("max_frames", 64),
                                 ("positions", True), ("dropout", 0.1)],
}


@pytest.mark.parametrize("cls", ALL_CLASSIFIERS)
def test_one_constructor_signature(cls):
    hidden = [("hidden_dim", 64, KEYWORD)] if cls in RECURRENT else []
    expected = [("num_classes", 5, inspect.Parameter.POSITIONAL_OR_KEYWORD),
                ("feat_dim", 128, KEYWORD), *hidden, ("frame_size", (220, 220), KEYWORD),
                ("in_channels", 3, KEYWORD), ("motion", False, KEYWORD),
                *[(name, d, KEYWORD) for name, d in EXTRAS[cls]]]
    parameters = inspect.signature(cls).parameters.values()
    assert [(p.name, p.default, p.kind) for p in parameters] == expected
    assert [(p.name, p.default) for p in inspect.signature(CNN).parameters.values()] == [
        ("in_channels", 3), ("feat_dim", 128), ("frame_size", (220, 220))]


@pytest.mark.parametrize("cls", ALL_CLASSIFIERS)
def test_in_channels_reaches_the_cnn(cls):
    model, grey = build(cls, in_channels=1).eval(), videos()[:, :, :1]  # (B, T, 1, H, W)
    assert model.cnn.conv1.in_channels == 1
    assert model(grey).shape == (3, 5) and model(grey[0]).shape == (1, 5)
    with pytest.raises(ValueError, match="expected 1 channels.*got 3"):
        model(videos())


SMALL = dict(num_classes=3, feat_dim=8, frame_size=(16, 20), in_channels=1, motion=True)
GIVEN = {  # every loadable model, every argument different from its default
    CNN: dict(in_channels=1, feat_dim=8, frame_size=(16, 20)),
    FrameAverageClassifier: SMALL | dict(pool="max"),
    ManualRNNVideoClassifier: SMALL | dict(hidden_dim=6),
    LSTMVideoClassifier: SMALL | dict(hidden_dim=6),
    GRUVideoClassifier: SMALL | dict(hidden_dim=6),
    TransformerVideoClassifier: SMALL | dict(num_layers=1, num_heads=2, max_frames=10,
                                             positions=False, dropout=0.0),
}


def shapes(model):
    return {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}


@pytest.mark.parametrize("cls", GIVEN)
def test_config_holds_the_arguments_and_rebuilds_the_model(cls):
    model = cls(**GIVEN[cls])
    defaults = {name: p.default for name, p in inspect.signature(cls).parameters.items()}
    assert model.config == defaults | GIVEN[cls]
    assert {k: v for k, v in model.config.items() if v != defaults[k]} == GIVEN[cls]
    assert shapes(type(model)(**model.config)) == shapes(model)
    assert shapes(cls()) != shapes(model)  # the config is what made the shapes


def test_config_is_plain_data():
    model = FrameAverageClassifier(np.int64(3), feat_dim=np.int32(8), frame_size=[16, np.int64(20)])
    assert model.config == dict(num_classes=3, feat_dim=8, frame_size=(16, 20), in_channels=3,
                                motion=False, pool="mean")
    assert [type(v) for v in model.config.values()] == [int, int, tuple, int, bool, str]
    assert [type(side) for side in model.config["frame_size"]] == [int, int]
    assert type(build(TransformerVideoClassifier, dropout=np.float32(0.25)).config["dropout"]) \
        is float


class Forgetful(FrameAverageClassifier):  # a new argument, scale, that __init__ does not store
    def __init__(self, num_classes=5, *, frame_size=(220, 220), scale=2.0):
        super().__init__(num_classes, frame_size=frame_size)


def test_an_argument_not_stored_is_a_clear_error():
    model = Forgetful(frame_size=SIZE)
    message = r"Forgetful.__init__ takes the argument 'scale'.*self\.scale = scale"
    with pytest.raises(TypeError, match=message):  # not an empty config saved in silence
        getattr(model, "config", {})
    model.scale = 2.0
    assert model.config == dict(num_classes=5, frame_size=SIZE, scale=2.0)
