"""The network as it is exported: a fused, eval-mode copy in its deploy form.

The maths is unchanged; only the graph differs (see :mod:`yolov12.nn.deploy`): area attention channel-major,
C3k2 without a Split, the neck's Concats folded into the convs that read them (``YOLOModel.deploy``), and the head
in its own export form (``head.deploy()``, e.g. :class:`~yolov12.nn.head.DetectDeploy`). With the DFL written
without a non-last-axis Softmax this takes the n graph from 0.96x to 0.79-0.89x (typically 0.86x) the reference
graph's onnxruntime CPU time (``benchmarks/onnx_cpu.py``). Nothing here knows a layer's row number or the task.
"""

from __future__ import annotations

import copy

from torch import nn

from yolov12.nn.deploy import deploy_blocks

SPLIT_C3K2 = True
JOIN_NECK = True  # neck concatenations read by one conv per part (upsampling after the conv); see SumConv
# (the same for the concatenations inside C3k2 / A2C2f / C3k measured neutral: 60.2 vs 59.3 ms for n, 167.0 vs
# 169.8 ms for s; narrower convs cost what the copies saved)


def export_form(model: nn.Module) -> nn.Module:
    """A fused, eval-mode deep copy of ``model`` in its deploy form (the input is left untouched)."""
    m = copy.deepcopy(model).eval().fuse()
    m.deploy(join_neck=JOIN_NECK)
    deploy_blocks(m, split_c3k2=SPLIT_C3K2)
    for p in m.parameters():
        p.requires_grad_(False)
    return m
