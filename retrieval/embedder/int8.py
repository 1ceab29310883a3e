"""The "int8" backend: the torch model with dynamically quantised Linear layers."""

from __future__ import annotations

from typing import Any

INT8_RECIPE = "qint8-per-channel-keep-ffn-out"  # part of bench cache keys: change on edits


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantisation of the Linear layers (weights int8 per output channel,
    activations quantised per batch at run time): no extra package, ~1.8-3x faster on CPU.

    Per-tensor weights (quantize_dynamic's default) moved vectors to cosine 0.94 of the exact
    ones; per-channel weights with the feed-forward output projections left in fp32 (their
    inputs are the GELU activations with the widest range) keep 0.99. bench/perf.py and
    bench/retrieval_eval.py --backend int8 measure speed and recall against the exact model.
    """
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    spec = {
        name: per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
        and not (name.endswith("output.dense") and "attention" not in name)
    }
    return quantize_dynamic(model, spec, dtype=torch.qint8)
