using Qaas.Onnx.Io;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Calibration;
using Qaas.Quantization.Formats;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Reports;
using Qaas.Quantization.Transforms;
using Qaas.Quantization.Transforms.Graph;

namespace Qaas.Quantization.Static;

/// <summary>
/// Static post-training quantization to QDQ (presets int8-static, int8-static-entropy, fp8-e4m3), as stages: the
/// recipe's transforms (BatchNorm folding, cross-layer equalization, SmoothQuant), node selection, Q/DQ placement that
/// ONNX Runtime fuses into integer kernels, activation ranges from calibration through ONNX Runtime, per-channel
/// weights (rounded by <see cref="Algorithms.AdaRound"/> and bias-corrected when asked, <see cref="BiasCorrection"/>) and int32 biases.
/// </summary>
public static class StaticQdqQuantizer
{
    /// <summary>Share of the progress range spent calibrating; the rewrite (with AdaRound's optimisation, if asked) takes the rest.</summary>
    private const double CalibrationShare = 0.9, CalibrationShareBeforeAdaRound = 0.3, AdaRoundMomentsShare = 0.1;

    /// <param name="recipe">A resolved recipe (<see cref="RecipeResolver.Resolve"/>).</param>
    public static QuantizedModel Quantize(OnnxModel model, Recipe recipe, SampleFeed calibration,
        IProgress<double>? progress = null, CancellationToken cancellationToken = default, StaticQdqOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recipe);
        var warnings = new List<string>();
        var settings = StaticQuantSettings.From(recipe, warnings);
        var proto = model.Proto.Clone();

        // Upsampling ConvTransposes become Conv + DepthToSpace, which have integer kernels (float8 has none to gain).
        IReadOnlyList<Onnx.Proto.NodeProto> upsampling = [];
        if (!settings.IsFloat8)
        {
            var rewriter = new GraphEditor(proto);
            rewriter.PromoteConstantsToInitializers();
            upsampling = ConvTransposeAsConv.Apply(rewriter, NodeSelector.Select(proto.Graph, recipe.Nodes), model);
            DepthToSpaceSinking.Apply(rewriter, upsampling, model);
        }
        if (recipe.Transforms?.Contains("fold-batchnorm") == true)
        {
            // BatchNorm and the constant per-channel scale/shift some exports keep after a Conv: exact rewrites that
            // ORT would do itself for fp32 but cannot once the weights are quantized. Each fold can expose another
            // (Conv -> Add -> BatchNorm), so they repeat until neither finds one.
            while (ConvBatchNormFolder.Apply(proto) + ConvAffineFolder.Apply(proto) > 0)
            {
            }
        }
        // A requested transform that finds nothing to rewrite says so: the recipe then did less than the user asked.
        if (recipe.Transforms?.Contains("cross-layer-equalization") == true && ConvPairEqualizer.Apply(proto) == 0)
            warnings.Add("cross-layer-equalization found no Conv -> [Relu] -> Conv pair with unshared float weights; nothing was equalized.");
        if (recipe.Transforms?.Contains("smoothquant") == true && !settings.IsFloat8
            && LayerNormSmoother.Apply(proto, model, (working, tensors) => Cached(tensors, options?.ChannelAbsMax,
                () => ChannelStatistics.Measure(working, tensors, calibration, ChannelAxis.Last, ChannelReduction.AbsMax, cancellationToken))) == 0)
            warnings.Add("smoothquant found no LayerNormalization read only by MatMuls with constant weights; nothing was smoothed.");
        new GraphEditor(proto).PromoteConstantsToInitializers();

