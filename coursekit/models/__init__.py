"""The lecture's models: recurrent layers by hand, the frame encoder (CNN) and video classifiers.

Each submodule adds its public names below.
"""

from .attention import (
    MultiHeadSelfAttention,
    SelfAttention,
    TransformerVideoClassifier,
    attention,
    sinusoidal_positions,
)
from .classifiers import (
    CNN,
    FrameAverageClassifier,
    GRUVideoClassifier,
    LSTMVideoClassifier,
    ManualRNNVideoClassifier,
)
from .recurrent import ManualGRU, ManualLSTM, ManualRNN
