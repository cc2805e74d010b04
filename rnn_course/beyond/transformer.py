"""A small causal (decoder-only) Transformer, run on a whole sequence or one sample at a time.

Shapes: ``x`` is ``(batch, time, input_size)``; one new sample ``x_t`` is ``(batch, input_size)``.

Causal self-attention (Vaswani et al. 2017) lets position t read every position s <= t:

    q_t, k_s, v_s = W_q x_t, W_k x_s, W_v x_s,   y_t = sum_{s<=t} softmax_s(q_t·k_s / √d_head) v_s

on ``n_heads`` heads of size d_head = d_model / n_heads, written out here (no fused kernel) so
the arithmetic is visible. ``forward`` computes all positions at once under a causal mask, as
in training. ``step`` processes one new sample: it computes that sample's key and value, appends
them to a :class:`KVCache`, and attends over everything cached (``extend`` does the same for a
block of new samples at once). Nothing is recomputed, but the
cache grows by 2 · n_layers · d_model numbers per sample, and each step reads all of it.

Blocks are pre-norm (x + attention(LN(x)), then x + MLP(LN(x))); positions are encoded with the
sinusoids of Vaswani et al., computed for any position, so a stream can run as long as memory lasts.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..validation import expect_shape


def sinusoidal_position(positions: torch.Tensor, d_model: int) -> torch.Tensor:
    """Vaswani et al.'s encoding: ``positions (T,)`` -> ``(T, d_model)``, sin on even, cos on odd."""
    if d_model % 2:
        raise ValueError(f"d_model must be even for sinusoidal positions, got {d_model}")
    # float64 keeps the phases exact at large positions (MPS has no float64: float32 there)
    dtype = torch.float32 if positions.device.type == "mps" else torch.float64
    freq = torch.exp(torch.arange(0, d_model, 2, device=positions.device, dtype=dtype)
                     * (-math.log(10000.0) / d_model))
    angle = positions.to(dtype)[:, None] * freq
    return torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(-2)


