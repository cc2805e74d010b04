"""Beyond recurrence (chapter 8): parallel scans of a linear recurrence, minGRU and minLSTM,
the LRU, linear attention as a recurrence, a small causal Transformer with its KV cache, and
streaming inference."""
from .linear_attention import elu_feature_map, linear_attention_masked, linear_attention_recurrent
from .lru import LRU, LRURegressor, count_lru_parameters
from .mingru import (MinGRU, MinLSTM, MinRNNRegressor, count_min_parameters, g, log_g,
                     mode_differences)
from .scan import (blelloch_scan, heinsen_scan, linear_recurrence_loop, log_space_scan,
                   scan_affine_maps, scan_differences)
from .stream_cost import StreamProfile, profile_streams, state_nbytes
from .streaming import StreamingGRU
from .transformer import CausalSelfAttention, CausalTransformer, KVCache, sinusoidal_position

__all__ = [
    "elu_feature_map", "linear_attention_masked", "linear_attention_recurrent",
    "LRU", "LRURegressor", "count_lru_parameters",
    "MinGRU", "MinLSTM", "MinRNNRegressor", "count_min_parameters", "g", "log_g",
    "mode_differences",
    "blelloch_scan", "heinsen_scan", "linear_recurrence_loop", "log_space_scan", "scan_affine_maps",
    "scan_differences",
    "StreamingGRU", "StreamProfile", "profile_streams", "state_nbytes",
    "CausalSelfAttention", "CausalTransformer", "KVCache", "sinusoidal_position",
]
