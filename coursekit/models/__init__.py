"""The lecture's models: recurrent layers by hand, the frame encoder (CNN) and video classifiers.

    cnn          CNN, the frame encoder; as_frame_size, is_count; check_videos
    recurrent    ManualRNN, ManualLSTM, ManualGRU: by hand, proven equal to PyTorch's layers
    motion       add_motion: each frame with its change since the previous frame
    classifiers  VideoClassifier, RecurrentVideoClassifier and the lecture's classifiers
    attention    attention by hand, and TransformerVideoClassifier

Import everything from here: ``from coursekit.models import LSTMVideoClassifier``.
"""

# Names for sizes (one rule for the whole package):
# - Video classifiers use the lecture's words: ``feat_dim`` (D, one frame's feature vector)
#   and ``hidden_dim`` (the recurrent memory); every classifier is built as
#   Cls(num_classes=5, *, feat_dim=128, hidden_dim=64, frame_size=(220, 220), in_channels=3,
#       motion=False, ...)
# - Layers that mirror a PyTorch layer use PyTorch's words, so the two read alike:
#   ``input_size`` / ``hidden_size`` (ManualLSTM, like nn.LSTM), ``embed_dim``
#   (MultiHeadSelfAttention, like nn.MultiheadAttention).
# - Dimension letters in shapes: B batch, T time, C channels, H, W height and width,
#   D feature size, K classes.

from .attention import (
    MultiHeadSelfAttention,
    SelfAttention,
    TransformerVideoClassifier,
    attention,
    sinusoidal_positions,
)
from .classifiers import (
    FrameAverageClassifier,
    GRUVideoClassifier,
    LSTMVideoClassifier,
    ManualRNNVideoClassifier,
    RecurrentVideoClassifier,
    VideoClassifier,
)
from .cnn import (
    CNN,
    CONV_LAYERS,
    Rebuildable,
    as_frame_size,
    check_videos,
    conv_output_size,
    is_count,
)
from .motion import add_motion, motion_channels
from .recurrent import ManualGRU, ManualLSTM, ManualRNN
