"""The shared YOLOv12 network: backbone (rows 0-8) and neck (rows 9-20) of the layer table, then a task head.

``layers[i]`` is row i of the layer table (spec section 1; the head is row 21), so state-dict keys read
``layers.<row>.<block>...`` and map one-to-one onto published checkpoints (``model.<row>...``) whatever the task.
The head is chosen by the task; it takes the neck's three maps (P3, P4, P5 at strides 8, 16, 32).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from yolov12.config import ModelConfig
from yolov12.nn import A2C2f, C3k2, Concat, Conv
from yolov12.nn.deploy import DeployC3k2, Parts, SumConv

STRIDES = (8, 16, 32)  # of the neck outputs P3, P4, P5
NECK_OUT_ROWS = (14, 17, 20)


def backbone_layers(cfg: ModelConfig) -> list[nn.Module]:
    """Rows 0-8 of the layer table (stem, C3k2 stages, the two area-attention R-ELAN stages)."""
    c, r = cfg.channels, cfg.repeats
    turbo = cfg.variant == "turbo"
    mlp, pe, res = cfg.resolved_mlp_ratio, cfg.resolved_pe_kernel, cfg.resolved_residual

    def attn_stage(c1: int, c2: int, stage: int) -> A2C2f:
        return A2C2f(
            c1, c2, r(4), attention=cfg.attention[stage], area=cfg.areas[stage], residual=res,
            mlp_ratio=mlp, pe_kernel=pe, variant=cfg.variant, residual_init=cfg.residual_init,
        )

    c64, c128, c256, c512, c1024 = c(64), c(128), c(256), c(512), c(1024)
    return [
        Conv(3, c64, 3, 2),                                          # 0  P1/2
        Conv(c64, c128, 3, 2, groups=2 if turbo else 1),             # 1  P2/4
        C3k2(c128, c256, r(2), cfg.c3k, e=0.25),                     # 2
        Conv(c256, c256, 3, 2, groups=4 if turbo else 1),            # 3  P3/8
        C3k2(c256, c512, r(2), cfg.c3k, e=0.25),                     # 4
        Conv(c512, c512, 3, 2),                                      # 5  P4/16
        attn_stage(c512, c512, 0),                                   # 6  area attention (strips)
        Conv(c512, c1024, 3, 2),                                     # 7  P5/32
        attn_stage(c1024, c1024, 1),                                 # 8  global attention
    ]


def neck_layers(cfg: ModelConfig) -> list[nn.Module]:
    """Rows 9-20: top-down then bottom-up fusion; outputs P3 (row 14), P4 (17), P5 (20), see :func:`neck_channels`."""
    c, r = cfg.channels, cfg.repeats
    c256, c512, c1024 = c(256), c(512), c(1024)
    return [
        nn.Upsample(scale_factor=2, mode="nearest"),                 # 9
        Concat(),                                                    # 10 [9, 6]
        A2C2f(c1024 + c512, c512, r(2), attention=False),            # 11
        nn.Upsample(scale_factor=2, mode="nearest"),                 # 12
        Concat(),                                                    # 13 [12, 4]
        A2C2f(c512 + c512, c256, r(2), attention=False),             # 14 P3 out
        Conv(c256, c256, 3, 2),                                      # 15
        Concat(),                                                    # 16 [15, 11]
        A2C2f(c256 + c512, c512, r(2), attention=False),             # 17 P4 out
        Conv(c512, c512, 3, 2),                                      # 18
        Concat(),                                                    # 19 [18, 8]
        C3k2(c512 + c1024, c1024, r(2), c3k=True),                   # 20 P5 out
    ]


def neck_channels(cfg: ModelConfig) -> tuple[int, int, int]:
    """Channels of the neck outputs P3, P4, P5 (what a head on rows 14, 17, 20 receives)."""
    return cfg.channels(256), cfg.channels(512), cfg.channels(1024)


class Network(nn.Module):
    """What every task's network has: its :class:`ModelConfig` (``cfg``), task, classes, BatchNorm folding and an
    export form (``deploy``; the network as it is by default)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg

    @property
    def task(self) -> str:
        return self.cfg.task

    @property
    def nc(self) -> int:
        return self.cfg.nc

    @property
    def names(self) -> list[str]:
        return self.cfg.class_names

    @torch.no_grad()
    def fuse(self) -> "Network":
        """Fold every BatchNorm into its conv (inference only). Returns self."""
        for m in self.modules():
            if isinstance(m, Conv):
                m.fuse()
        return self

    @property
    def is_fused(self) -> bool:
        return not any(isinstance(m, nn.BatchNorm2d) for m in self.modules())

    def deploy(self, join_neck: bool = True) -> "Network":
        """In place, on a fused eval-mode network: its export form. Returns self."""
        return self