class _LayerCache:
    """Keys and values of one attention layer, ``(batch, heads, capacity, d_head)``, grown by doubling."""

    def __init__(self) -> None:
        self.k: torch.Tensor | None = None
        self.v: torch.Tensor | None = None
        self.length = 0

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Add new positions (``k``, ``v``: ``(batch, heads, new, d_head)``); return all cached so far."""
        needed = self.length + k.shape[2]
        if self.k is None or needed > self.k.shape[2]:
            # Doubling the capacity makes each new position cost O(1) copies on average.
            capacity = max(16, needed, 2 * (0 if self.k is None else self.k.shape[2]))
            grown_k = k.new_empty(k.shape[0], k.shape[1], capacity, k.shape[3])
            grown_v = torch.empty_like(grown_k)
            if self.k is not None:
                grown_k[:, :, :self.length] = self.k[:, :, :self.length]
                grown_v[:, :, :self.length] = self.v[:, :, :self.length]
            self.k, self.v = grown_k, grown_v
        self.k[:, :, self.length:needed] = k
        self.v[:, :, self.length:needed] = v
        self.length = needed
        return self.k[:, :, :needed], self.v[:, :, :needed]


class KVCache:
    """The key-value cache of a whole model: one :class:`_LayerCache` per layer."""

    def __init__(self, n_layers: int) -> None:
        self.layers = [_LayerCache() for _ in range(n_layers)]

    @property
    def length(self) -> int:
        """Number of positions cached (samples seen)."""
        return self.layers[0].length

    @property
    def nbytes(self) -> int:
        """Bytes of the keys and values cached so far (2 · layers · length · d_model numbers)."""
        return sum(2 * c.length * c.k[:, :, 0].numel() * c.k.element_size() for c in self.layers if c.k is not None)

    @property
    def allocated_bytes(self) -> int:
        """Bytes reserved by the buffers (up to twice :attr:`nbytes`, because capacity doubles)."""
        return sum(c.k.nbytes + c.v.nbytes for c in self.layers if c.k is not None)


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention: ``(batch, time, d_model)`` -> same shape."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be a multiple of n_heads ({n_heads})")
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)  # W_q, W_k, W_v stacked
        self.out = nn.Linear(d_model, d_model)

    def _split(self, x: torch.Tensor) -> list[torch.Tensor]:
        B, T, _ = x.shape  # -> q, k, v, each (batch, heads, time, d_head)
        return list(self.qkv(x).view(B, T, 3, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4))

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # (batch, heads, T_q, T_k)
        if mask is not None:
            scores = scores.masked_fill(mask, float("-inf"))
        y = torch.softmax(scores, dim=-1) @ v  # (batch, heads, T_q, d_head)
        B, _, T, _ = y.shape
        return self.out(y.transpose(1, 2).reshape(B, T, self.n_heads * self.d_head))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self._split(x)
        T = x.shape[1]
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)  # True where s > t
        return self._attend(q, k, v, future)

    def extend(self, x: torch.Tensor, cache: _LayerCache) -> torch.Tensor:
        """New positions ``x (batch, new, d_model)`` after those in the cache; they attend to the
        cached positions and causally among themselves. One new position needs no mask."""
        q, k, v = self._split(x)
        start = cache.length
        keys, values = cache.append(k, v)
        n_new = x.shape[1]
        mask = None
        if n_new > 1:  # new position i sits at start + i and must not see keys after it
            mask = torch.ones(n_new, start + n_new, dtype=torch.bool, device=x.device).triu(start + 1)
        return self._attend(q, keys, values, mask)


class _Block(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))

    def extend(self, x: torch.Tensor, cache: _LayerCache) -> torch.Tensor:
        x = x + self.attn.extend(self.norm1(x), cache)
        return x + self.mlp(self.norm2(x))


class CausalTransformer(nn.Module):
    """Linear embedding + sinusoidal positions, ``n_layers`` causal blocks, a linear read-out."""

    def __init__(self, input_size: int = 1, d_model: int = 64, n_heads: int = 4, n_layers: int = 2,
                 d_ff: int = 128, n_out: int = 1) -> None:
        super().__init__()
        self.input_size, self.d_model = input_size, d_model
        self.embed = nn.Linear(input_size, d_model)
        self.blocks = nn.ModuleList(_Block(d_model, n_heads, d_ff) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_out)

    def _position(self, positions: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return sinusoidal_position(positions, self.d_model).to(like.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """All positions at once: ``(batch, time, input_size)`` -> ``(batch, time, n_out)``."""
        expect_shape("x", x, (None, None, self.input_size), ("batch", "time", "input_size"))
        h = self.embed(x) + self._position(torch.arange(x.shape[1], device=x.device), x)
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h))

    def initial_state(self, batch_size: int = 1) -> KVCache:
        """An empty key-value cache (the state of a stream)."""
        return KVCache(len(self.blocks))

    def extend(self, x: torch.Tensor, cache: KVCache) -> tuple[torch.Tensor, KVCache]:
        """The next samples of a stream, ``(batch, new, input_size)`` -> ``(batch, new, n_out)``.

        Gives the same outputs, and leaves the same cache, as feeding them one at a time to
        :meth:`step`, in fewer, larger operations.
        """
        expect_shape("x", x, (None, None, self.input_size), ("batch", "new", "input_size"))
        positions = torch.arange(cache.length, cache.length + x.shape[1], device=x.device)
        h = self.embed(x) + self._position(positions, x)
        for block, layer_cache in zip(self.blocks, cache.layers):
            h = block.extend(h, layer_cache)
        return self.head(self.norm(h)), cache

    def step(self, x_t: torch.Tensor, cache: KVCache) -> tuple[torch.Tensor, KVCache]:
        """One new sample ``(batch, input_size)`` -> output ``(batch, n_out)``; the cache grows by one."""
        y, cache = self.extend(x_t[:, None], cache)
        return y[:, 0], cache
