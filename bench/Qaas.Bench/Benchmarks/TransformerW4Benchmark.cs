using System.Diagnostics;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Qaas.Bench.Measurement;
using Qaas.Bench.Reporting;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Search;
using Qaas.Quantization.WeightOnly;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Bench.Benchmarks;

/// <summary>
/// The 67M-parameter test transformer, fp32 against the w4-rtn preset (MatMulNBits), batch 1 at 1 and 128 tokens.
/// Both sessions: 1 intra-op thread, spinning off; runs alternate fp32/int4 and the speedup is the median of the pair
/// ratios. QAAS_W4_VARIANTS (default "b32", the preset before clip search and fusion; see <see cref="Variant"/>) picks the
/// study variants; QAAS_W4_PROFILE=1 prints ORT's
/// per-operator-type times for fp32 and each variant.
/// </summary>
public sealed class TransformerW4Benchmark : IBenchmark
{
    private static readonly int[] SequenceLengths = [1, 128];
    private const int WarmUp = 2;

    public string Name => "transformer-w4";

    public Task<BenchReport> RunAsync()
    {
        var o = TransformerOptions.Full;
        var fp32 = TransformerModelBuilder.Build(o);
        var fp32Bytes = fp32.ToByteArray();
        var preset = RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn" });
        var report = new BenchReport(Name, $"test transformer ({o.ParameterCount / 1e6:F0}M parameters, dim {o.Dim}, {o.Blocks} blocks, vocab {o.Vocab}), fp32 vs w4-rtn MatMulNBits, batch 1");
        var inputs = SequenceLengths.ToDictionary(s => s, s => Tokens(o, s));
        using var reference = InferenceSession.Create(fp32Bytes, SessionOptions());
        var expected = inputs.ToDictionary(p => p.Key, p => Run(reference, p.Value));
        bool profile = Environment.GetEnvironmentVariable("QAAS_W4_PROFILE") == "1";

        var variants = new List<(string Label, Recipe Recipe, MatMulNBitsOptions Options)> { ("w4-rtn preset", preset, MatMulNBitsOptions.Default) };
        // Default study variants: the preset's weights without its int8 prompt path (MatMulNBits at every length), and
        // the preset as it was first (block 32, plain RTN scales, nothing fused).
        foreach (var spec in (Environment.GetEnvironmentVariable("QAAS_W4_VARIANTS") ?? "b256+clip+fuse+head32,b32").Split(',', StringSplitOptions.RemoveEmptyEntries))
            variants.Add(Variant(spec.Trim(), preset));

        foreach (var (label, recipe, options) in variants)
        {
            var sw = Stopwatch.StartNew();
            var weights = recipe.Weights ?? throw new InvalidOperationException($"variant {label} has no weight spec");
            var calibration = recipe.MixedPrecision?.Objective == "latency" ? Calibration(o, tokens: 1)
                : weights.Algorithm is "awq" or "gptq" || recipe.MixedPrecision is not null ? Calibration(o) : null;
            var result = recipe.MixedPrecision is not null
                ? MixedPrecisionSearch.Quantize(OnnxModel.FromProto(fp32), recipe, calibration!)
                : MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(fp32), recipe, options, calibration: calibration);
            var quantized = result.Model;
            foreach (var warning in result.Warnings.Where(w => w.StartsWith("Mixed precision", StringComparison.Ordinal)))
                report.Note($"[{label}] {warning}");
            // Packed weights are counted in the main graph, before the prefill branch moves them into its subgraphs.
            double weightRatio = (double)MatMulNBitsQuantizer.PackedWeightBytes(quantized) / FloatMatMulWeightBytes(fp32);
            PrefillBranch.ApplyFor(quantized, recipe.Prefill, recipe.Evaluation?.ExecutionProvider);
            double quantizeSeconds = sw.Elapsed.TotalSeconds;
            var bytes = quantized.ToByteArray();
            sw.Restart();
            using var session = InferenceSession.Create(bytes, SessionOptions());
            double loadSeconds = sw.Elapsed.TotalSeconds;
            var actual = inputs.ToDictionary(p => p.Key, p => Run(session, p.Value));
            double cosine = SequenceLengths.Min(s => Cosine(expected[s], actual[s]));
            int rows = SequenceLengths.Max();
            double worstToken = Enumerable.Range(0, rows).Min(t => Cosine(expected[rows].AsSpan(t * o.Vocab, o.Vocab), actual[rows].AsSpan(t * o.Vocab, o.Vocab)));
            double fileRatio = (double)bytes.Length / fp32Bytes.Length;
            bool isPreset = label == "w4-rtn preset";
            report.Figure($"[{label}]", $"{weights.Algorithm}, block {weights.GroupSize}, clip search {(options.ClipSearch ? "on" : "off")}, " +
                $"fused shared-input MatMulNBits {(options.FuseSharedInput ? "on" : "off")}, accuracy_level {options.AccuracyLevel}, head block {options.HeadBlockSize?.ToString() ?? "same"}, prefill {recipe.Prefill ?? "none"}; " +
                $"quantized in {quantizeSeconds:F1} s, session created in {loadSeconds:F1} s");
            foreach (var s in SequenceLengths)
            {
                var (fp32Ms, int4Ms, ratio) = Paired(reference, session, inputs[s], s == 1 ? 40 : 8);
                var line = $"{s} token{(s == 1 ? "" : "s")}: fp32 {fp32Ms:F1} ms, int4 {int4Ms:F1} ms (p50), fp32/int4";
                double target = s == 1 ? 4.0 : 1.5;
                if (isPreset) report.Target(line, $"{ratio:F2}x", $">= {target}x", ratio >= target);
                else report.Figure(line, $"{ratio:F2}x");
            }
            if (isPreset)
            {
                report.Target("output cosine vs fp32 (min over 1, 128 tokens)", $"{cosine:F4}", ">= 0.99", cosine >= 0.99);
                report.Figure("worst single-token logits cosine of the 128", $"{worstToken:F4}");
                report.Target("MatMul weight bytes vs fp32", $"{weightRatio:F3}x", "<= 0.16x", weightRatio <= 0.16);
                report.Target("file bytes vs fp32", $"{fileRatio:F3}x", "<= 0.3x", fileRatio <= 0.3);
            }
            else report.Figure("cosine (worst token) / weight / file bytes", $"{cosine:F4} ({worstToken:F4}) / {weightRatio:F3}x / {fileRatio:F3}x");
            if (profile) Profile(report, label, fp32Bytes, bytes, inputs);
        }
        return Task.FromResult(report.Note("1 intra-op thread, allow_spinning off, fp32 and int4 runs alternate in one process; " +
            "speedup = median of per-pair fp32/int4 ratios (40 pairs at 1 token, 8 at 128)"));
    }

    /// <summary>"b128+clip+fuse+acc0+head32+x=logits+awq": block size, then any of clip, fuse, acc{level}, head{block},
    /// x={excluded node}, the algorithm awq or gptq (calibrated on <see cref="Calibration"/>), and mix{ratio}: int4/int8
    /// mixed precision with the MatMul weights within that share of their fp32 bytes (default options), lat{ratio}: int4/int8
    /// mixed precision within that share of fp32's run time on a one-token calibration sample, and prefill: the
    /// int8 path for many-row inputs (recipe prefill "int8"; without it "none", whatever the preset says); unnamed
    /// switches are off.</summary>
    private static (string, Recipe, MatMulNBitsOptions) Variant(string spec, Recipe preset)
    {
        var parts = spec.Split('+');
        int block = int.Parse(parts[0].TrimStart('b'));
        long level = parts.FirstOrDefault(p => p.StartsWith("acc")) is { } acc ? long.Parse(acc[3..]) : 4;
        string algorithm = parts.FirstOrDefault(p => p is "awq" or "gptq") ?? "rtn";
        var recipe = preset with { Weights = preset.Weights! with { GroupSize = block, Algorithm = algorithm } };
        if (parts.FirstOrDefault(p => p.StartsWith("mix")) is { } mix)
            recipe = recipe with
            {
                MixedPrecision = new MixedPrecisionSpec
                {
                    Candidates = ["int4", "int8"], Objective = "size",
                    Budget = new BudgetSpec { SizeRatio = double.Parse(mix[3..], System.Globalization.CultureInfo.InvariantCulture) },
                },
            };
        var excluded = parts.Where(p => p.StartsWith("x=")).Select(p => p[2..]).ToList();
        if (excluded.Count > 0)
            recipe = recipe with { Nodes = recipe.Nodes! with { Exclude = new NodeFilter { Names = excluded } } };
        if (parts.FirstOrDefault(p => p.StartsWith("lat")) is { } lat)
            recipe = recipe with
            {
                MixedPrecision = new MixedPrecisionSpec
                {
                    Candidates = ["int4", "int8"], Objective = "latency",
                    Budget = new BudgetSpec { LatencyRatio = double.Parse(lat[3..], System.Globalization.CultureInfo.InvariantCulture) },
                },
            };
        recipe = recipe with { Prefill = parts.Contains("prefill") ? "int8" : "none" };
        int? head = parts.FirstOrDefault(p => p.StartsWith("head")) is { } h ? int.Parse(h[4..]) : null;
        return (spec, recipe, new MatMulNBitsOptions(level, parts.Contains("clip"), parts.Contains("fuse"), head));
    }

    /// <summary>16 random sequences of 64 tokens (or as many as asked: a latency budget is judged on the first), none of
    /// them the measured inputs.</summary>
    private static SampleFeed Calibration(TransformerOptions o, int tokens = 64) => new(() => Enumerable.Range(0, 16).Select(i =>
    {
        var random = new Random(500 + i);
        var ids = Enumerable.Range(0, tokens).Select(_ => (long)random.Next(o.Vocab)).ToArray();
        return (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { [TransformerModelBuilder.InputName] = Tensor.Create(ids, 1, tokens) };
    }), 16, synthetic: false);

    private static InferenceSessionOptions SessionOptions(string? profilePrefix = null) => new()
    {
        IntraOpThreads = 1, InterOpThreads = 1, AllowSpinning = false, ProfileFilePrefix = profilePrefix,
    };

    private static Dictionary<string, Tensor> Tokens(TransformerOptions o, int seq) => new()
    {
        [TransformerModelBuilder.InputName] = Tensor.Create(TransformerModelBuilder.TokenIds(1, seq, o.Vocab), 1, seq),
    };

    private static float[] Run(InferenceSession session, Dictionary<string, Tensor> inputs) =>
        session.Run(inputs).Values.First().ToArray<float>();

    private static double Cosine(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate)
    {
        var errors = new ErrorAccumulator();
        errors.Add(reference, candidate);
        return errors.CosineSimilarity;
    }

    private static (double Fp32Ms, double Int4Ms, double Ratio) Paired(InferenceSession fp32, InferenceSession int4,
        Dictionary<string, Tensor> inputs, int pairs)
    {
        return AlternatingRuns.Measure(() => fp32.Run(inputs), () => int4.Run(inputs), WarmUp, pairs);
    }

    private static long FloatMatMulWeightBytes(ModelProto m)
    {
        var inits = m.Graph.Initializer.ToDictionary(t => t.Name);
        return m.Graph.Node.Where(n => n.OpType == "MatMul" && inits.ContainsKey(n.Input[1]))
            .Sum(n => (long)inits[n.Input[1]].RawData.Length);
    }

    /// <summary>
    /// Per sequence length, an fp32 and an int4 profiling session run alternately (so load hits both alike); prints
    /// ms per run of each group and the fp32/int4 ratio of the weight MatMuls, projection by projection.
    /// </summary>
    private static void Profile(BenchReport report, string label, byte[] fp32, byte[] int4, Dictionary<int, Dictionary<string, Tensor>> inputs)
    {
        const int runs = 5;
        foreach (var (s, input) in inputs)
        {
            var prefixes = new[] { "fp32", "int4" }.Select(t => Path.Combine(Path.GetTempPath(), $"qaas-w4-{t}-{Environment.ProcessId}")).ToArray();
            using (var a = InferenceSession.Create(fp32, SessionOptions(prefixes[0])))
            using (var b = InferenceSession.Create(int4, SessionOptions(prefixes[1])))
                for (int i = 0; i < runs + 1; i++)
                {
                    a.Run(input);
                    b.Run(input);
                }
            var groups = prefixes.Select(prefix =>
            {
                var file = Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(prefix) + "*.json").Single();
                // Weight MatMuls by projection (the same one of every block together), everything else by op type.
                var g = Qaas.Runtime.Profiling.KernelProfile.KernelMicroseconds(file, (op, node) =>
                    op.StartsWith("MatMul", StringComparison.Ordinal) && !node.Contains("context") && !node.Contains("qk")
                        ? Regex.Replace(node, @"^block\d+\.|\.matmul|_Q\d+|_fused", "") : op);
                File.Delete(file);
                return g.ToDictionary(p => p.Key, p => p.Value / 1000.0 / runs);
            }).ToArray();
            string Line(Dictionary<string, double> g) => $"{g.Values.Sum():F1} total: " + string.Join(", ",
                g.OrderByDescending(p => p.Value).Take(10).Select(p => $"{p.Key} {p.Value:F2}"));
            report.Figure($"  profile {s} token(s), fp32 ms/run", Line(groups[0]));
            report.Figure($"  profile {s} token(s), {label} ms/run", Line(groups[1]));
            var projections = groups[1].Keys.Where(k => k.StartsWith("attn.", StringComparison.Ordinal) || k.StartsWith("mlp.", StringComparison.Ordinal) || k == "logits")
                .OrderBy(k => k).Select(k =>
                {
                    // Q, K and V fused: compare with the three fp32 projections together.
                    double f = k == "attn.q" && !groups[1].ContainsKey("attn.k")
                        ? groups[0].GetValueOrDefault("attn.q") + groups[0].GetValueOrDefault("attn.k") + groups[0].GetValueOrDefault("attn.v")
                        : groups[0].GetValueOrDefault(k);
                    return $"{(k == "attn.q" && !groups[1].ContainsKey("attn.k") ? "attn.qkv" : k)} {f / groups[1][k]:F2}x";
                });
            report.Figure($"  profile {s} token(s), fp32/int4 by projection", string.Join(", ", projections));
        }
    }
}
