"""Model-agnostic tensor operations: box formats and overlaps, anchors and distance decoding, NMS."""