        var keep = options?.KeepFloat ?? new HashSet<string>();
        // Float8 has no integer kernels to fuse into: only the weighted ops get (simulated) Q/DQ.
        // The upsampling's Conv and DepthToSpace stand for a selected ConvTranspose, unless excluded by their own op type.
        var selected = NodeSelector.Select(proto.Graph, recipe.Nodes)
            .Union(upsampling.Where(n => proto.Graph.Node.Contains(n) && !NodeSelector.Excludes(recipe.Nodes, n))).ToList();
        if (!settings.IsFloat8)
        {
            // Float rewrites that turn ops without an integer kernel, or redundant ones, into fewer fusable Muls.
            var rewriter = new GraphEditor(proto);
            ReciprocalDivision.Apply(rewriter, selected, model);
            var merged = ScalarMulChain.Apply(rewriter, selected, model);
            var folded = ConvInputScaleFolder.Apply(rewriter, selected.Except(merged), model);
            selected = selected.Except(merged).Except(folded).ToList();
        }
        IReadOnlyList<QdqNodePlan> plans = QdqPlacement.Plan(proto.Graph, selected, keep)
            .Where(p => !settings.IsFloat8 || p.Role == QdqRole.Weighted).ToList();
        bool correctBiases = !settings.IsFloat8 && recipe.Transforms?.Contains("bias-correction") == true;
        if (correctBiases)
            plans = BiasCorrection.AddMissingBiases(new GraphEditor(proto), plans);
        if (!plans.Any(p => p.Role == QdqRole.Weighted))
        {
            warnings.Add("No node matched the recipe's selection with a float initializer weight; the model is unchanged.");
            return new QuantizedModel(proto, [], warnings, Simulated: false);
        }

        long needed = settings.IsFloat8 ? 19 : settings.PerChannelWeights ? 13 : 10;
        var opset = QdqOpset.Prepare(proto, needed, settings.IsFloat8, warnings);

        var working = OnnxModel.FromProto(proto, model.Files, validate: false);
        double calibrationShare = recipe.Weights?.Algorithm == "adaround" ? CalibrationShareBeforeAdaRound : CalibrationShare;
        var calibrationProgress = ProgressRange.Of(progress, 0, calibrationShare);
        var observed = QdqPlacement.ActivationTensors(plans, includeOutputs: !settings.IsFloat8);
        var ranges = Cached(observed, options?.Ranges,
            () => CalibrationRunner.Run(working, observed, calibration, settings.Activations, cancellationToken, calibrationProgress));
        // A second pass over the calibration samples, only for this transform: the mean of each corrected layer's input.
        BiasCorrection? correction = null;
        if (correctBiases)
        {
            var inputs = BiasCorrection.MeasuredInputs(plans);
            correction = new BiasCorrection(plans, Cached(inputs, options?.ChannelMeans,
                () => ChannelStatistics.Measure(working, inputs, calibration, ChannelAxis.Second, ChannelReduction.Mean, cancellationToken)));
        }
        bool integer = !settings.IsFloat8;
        var adaRound = integer && recipe.Weights?.Algorithm == "adaround"
            ? new AdaRoundWeights(working, plans, calibration, options?.AdaRound,
                ProgressRange.Of(progress, calibrationShare, AdaRoundMomentsShare), cancellationToken)
            : null;
        if (adaRound is not null)
            calibrationShare += AdaRoundMomentsShare;
        if (calibration.Synthetic)
            warnings.Add("Calibration used synthetic inputs generated from the model's input specs; activation ranges may not match real data.");

