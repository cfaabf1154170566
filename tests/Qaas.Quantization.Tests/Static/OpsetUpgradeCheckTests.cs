using Qaas.Onnx.Io;
using Qaas.Quantization.Static;

namespace Qaas.Quantization.Tests.Static;

public class OpsetUpgradeCheckTests
{
    [Fact]
    public void PP_OCR_det_opset_11_can_be_raised_to_19_but_cls_opset_9_not_to_13()
    {
        var det = OnnxModel.Load(RepositoryPaths.PpOcrDet).Graph;
        var cls = OnnxModel.Load(RepositoryPaths.PpOcrCls).Graph;

        Assert.Empty(OpsetUpgradeCheck.Blockers(det, 11, 19));
        Assert.Equal(["Clip", "Slice", "Softmax"], OpsetUpgradeCheck.Blockers(cls, 9, 13));
        Assert.Equal(["Slice"], OpsetUpgradeCheck.Blockers(cls, 9, 10));
    }

    [Fact]
    public void Slice_attributes_become_inputs_so_opset_10_no_longer_blocks()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls).Proto;
        var editor = new Qaas.Onnx.Rewrite.GraphEditor(model);

        Assert.Equal(1, SliceAttributeUpgrade.Apply(editor));

        var slice = model.Graph.Node.Single(n => n.OpType == "Slice");
        Assert.Empty(slice.Attribute);
        Assert.True(slice.Input.Count >= 3);
        Assert.Empty(OpsetUpgradeCheck.Blockers(model.Graph, 9, 10));
    }
}
