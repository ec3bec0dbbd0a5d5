"""Network blocks: Conv, DWConv, Bottleneck, C3k, C3k2, AAttn, ABlock, A2C2f (R-ELAN), Detect with DFL."""

from yolov12.nn.attention import A2C2f, AAttn, ABlock, attention_backend
from yolov12.nn.blocks import C3k, C3k2, Bottleneck
from yolov12.nn.conv import Concat, Conv, DWConv
from yolov12.nn.head import DFL, Detect

__all__ = [
    "A2C2f", "AAttn", "ABlock", "Bottleneck", "C3k", "C3k2", "Concat", "Conv", "DFL", "DWConv", "Detect",
    "attention_backend",
]
