"""Self-attention by hand, and a transformer over the frames of a video.

Attention in three lines (``attention``): every query scores every key with a dot product,
a softmax over the keys turns the scores into weights that sum to 1, and the output is the
weighted average of the values. ``SelfAttention`` is one head (queries, keys and values are
three Linear maps of the same sequence); ``MultiHeadSelfAttention`` runs several heads side
by side and mixes their outputs with one more Linear. Both are checked against PyTorch:
``attention`` equals ``F.scaled_dot_product_attention`` and ``MultiHeadSelfAttention``
equals ``nn.MultiheadAttention`` once the weights are copied (``from_torch``).

``TransformerVideoClassifier`` is the CNN + RNN classifier with the RNN swapped for
``nn.TransformerEncoder``: the same CNN on every frame, a position code added to each
frame's features, a class token that reads all frames, and a Linear head.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import cast

import torch
from torch import nn

from .classifiers import VideoClassifier
from .cnn import is_count

__all__ = [
    "MultiHeadSelfAttention",
    "SelfAttention",
    "TransformerVideoClassifier",
    "attention",
    "sinusoidal_positions",
]


def attention(queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor):
    """Scaled dot-product attention: softmax(Q K^T / sqrt(d)) V.

    Args:
        queries: (..., T_q, d), one row per position that asks.
        keys: (..., T_k, d), one row per position that can be looked at.
        values: (..., T_k, d_v), what each of those positions hands over.

    Returns:
        outputs: (..., T_q, d_v), and weights: (..., T_q, T_k), each row summing to 1 over
        the keys: ``weights[..., i, j]`` is how much query i takes from position j.
    """
    scores = queries @ keys.transpose(-2, -1) / math.sqrt(queries.shape[-1])  # (..., T_q, T_k)
    weights = torch.softmax(scores, dim=-1)  # over the keys
    return weights @ values, weights


class SelfAttention(nn.Module):
    """One attention head: the sequence attends to itself through three Linear maps.

    Args:
        embed_dim: D, size of each input vector.
        head_dim: size of the queries, keys and values of this head.

    Shape:
        x: (B, T, D) -> outputs: (B, T, head_dim), weights: (B, T, T)
    """

    def __init__(self, embed_dim: int, head_dim: int):
        super().__init__()
        self.query = nn.Linear(embed_dim, head_dim)
        self.key = nn.Linear(embed_dim, head_dim)
        self.value = nn.Linear(embed_dim, head_dim)

    def forward(self, x: torch.Tensor):
        """x: (B, T, D) -> outputs: (B, T, head_dim), weights: (B, T, T)."""
        return attention(self.query(x), self.key(x), self.value(x))


class MultiHeadSelfAttention(nn.Module):
    """Several heads side by side, each on its own D / num_heads slice; one Linear mixes them.

    Computes what ``nn.MultiheadAttention(D, num_heads, batch_first=True)`` computes for
    ``mha(x, x, x)``; ``MultiHeadSelfAttention.from_torch(mha)`` copies its weights.

    Args:
        embed_dim: D, size of each input (and output) vector.
        num_heads: number of heads; must divide embed_dim.

    Shape:
        x: (B, T, D) -> outputs: (B, T, D), weights: (B, num_heads, T, T)
    """

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(
                f"embed_dim={embed_dim} cannot be split into num_heads={num_heads} equal heads; "
                "choose num_heads that divides embed_dim (e.g. 1, 2, 4)"
            )
        head_dim = embed_dim // num_heads
        self.heads = nn.ModuleList(SelfAttention(embed_dim, head_dim) for _ in range(num_heads))
        self.out = nn.Linear(embed_dim, embed_dim)

    def forward(self, x: torch.Tensor):
        """x: (B, T, D) -> outputs: (B, T, D), weights: (B, num_heads, T, T)."""
        results = [head(x) for head in self.heads]  # num_heads x ((B, T, head_dim), (B, T, T))
        outputs = torch.cat([out for out, _ in results], dim=-1)  # (B, T, D)
        weights = torch.stack([w for _, w in results], dim=1)  # (B, num_heads, T, T)
        return self.out(outputs), weights

    @classmethod
    def from_torch(cls, mha: nn.MultiheadAttention) -> MultiHeadSelfAttention:
        """A copy of ``mha``'s weights in this module's layout.

        PyTorch stacks the query, key and value maps of all heads in one matrix,
        ``in_proj_weight`` (3 * D, D): rows [0, D) are the queries, [D, 2D) the keys,
        [2D, 3D) the values, and head h owns rows [h * head_dim, (h + 1) * head_dim) of each.
        """
        if not mha._qkv_same_embed_dim or mha.in_proj_bias is None or mha.bias_k is not None:
            raise ValueError("from_torch copies an nn.MultiheadAttention built with the default "
                             "bias=True, add_bias_kv=False and no kdim / vdim")
        model = cls(mha.embed_dim, mha.num_heads)
        weight = mha.in_proj_weight.detach().chunk(3)  # query, key, value: (D, D) each
        bias = mha.in_proj_bias.detach().chunk(3)
        size = mha.head_dim
        with torch.no_grad():
            for h, head in enumerate(cast(Iterable[SelfAttention], model.heads)):
                rows = slice(h * size, (h + 1) * size)
                for i, linear in enumerate((head.query, head.key, head.value)):
                    linear.weight.copy_(weight[i][rows])
                    linear.bias.copy_(bias[i][rows])
            model.out.weight.copy_(mha.out_proj.weight)
            model.out.bias.copy_(mha.out_proj.bias)
        return model


def sinusoidal_positions(num_positions: int, dim: int) -> torch.Tensor:
    """The fixed position code of "Attention Is All You Need": sines and cosines of t.

    Column pair (2i, 2i + 1) holds sin and cos of t / 10000^(2i / dim): fast waves tell
    neighbouring frames apart, slow waves tell the start of a clip from its end.

    Returns:
        positions: (num_positions, dim) float32, values in [-1, 1].
    """
    t = torch.arange(num_positions, dtype=torch.float32).unsqueeze(1)  # (T, 1)
    rates = 10000 ** (-torch.arange(0, dim, 2, dtype=torch.float32) / dim)  # (ceil(dim / 2),)
    positions = torch.zeros(num_positions, dim)
    positions[:, 0::2] = torch.sin(t * rates)
    positions[:, 1::2] = torch.cos(t * rates[: dim // 2])
    return positions


class TransformerVideoClassifier(VideoClassifier):
    """The CNN on every frame, then a transformer encoder over the frames, then a Linear.

    1. ``cnn``: the lecture's frame encoder, (B * T, C, H, W) -> (B * T, D), one call.
    2. Positions: self-attention treats its input as a set, so the frame features alone do
       not say which frame came first. We add the fixed sinusoidal code of frame t
       (``sinusoidal_positions``) to frame t's features. We chose it over a learned table
       because it has nothing to learn: order is visible from the first training step,
       which matters on small data sets. ``positions=False`` leaves it out, and the model
       becomes order-blind like the frame baseline.
    3. A learned class token is put in front of the T frames; ``nn.TransformerEncoder``
       (batch_first) lets every token attend to every other; the class token's output
       summarises the clip, and ``final`` maps it to K logits.

    Args:
        num_classes: K.
        feat_dim: D, the CNN's feature size, also the transformer's width.
        frame_size: (H, W) of the frames, or one int for square frames.
        in_channels: C, colour channels of a frame.
        motion: the CNN also sees each frame's change (``VideoClassifier``'s ``motion``).
        num_layers: number of encoder layers.
        num_heads: attention heads per layer; must divide feat_dim.
        max_frames: the longest clip accepted (the length of the position table).
        positions: add the position code (True) or not (False).
        dropout: dropout inside the encoder layers (only while training).

    Shape:
        video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)

    There is no ``forward_loop``: every frame attends to every other frame at once.
    """

    position_code: torch.Tensor  # a buffer, registered in __init__

    def __init__(self, num_classes: int = 5, *, feat_dim: int = 128, frame_size=(220, 220),
                 in_channels: int = 3, motion: bool = False, num_layers: int = 2,
                 num_heads: int = 4, max_frames: int = 64, positions: bool = True,
                 dropout: float = 0.1):
        if feat_dim % num_heads:
            raise ValueError(
                f"feat_dim={feat_dim} cannot be split into num_heads={num_heads} equal heads; "
                "choose num_heads that divides feat_dim (e.g. 1, 2, 4)"
            )
        if not is_count(max_frames) or max_frames < 1:
            raise ValueError(f"max_frames must be a positive int, got max_frames={max_frames!r}")
        super().__init__(num_classes, feat_dim=feat_dim, frame_size=frame_size,
                         in_channels=in_channels, motion=motion)
        self.num_layers, self.num_heads, self.max_frames = num_layers, num_heads, max_frames
        self.positions, self.dropout = positions, dropout
        self.register_buffer("position_code", sinusoidal_positions(max_frames, feat_dim),
                             persistent=False)  # (max_frames, D), rebuilt, never learned
        self.class_token = nn.Parameter(0.02 * torch.randn(1, 1, feat_dim))
        layer = nn.TransformerEncoderLayer(feat_dim, num_heads, dim_feedforward=2 * feat_dim,
                                           dropout=dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(feat_dim),
                                             enable_nested_tensor=False)
        self.final = nn.Linear(feat_dim, num_classes)

    def tokens(self, features: torch.Tensor) -> torch.Tensor:
        """features: (B, T, D) -> tokens: (B, 1 + T, D), the class token then the frames."""
        batch, time, _ = features.shape
        if time > self.max_frames:
            raise ValueError(
                f"got a clip of {time} frames but this model takes at most "
                f"max_frames={self.max_frames}; sample fewer frames (load_video(..., "
                f"max_frames={self.max_frames}) or a larger step) or build the model with "
                f"max_frames={time}"
            )
        if self.positions:
            features = features + self.position_code[:time]
        return torch.cat([self.class_token.expand(batch, 1, -1), features], dim=1)

    def over_time(self, features: torch.Tensor) -> torch.Tensor:
        """features: (B, T, D) -> logits: (B, K), all frames at once."""
        encoded = self.encoder(self.tokens(features))  # (B, 1 + T, D)
        return self.final(encoded[:, 0])  # the class token's output

    @torch.no_grad()
    def attention_weights(self, video: torch.Tensor) -> torch.Tensor:
        """What each layer's heads attend to, for plotting (eval mode, no dropout).

        video: (T, C, H, W) or (B, T, C, H, W) -> weights: (B, num_layers, num_heads,
        1 + T, 1 + T); token 0 is the class token, token 1 + t is frame t, and
        ``weights[b, l, h, 0, 1:]`` is how much the class token reads each frame.
        """
        was_training = self.training
        self.eval()
        x = self.tokens(self.encode(video))
        maps = []
        for layer in self.encoder.layers:
            query = layer.norm1(x) if layer.norm_first else x  # what the layer's attention sees
            _, weights = layer.self_attn(query, query, query, need_weights=True,
                                         average_attn_weights=False)
            maps.append(weights)  # (B, num_heads, 1 + T, 1 + T)
            x = layer(x)
        self.train(was_training)
        return torch.stack(maps, dim=1)
