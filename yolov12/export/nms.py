"""Class-aware NMS inside the exported graph: the ONNX NonMaxSuppression op plus plain gather/top-k ops.

Semantics match :func:`yolov12.ops.nms.non_max_suppression` (single label per anchor, class-aware, score
strictly above ``conf``, suppress IoU strictly above ``iou``, best ``max_det`` per image), without its
``max_nms`` pre-cut (at most 30000 candidates) and with top-k tie order instead of a stable sort.
"""

from __future__ import annotations

import torch
from torch import nn

from yolov12.ops.nms import batched_nms


class _NonMaxSuppression(torch.autograd.Function):
    """ONNX NonMaxSuppression: boxes (B, A, 4) xyxy, scores (B, nc, A) -> selected (K, 3) [batch, class, box]."""

    @staticmethod
    def forward(ctx, boxes, scores, max_out: int, iou: float, conf: float):  # eager/tracing stand-in
        state = torch._C._get_tracing_state()  # the stand-in's own ops stay out of the trace (the op is symbolic)
        torch._C._set_tracing_state(None)
        try:
            return _NonMaxSuppression._reference(boxes, scores, max_out, iou, conf)
        finally:
            torch._C._set_tracing_state(state)

    @staticmethod
    def _reference(boxes, scores, max_out: int, iou: float, conf: float) -> torch.Tensor:
        rows = []
        for b in range(boxes.shape[0]):
            for c in range(scores.shape[1]):
                ok = (scores[b, c] > conf).nonzero().squeeze(1)
                keep = ok[batched_nms(boxes[b, ok], scores[b, c, ok], None, iou, max_out)]
                rows.append(torch.stack((torch.full_like(keep, b), torch.full_like(keep, c), keep), 1))
        return torch.cat(rows) if rows else torch.zeros(0, 3, dtype=torch.long)

    @staticmethod
    def symbolic(g, boxes, scores, max_out: int, iou: float, conf: float):
        return g.op(
            "NonMaxSuppression", boxes, scores,
            g.op("Constant", value_t=torch.tensor([max_out], dtype=torch.long)),
            g.op("Constant", value_t=torch.tensor([iou], dtype=torch.float32)),
            g.op("Constant", value_t=torch.tensor([conf], dtype=torch.float32)),
            center_point_box_i=0,
        )


class NMSHead(nn.Module):
    """(B, 4 + nc + extra, A) predictions -> detections (B, max_det, 6 + extra) [x1, y1, x2, y2, score, class,
    then the ``extra`` channels of the kept anchor (segment: 32 mask coefficients)], num_dets (B,).

    Rows are sorted by score; rows past ``num_dets`` are zero.
    """

    def __init__(self, conf: float, iou: float, max_det: int, extra: int = 0) -> None:
        super().__init__()
        self.conf, self.iou, self.max_det, self.extra = float(conf), float(iou), int(max_det), int(extra)

    def forward(self, pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pred = pred.float()  # ONNX NonMaxSuppression takes float32 only (a float16 graph casts here)
        B = pred.shape[0]
        scores = pred[:, 4:pred.shape[1] - self.extra] if self.extra else pred[:, 4:]  # (B, nc, A)
        xywh = pred[:, :4].transpose(1, 2)  # (B, A, 4)
        xy, half = xywh[..., :2], xywh[..., 2:] / 2
        boxes = torch.cat((xy - half, xy + half), -1)  # (B, A, 4) xyxy, same arithmetic as ops.boxes
        best, cls = scores.max(1)  # (B, A) each anchor's best class
        nc = scores.shape[1]
        one_hot = cls.unsqueeze(1) == torch.arange(nc, device=pred.device).view(1, nc, 1)
        single = best.unsqueeze(1) * one_hot.to(best.dtype)  # (B, nc, A): only the best class scores
        sel = _NonMaxSuppression.apply(boxes, single, self.max_det, self.iou, self.conf)  # (K, 3)
        b_idx, a_idx = sel[:, 0], sel[:, 2]
        # Dense kept-score map (B, A + max_det), -1 where not kept; the max_det pad keeps top-k valid for any A.
        kept = torch.full((B, pred.shape[2] + self.max_det), -1.0, dtype=pred.dtype, device=pred.device)
        kept = kept.index_put((b_idx, a_idx), best[b_idx, a_idx])
        if torch.onnx.is_in_onnx_export():  # ONNX TopK: equal values in index order (as the stable sort below)
            top, idx = kept.topk(self.max_det, 1)  # (B, max_det)
        else:
            top, idx = (t[:, : self.max_det] for t in kept.sort(dim=1, descending=True, stable=True))
        valid = top > -1.0
        idx = idx.clamp(max=pred.shape[2] - 1)
        box = boxes.gather(1, idx.unsqueeze(-1).expand(-1, -1, 4))
        c = cls.gather(1, idx).to(pred.dtype)
        parts = [box, top.unsqueeze(-1), c.unsqueeze(-1)]
        if self.extra:  # the kept anchors' extra channels, e.g. mask coefficients
            ext = pred[:, pred.shape[1] - self.extra:].transpose(1, 2)  # (B, A, extra)
            parts.append(ext.gather(1, idx.unsqueeze(-1).expand(-1, -1, self.extra)))
        det = torch.cat(parts, -1) * valid.unsqueeze(-1).to(pred.dtype)
        return det, valid.sum(1)


class ExportGraph(nn.Module):
    """The exported computation: network (eval output), optionally followed by :class:`NMSHead`. A tuple eval
    output (segment: predictions, prototypes) gets NMS on its first element; the others follow as extra outputs."""

    def __init__(self, model: nn.Module, nms: NMSHead | None = None) -> None:
        super().__init__()
        self.model, self.nms = model, nms

    def forward(self, images: torch.Tensor):
        pred = self.model(images)
        if self.nms is None:
            return pred
        if isinstance(pred, tuple | list):
            return (*self.nms(pred[0]), *pred[1:])
        return self.nms(pred)
