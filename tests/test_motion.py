"""coursekit.models.motion: frames with their change and the motion along their edges."""

import pytest
import torch

from coursekit.data import MovingShapes
from coursekit.models import (
    FrameAverageClassifier,
    LSTMVideoClassifier,
    ManualRNNVideoClassifier,
    TransformerVideoClassifier,
    add_motion,
    motion_channels,
)


def clips(classes, count=20):
    """count clips of a pair of MovingShapes classes -> (N, T, 3, 32, 32), labels (N,)."""
    data = MovingShapes(count, num_frames=8, frame_size=32, seed=3, classes=classes)
    return torch.stack([video for video, _ in data]), data.labels


def test_add_motion_keeps_the_frames_and_adds_their_scaled_change():
    videos = torch.rand(2, 5, 3, 16, 16)
    moved = add_motion(videos)
    assert moved.shape == (2, 5, motion_channels(3), 16, 16) == (2, 5, 8, 16, 16)
    assert torch.equal(moved[:, :, :3], videos)
    assert torch.allclose(moved[:, 1:, 3:6], 4 * (videos[:, 1:] - videos[:, :-1]))
    assert not moved[:, 0, 3:].any()  # the first frame has nothing before it


def test_a_still_clip_has_no_motion():
    still = torch.rand(1, 1, 1, 12, 12).expand(1, 6, 1, 12, 12)
    assert not add_motion(still)[:, :, 1:].any()


@pytest.mark.parametrize("classes, channel", [(["moves right", "moves left"], 0),
                                              (["moves down", "moves up"], 1)])
def test_the_motion_channels_point_the_way_the_shape_moves(classes, channel):
    videos, labels = clips(classes)
    flow = add_motion(videos)[:, :, 6 + channel].sum(dim=(1, 2, 3))  # (N,)
    assert ((flow > 0) == (labels == 0)).all()  # right / down: positive, left / up: negative


def test_the_motion_channels_turn_round_the_shape_the_way_it_turns():
    videos, labels = clips(["turns clockwise", "turns anticlockwise"])
    moved = add_motion(videos)
    change, flow_x, flow_y = moved[:, :, 3:6].abs().sum(2), moved[:, :, 6], moved[:, :, 7]
    coords = torch.arange(32) + 0.5
    rows, cols = coords.view(-1, 1), coords.view(1, -1)
    weight = change / change.sum(dim=(2, 3), keepdim=True).clamp_min(1e-6)  # (N, T, H, W)
    x0 = (weight * cols).sum(dim=(2, 3), keepdim=True)  # where the shape changes: its centre
    y0 = (weight * rows).sum(dim=(2, 3), keepdim=True)
    curl = ((cols - x0) * flow_y - (rows - y0) * flow_x).sum(dim=(1, 2, 3))  # (N,)
    assert ((curl > 0) == (labels == 0)).all()  # rows grow downwards: clockwise is > 0


@pytest.mark.parametrize("cls", [FrameAverageClassifier, ManualRNNVideoClassifier,
                                 LSTMVideoClassifier, TransformerVideoClassifier])
def test_a_classifier_with_motion_feeds_its_cnn_the_motion_channels(cls):
    torch.manual_seed(0)
    model = cls(num_classes=4, feat_dim=8, frame_size=(16, 16), in_channels=1,
                motion=True).eval()
    assert model.cnn.conv1.in_channels == motion_channels(1) == 4
    grey = torch.rand(2, 5, 1, 16, 16)
    with torch.no_grad():
        assert model(grey).shape == (2, 4) and model(grey[0]).shape == (1, 4)
        if hasattr(model, "forward_loop"):  # the frame-by-frame loop sees the same input
            assert torch.allclose(model.forward_loop(grey), model(grey), atol=1e-5)


def test_with_motion_even_the_frame_average_tells_a_clip_from_its_reverse():
    videos, _ = clips(["moves right", "moves left"], count=4)
    for motion, same in [(False, True), (True, False)]:
        torch.manual_seed(0)
        model = FrameAverageClassifier(num_classes=2, frame_size=(32, 32),
                                       motion=motion).eval()
        with torch.no_grad():
            forward, backward = model(videos), model(videos.flip(1))
        assert torch.allclose(forward, backward, atol=1e-5) == same