class YOLOModel(Network):
    """Backbone + neck + the head ``make_head(cfg)`` builds (row 21). Input (B, 3, H, W) float in [0, 1], H and W
    multiples of 32.

    ``forward`` returns whatever the head returns for the neck's [P3, P4, P5] (training: raw maps; eval: the
    decoded output of the task). Subclasses only choose the head. The head is built after the backbone and neck,
    so a seeded initialisation draws the same numbers for the shared rows whatever the task.
    """

    stride = 32  # largest stride: input sizes must be multiples of it

    def __init__(self, cfg: ModelConfig, make_head: Callable[[ModelConfig], nn.Module]) -> None:
        super().__init__(cfg)
        shared = [*backbone_layers(cfg), *neck_layers(cfg)]
        self.layers = nn.ModuleList([*shared, make_head(cfg)])

    @property
    def head(self) -> nn.Module:
        return self.layers[-1]

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Backbone + neck: the three maps (P3, P4, P5) the head consumes."""
        L = self.layers
        p3 = L[4](L[3](L[2](L[1](L[0](x)))))
        p4 = L[6](L[5](p3))
        p5 = L[8](L[7](p4))
        n4 = L[11](L[10]([L[9](p5), p4]))
        o3 = L[14](L[13]([L[12](n4), p3]))
        o4 = L[17](L[16]([L[15](o3), n4]))
        o5 = L[20](L[19]([L[18](o4), p5]))
        return [o3, o4, o5]

    def forward(self, x: torch.Tensor):
        check_input(x)
        return self.head(self.features(x))

    def forward_raw(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The head's training-mode output whatever the mode (for a validation loss)."""
        check_input(x)
        return self.head.raw_maps(self.features(x))

    @torch.no_grad()
    def deploy(self, join_neck: bool = True) -> "YOLOModel":
        """In place, on a fused eval-mode model: the neck's concatenations folded into the convs that read them
        (``join_neck``) and the head replaced by its own export form (``head.deploy()``). Returns self."""
        if join_neck:
            self._join_neck()
        self.layers[-1] = self.head.deploy()
        return self

    def _join_neck(self) -> None:
        """Rows 9-20: every Concat (and the Upsample before it) folded into the 1x1 conv that reads it
        (:class:`~yolov12.nn.deploy.SumConv`); the Concat rows become :class:`~yolov12.nn.deploy.Parts`."""
        L = self.layers
        widths: dict[int, list[int]] = {}
        hooks = [
            L[i].register_forward_pre_hook(lambda mod, args, i=i: widths.__setitem__(i, [t.shape[1] for t in args[0]]))
            for i in (10, 13, 16, 19)
        ]
        p = next(self.parameters())
        self.features(torch.zeros(1, 3, 64, 64, dtype=p.dtype, device=p.device))
        for h in hooks:
            h.remove()
        for cat, up in ((10, 9), (13, 12), (16, None), (19, None)):
            block, w = L[cat + 1], widths[cat]
            ups = [int(L[up].scale_factor), 1] if up is not None else [1, 1]
            if up is not None:
                L[up] = Parts()
            L[cat] = Parts()
            if isinstance(block, C3k2):
                L[cat + 1] = DeployC3k2(block, w)
            else:
                block.cv1 = SumConv(block.cv1, w, ups)


def check_input(x: torch.Tensor) -> None:
    """Clear errors for inputs the network cannot take (instead of a shape error deep inside)."""
    if torch.jit.is_tracing() or torch.compiler.is_compiling() or torch.onnx.is_in_onnx_export():
        return
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"model input must be a torch.Tensor of shape (B, 3, H, W), got {type(x).__name__}")
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"model input must have shape (B, 3, H, W) with 3 RGB channels, got {tuple(x.shape)}")
    h, w = x.shape[2:]
    if h % 32 or w % 32 or h == 0 or w == 0:
        raise ValueError(
            f"input height and width must be positive multiples of 32 (the largest stride), got {h}x{w}; "
            "letterbox or resize the image first"
        )
    if not x.is_floating_point():
        raise TypeError(f"model input must be a float tensor in [0, 1], got {x.dtype} (divide uint8 images by 255)")
