import pytest
import torch

from yolov12.models.detection import build_model


def randomise(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """BN statistics and affine parameters randomised (so no BN is an identity), head biases too; eval mode."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
                m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.copy_(torch.randn(n, generator=g) * 0.1)
        for seq in (*model.head.cv2, *model.head.cv3):
            seq[-1].bias.copy_(torch.randn(seq[-1].bias.shape, generator=g))
    return model.eval()


@pytest.fixture(scope="session")
def models() -> dict[str, torch.nn.Module]:
    return {s: randomise(build_model(s), seed=i) for i, s in enumerate("ns")}


def max_rel(ref: torch.Tensor, out) -> float:
    """max |out - ref| / max |ref|."""
    out = torch.as_tensor(out)
    return float((out - ref).abs().max() / ref.abs().max())


@pytest.fixture(scope="session")
def exported(models, tmp_path_factory):
    """export(scale, **ExportConfig fields) -> path, each distinct export done once per session."""
    from yolov12.export import ExportConfig, export_model

    cache: dict[tuple, object] = {}
    root = tmp_path_factory.mktemp("exports")

    def export(scale: str, **kw):
        key = (scale, *sorted(kw.items()))
        if key not in cache:
            cfg = ExportConfig(output=root / f"m{len(cache)}.onnx", **kw)
            cache[key] = export_model(models[scale], cfg)
        return cache[key]

    return export
