"""Greedy non-maximum suppression in pure torch, and the detector post-processing built on it.

Semantics (identical to torchvision's ``nms`` / ``batched_nms``): boxes are visited in descending score order
(ties broken by the lower original index, i.e. a stable sort); a box is kept unless a previously kept box (of the
same class, for the class-aware variant) overlaps it with IoU strictly greater than the threshold. IoU is
``inter / (area_a + area_b - inter)`` without epsilon; a pair with zero union (degenerate boxes) never suppresses.

Speed on CPU comes from processing the sorted boxes in blocks: a block is first filtered against every box kept so
far (one (K, B) IoU matrix), then resolved internally with an exact fixed-point iteration over its upper-triangular
(B, B) suppression matrix, and the loop stops as soon as ``max_keep`` boxes are kept (the detector only needs the
first ``max_det``). Classes are separated by masking same-class pairs, not by coordinate offsets, so the result is
exact in float32 for any coordinates.
"""

from __future__ import annotations

import torch

from yolov12.ops.boxes import xywh2xyxy

__all__ = ["nms", "batched_nms", "non_max_suppression"]

_BLOCK = 512  # boxes resolved per block; (B, B) bool matrices stay small and cache-friendly
_MAX_FIXED_POINT_ITERS = 16  # fall back to a sequential sweep of the block after this many iterations


