"""The export form of the network: same outputs, and the graph-level rewrites actually applied."""

import onnx
import pytest
import torch

from tests.export.conftest import max_rel, randomise
from yolov12.export.graph import export_form
from yolov12.nn.deploy import Parts, SumConv
from yolov12.models.detection import build_model
from yolov12.nn.conv import Concat, Conv


def test_sum_conv_equals_conv_over_upsampled_concatenation():
    conv = Conv(48, 24, 1)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        conv.bn.running_mean.copy_(torch.randn(24, generator=g))
        conv.bn.running_var.copy_(torch.rand(24, generator=g) + 0.5)
    conv.eval().fuse()
    low, high = torch.randn(2, 32, 5, 7), torch.randn(2, 16, 10, 14)
    ref = conv(torch.cat((torch.nn.functional.interpolate(low, scale_factor=2.0, mode="nearest"), high), 1))
    out = SumConv(conv, [32, 16], [2, 1])([low, high])
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    assert SumConv(conv, [32, 16], [2, 1]).parts[-1].bias is not None  # bias once, on the full-size part


@pytest.mark.parametrize("variant", ["v1", "turbo", "v1-release"])
def test_export_form_matches_the_model_and_has_no_neck_concat(variant):
    model = randomise(build_model("n", nc=5, variant=variant))
    net = export_form(model)
    for row in (9, 10, 12, 13, 16, 19):
        assert isinstance(net.layers[row], Parts)
    assert not any(isinstance(m, Concat) for m in net.modules())
    for hw in ((128, 128), (96, 160)):
        x = torch.rand(2, 3, *hw, generator=torch.Generator().manual_seed(hw[1]))
        with torch.no_grad():
            assert max_rel(model(x), net(x)) <= 1e-5


def test_onnx_graph_has_no_slow_softmax_and_upsamples_narrow_maps(exported, models):
    graph = onnx.shape_inference.infer_shapes(onnx.load(str(exported("n", imgsz=(160, 160))))).graph
    softmax = [n for n in graph.node if n.op_type == "Softmax"]
    assert softmax and all(a.i == -1 or a.i == 3 for n in softmax for a in n.attribute if a.name == "axis")
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in graph.value_info}
    resized = [shapes[n.input[0]][1] for n in graph.node if n.op_type == "Resize"]
    neck = models["n"].layers
    # each Resize moves a map of the following 1x1 conv's output width, not the wider map before the concat
    assert sorted(resized) == sorted([neck[11].cv1.conv.out_channels, neck[14].cv1.conv.out_channels])