        // Created after every other edit: its name allocator must know all names in the graph.
        var editor = new GraphEditor(proto);
        var writer = new QdqWriter(editor, opset.Domain, settings, working);
        var nodes = new List<NodeReport>(plans.Count);
        var effective = EffectiveRanges(plans, ranges);
        for (int index = 0; index < plans.Count; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var plan = plans[index];
            progress?.Report(calibrationShare + (1 - calibrationShare) * index / plans.Count);
            var inputParams = plan.InputTensors.Select(t => writer.Activation(t, effective[t])).ToList();
            foreach (var constant in plan.ConstantInputs)
                writer.Constant(plan.Node, constant);
            if (plan.WeightInput is { } weight)
            {
                var floors = integer && plan.BiasInput is { } b ? writer.BiasScaleFloors(plan.Node, b, inputParams[0].Scale) : null;
                var weightScales = writer.Weight(plan.Node, weight, plan.WeightAxis, floors,
                    correction is not null && BiasCorrection.Applies(plan)
                        ? (error, shape) => correction.Correct(editor, plan, error, shape, working)
                        : null,
                    adaRound is null ? null : (name, w, shape, p) => adaRound.Round(plan.Node, name, w, shape, p));
                if (integer && plan.BiasInput is { } bias)
                    writer.Bias(plan.Node, bias, inputParams[0].Scale, weightScales);
                nodes.Add(new NodeReport(ReportName(plan.Node), plan.Node.OpType, settings.WeightType.RecipeName(), settings.WeightType.BitWidth(), null, null));
            }
            // The output Q only exists to let ORT fuse integer kernels; float8 has none.
            if (integer)
                writer.Activation(plan.OutputTensor, effective[plan.OutputTensor]);
        }

        if (integer)
        {
            // What stays fp32 (ops kept out of int8, or not selected) keeps its spelled-out hard-swishes: one HardSwish
            // each, and the Mul by 6 it leaves is absorbed downstream where possible.
            var sixes = HardSwishFusion.Apply(editor, out _, model);
            ScalarMulSinking.Apply(editor, sixes, model);
            FloatWeightGuard.Apply(editor);
        }
        if (adaRound?.Summary() is { } rounding)
            warnings.Add(rounding);
        if (correction is { Corrected: 0 })
            warnings.Add("bias-correction found no Conv or Gemm (transA = 0) whose input could be measured; no bias was corrected.");
        editor.SortTopologically();
        editor.RemoveUnusedInitializers();
        editor.DropStaleValueInfo();
        if (settings.IsFloat8)
            warnings.Add("Float8 QDQ is simulated: ONNX Runtime on CPU has no float8 kernels, so it dequantizes and runs fp32; " +
                "the model is smaller on disk but not faster.");
        progress?.Report(1.0);
        return new QuantizedModel(proto, nodes, warnings, Simulated: settings.IsFloat8);
    }

    /// <summary>The name a node is reported (and can be kept in fp32) under: its name, else its first output.</summary>
    public static string ReportName(Onnx.Proto.NodeProto node) => node.Name.Length > 0 ? node.Name : node.Output[0];

    /// <summary>
    /// Per-tensor statistics through a cache shared by repeated runs (<see cref="StaticQdqOptions"/>): the cached
    /// values when it holds every tensor, else <paramref name="measure"/>'s, which are then added to it.
    /// </summary>
    private static IReadOnlyDictionary<string, T> Cached<T>(IReadOnlyCollection<string> tensors, IDictionary<string, T>? cache,
        Func<IReadOnlyDictionary<string, T>> measure)
    {
        if (cache is not null && tensors.All(cache.ContainsKey))
            return tensors.ToDictionary(t => t, t => cache[t], StringComparer.Ordinal);
        var measured = measure();
        if (cache is not null)
            foreach (var (tensor, value) in measured)
                cache[tensor] = value;
        return measured;
    }

    /// <summary>
    /// The range each Q uses: calibrated, except a shared-parameter op's output, which takes its input's (in graph
    /// order, so a MaxPool after a Resize inherits through both).
    /// </summary>
    private static Dictionary<string, (float Min, float Max)> EffectiveRanges(IReadOnlyList<QdqNodePlan> plans,
        IReadOnlyDictionary<string, (float Min, float Max)> calibrated)
    {
        var effective = new Dictionary<string, (float Min, float Max)>(calibrated, StringComparer.Ordinal);
        foreach (var p in plans.Where(p => p.OutputSharesInputParams))
            effective[p.OutputTensor] = effective[p.InputTensors[0]];
        return effective;
    }
}
