using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Summary;

namespace Qaas.Onnx.Tests;

/// <summary>Real exported models (PP-OCR with weights in Constant nodes, openWakeWord) load, summarise and round-trip.</summary>
public class RealModelsTests
{
    public static TheoryData<string> RealModels => new()
    {
        "ppocr/ch_PP-OCRv4_det_infer.onnx",
        "ppocr/ch_ppocr_mobile_v2.0_cls_infer.onnx",
        "openwakeword/melspectrogram.onnx",
        "openwakeword/embedding_model.onnx",
        "openwakeword/hey_jarvis_v0.1.onnx",
    };

    [Theory]
    [MemberData(nameof(RealModels))]
    public void Loads_summarises_and_round_trips(string relative)
    {
        var model = OnnxModel.Load(TestAssets.Model(relative.Split('/')));
        var summary = ModelSummary.Of(model);

        Assert.True(summary.ParameterCount > 0);
        Assert.NotEmpty(summary.Inputs);
        Assert.NotEmpty(summary.Outputs);
        Assert.True(summary.Opsets.ContainsKey(""));
        Assert.Equal(model.Graph.Node.Count, summary.OpCounts.Values.Sum() - SubgraphNodeCount(model));
        Assert.All(summary.Inputs, i => Assert.Equal("float32", i.ElemType));

        var bytes = new MemoryStream();
        model.Save(bytes);
        bytes.Position = 0;
        Assert.True(model.Proto.Equals(OnnxModel.Load(bytes).Proto));
    }

    [Fact]
    public void PpOcr_det_weights_live_in_constant_nodes_and_are_readable()
    {
        var model = OnnxModel.Load(TestAssets.PpOcrDet);
        var summary = ModelSummary.Of(model);
        Assert.Empty(model.Graph.Initializer);
        var weights = ModelWeights.All(model.Graph).ToList();
        Assert.All(weights, w => Assert.Equal(WeightSource.ConstantNode, w.Source));
        Assert.Equal(weights.Sum(w => w.ElementCount), summary.ParameterCount);
        // PP-OCRv4 det (DBNet, 4.7 MB file of float32) holds roughly a million parameters.
        Assert.InRange(summary.ParameterCount, 500_000, 1_300_000);
        Assert.True(summary.OpCounts["Conv"] > 50);
        var input = Assert.Single(summary.Inputs);
        Assert.Equal(4, input.Shape!.Count);
        Assert.Equal(3L, input.Shape[1]);

        var conv = model.Graph.Node.First(n => n.OpType == "Conv");
        var weightTensor = weights.Single(w => w.Name == conv.Input[1]).Tensor;
        var values = TensorData.ReadAsFloat(weightTensor, model);
        Assert.Equal(weightTensor.Dims.Aggregate(1L, (a, b) => a * b), values.Length);
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
        Assert.Contains(values, v => v != 0);
    }

    [Fact]
    public void Topological_order_respects_every_edge_of_PpOcr_cls()
    {
        var model = OnnxModel.Load(TestAssets.PpOcrCls);
        var view = new GraphView(model.Graph);
        var order = view.TopologicalOrder();
        Assert.Equal(model.Graph.Node.Count, order.Count);
        var position = NodePositions.Of(order);
        foreach (var n in order)
            foreach (var p in view.Predecessors(n))
                Assert.True(position[p] < position[n]);
        var conv = order.First(n => n.OpType == "Conv");
        Assert.Contains(conv, view.ConsumersOf(conv.Input[0]));
        Assert.Same(conv, view.ProducerOf(conv.Output[0]));
    }

    private static int SubgraphNodeCount(OnnxModel model) =>
        Subgraphs.All(model.Graph).Skip(1).Sum(g => g.Node.Count);
}