def _pairwise_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of (N, 4) and (M, 4) xyxy boxes -> (N, M), torchvision arithmetic (no epsilon; 0/0 -> NaN -> never > t)."""
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area_a[:, None] + area_b[None, :] - inter)


def _suppression(a: torch.Tensor, b: torch.Tensor, ca: torch.Tensor | None, cb: torch.Tensor | None,
                 iou: float) -> torch.Tensor:
    """(N, M) bool: box ``a[i]`` would suppress box ``b[j]`` (IoU > ``iou`` and, if classes given, same class)."""
    sup = _pairwise_iou(a, b) > iou
    if ca is not None and cb is not None:
        sup &= ca[:, None] == cb[None, :]
    return sup


def _resolve_block(sup: torch.Tensor) -> torch.Tensor:
    """Greedy keep mask (B,) for boxes in score order given ``sup`` (B, B), ``sup[i, j]``: i suppresses j.

    Only ``i < j`` entries matter. The greedy result is the unique fixed point of
    ``keep[j] = not any(keep[i] and sup[i, j] for i < j)``; iterating from all-true makes entries ``< t`` exact
    after ``t`` steps, so equality of two successive iterates means the exact answer has been reached.
    """
    sup = sup.triu(1)
    n = sup.shape[0]
    keep = torch.ones(n, dtype=torch.bool, device=sup.device)
    if not bool(sup.any()):
        return keep
    supf = sup.to(torch.float32)
    for _ in range(_MAX_FIXED_POINT_ITERS):
        new = (keep.to(torch.float32) @ supf) == 0
        if torch.equal(new, keep):
            return keep
        keep = new
    # Long suppression chains: sequential sweep (exact, O(B) small ops).
    keep = torch.ones(n, dtype=torch.bool, device=sup.device)
    rows = sup.any(1).nonzero().squeeze(1).tolist()
    for i in rows:
        if keep[i]:
            keep &= ~sup[i]
    return keep


def _greedy_nms(boxes: torch.Tensor, cls: torch.Tensor | None, iou: float, max_keep: int | None) -> torch.Tensor:
    """Greedy NMS on boxes already sorted by descending score -> kept positions (K,) int64, ascending."""
    n = boxes.shape[0]
    limit = n if max_keep is None else min(max_keep, n)
    kept: list[torch.Tensor] = []
    kept_boxes = boxes.new_zeros((0, 4))
    kept_cls = cls.new_zeros((0,)) if cls is not None else None
    n_kept, start = 0, 0
    while start < n and n_kept < limit:
        stop = min(start + _BLOCK, n)
        b = boxes[start:stop]
        c = cls[start:stop] if cls is not None else None
        idx = torch.arange(start, stop, device=boxes.device)
        if n_kept:
            alive = ~_suppression(kept_boxes, b, kept_cls, c, iou).any(0)
            idx, b = idx[alive], b[alive]
            c = c[alive] if c is not None else None
        if idx.numel():
            keep = _resolve_block(_suppression(b, b, c, c, iou))
            idx, b = idx[keep], b[keep]
            c = c[keep] if c is not None else None
            idx = idx[: limit - n_kept]
            b = b[: idx.numel()]
            kept.append(idx)
            kept_boxes = torch.cat((kept_boxes, b))
            if c is not None and kept_cls is not None:
                kept_cls = torch.cat((kept_cls, c[: idx.numel()]))
            n_kept += idx.numel()
        start = stop
    return torch.cat(kept) if kept else torch.zeros(0, dtype=torch.int64, device=boxes.device)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou: float, max_keep: int | None = None) -> torch.Tensor:
    """Greedy NMS (torchvision semantics).

    Args:
        boxes: (N, 4) xyxy, any units.
        scores: (N,) scores; higher first, equal scores in original-index order.
        iou: suppress a box whose IoU with an already kept box is strictly greater than this.
        max_keep: stop after this many kept boxes (same prefix as the full result).

    Returns:
        (K,) int64 indices into ``boxes`` of the kept boxes, in descending score order.
    """
    return batched_nms(boxes, scores, None, iou, max_keep)


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor | None, iou: float,
                max_keep: int | None = None) -> torch.Tensor:
    """Class-aware greedy NMS: boxes only suppress boxes with the same ``idxs`` (N,) value (None: agnostic).

    Returns (K,) int64 indices into ``boxes`` sorted by descending score (stable), at most ``max_keep``.
    """
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.int64, device=boxes.device)
    order = torch.sort(scores, descending=True, stable=True).indices
    cls = idxs[order] if idxs is not None else None
    keep = _greedy_nms(boxes[order], cls, iou, max_keep)
    return order[keep]


def _sort_desc(values: torch.Tensor, tiebreak: torch.Tensor) -> torch.Tensor:
    """Permutation sorting (N,) ``values`` descending, equal values by ascending unique int ``tiebreak`` (N,).

    float32 uses one sort on a packed int64 key (order-preserving float bits << 31 | tiebreak), about twice as
    fast as two stable sorts; other dtypes, or tiebreaks >= 2^31, take the two-sort path.
    """
    if values.dtype == torch.float32 and (tiebreak.numel() == 0 or int(tiebreak.max()) < 2**31):
        bits = (values + 0.0).view(torch.int32).to(torch.int64)  # + 0.0 turns -0.0 into +0.0
        ordered = torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits)  # signed-int order == float order
        key = ((2**31 - 1 - ordered) << 31) | tiebreak  # descending value, then ascending tiebreak; < 2^63
        return torch.sort(key).indices
    first = torch.sort(tiebreak).indices
    return first[torch.sort(values[first], descending=True, stable=True).indices]


def _candidates(scores: torch.Tensor, conf: float, classes: list[int] | None, multi_label: bool,
                max_nms: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Score-filtered (anchor, class) candidates of one image, best first, at most ``max_nms``.

    Args:
        scores: (nc, A) class scores in [0, 1] (the model's layout, no transpose needed).

    Returns:
        anchor indices (n,), class indices (n,), scores (n,), sorted by score descending; ties in
        (anchor, class) row-major order.
    """
    nc, n_anchors = scores.shape
    if multi_label:
        if classes is not None:
            allowed = torch.zeros(nc, dtype=torch.bool, device=scores.device)
            allowed[torch.as_tensor(classes, dtype=torch.long, device=scores.device)] = True
            scores = scores.masked_fill(~allowed[:, None], float("-inf"))
        flat = scores.reshape(-1)  # index = cls * A + anchor
        base = None
        if classes is None and flat.numel() > 8 * max_nms:
            # Pre-cut with a threshold estimated on a strided sample (~2x max_nms survivors expected). Exact: the
            # subset is used only if it provably holds the whole top max_nms (or every score above conf).
            sample = flat[:: max(1, flat.numel() // 4096)].to(torch.float32)
            est = max(float(torch.quantile(sample, 1 - 2 * max_nms / flat.numel())), conf)
            sub = (flat > est).nonzero().squeeze(1)
            if est == conf or sub.numel() >= max_nms:
                base, flat = sub, flat[sub]
        k = min(max_nms, flat.numel())
        conf_v, idx = flat.topk(k, sorted=False)
        if 0 < k < flat.numel():
            kth = conf_v.min()
            if kth > conf and int((flat >= kth).count_nonzero()) > k:  # ties at the cut: take all, sort decides
                idx = (flat >= kth).nonzero().squeeze(1)
                conf_v = flat[idx]
        ok = conf_v > conf
        idx, conf_v = idx[ok], conf_v[ok]
        if base is not None:
            idx = base[idx]
        cls, anchor = idx // n_anchors, idx % n_anchors
        order = _sort_desc(conf_v, anchor * nc + cls)[:max_nms]  # ties: (anchor, class) order
        return anchor[order], cls[order], conf_v[order]
    else:
        conf_v, cls = scores.max(0)
        ok = conf_v > conf
        if classes is not None:
            ok &= torch.isin(cls, torch.as_tensor(classes, dtype=cls.dtype, device=cls.device))
        anchor = ok.nonzero().squeeze(1)
        conf_v, cls = conf_v[anchor], cls[anchor]
    order = torch.sort(conf_v, descending=True, stable=True).indices[:max_nms]
    return anchor[order], cls[order], conf_v[order]


def non_max_suppression(
    pred: torch.Tensor,
    conf: float = 0.25,
    iou: float = 0.7,
    classes: list[int] | None = None,
    agnostic: bool = False,
    multi_label: bool = False,
    max_det: int = 300,
    max_nms: int = 30000,
    max_wh: int = 7680,
) -> list[torch.Tensor]:
    """Detector post-processing: score filter -> class-aware greedy NMS -> top ``max_det`` per image.

    Args:
        pred: (B, 4 + nc, A) eval output of the model: cx, cy, w, h in input pixels, then sigmoid class scores.
        conf: keep (anchor, class) pairs with score strictly greater than this.
        iou: NMS IoU threshold (suppress when IoU > iou).
        classes: keep only these class indices (single-label: the anchor's best class must be one of them).
        agnostic: suppress across classes.
        multi_label: one candidate per (anchor, class) above ``conf``; otherwise the anchor's best class only.
        max_det: detections kept per image.
        max_nms: at most this many highest-scoring candidates (stable order) enter NMS.
        max_wh: accepted for interface compatibility; classes are separated exactly by masking instead of
            coordinate offsets, so it has no effect.

    Returns:
        Per image a (n, 6) tensor [x1, y1, x2, y2, conf, cls] (input pixels, dtype of ``pred``), n <= max_det,
        sorted by conf descending.
    """
    del max_wh
    if pred.dim() != 3:
        raise ValueError(f"pred must be (B, 4 + nc, A), got {tuple(pred.shape)}")
    out: list[torch.Tensor] = []
    for x in pred:  # (4 + nc, A)
        anchor, cls, conf_v = _candidates(x[4:], conf, classes, multi_label, max_nms)
        boxes = xywh2xyxy(x[:4, anchor].transpose(0, 1))  # (n, 4)
        keep = _greedy_nms(boxes, None if agnostic else cls, iou, max_det)
        out.append(torch.cat((boxes[keep], conf_v[keep, None], cls[keep, None].to(boxes.dtype)), 1))
    return out
