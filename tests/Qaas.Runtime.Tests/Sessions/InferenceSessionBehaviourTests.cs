using Microsoft.Extensions.Logging;
using Qaas.Runtime.Providers;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;
using Qaas.Runtime.Tests.Infrastructure;

namespace Qaas.Runtime.Tests.Sessions;

public class InferenceSessionBehaviourTests
{
    private static readonly byte[] DetectorModel = File.ReadAllBytes(RepositoryPaths.Model("ppocr", "ch_PP-OCRv4_det_infer.onnx"));

    [Fact]
    public void Cancelling_a_run_throws_and_leaves_the_session_usable()
    {
        using var session = InferenceSession.Create(DetectorModel, TestModels.SingleThread);
        // A 1x3x1600x1600 detection takes seconds on one thread; the token fires long before it ends.
        var big = Tensor.Create(new float[3 * 1600 * 1600], 1, 3, 1600, 1600);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));

        var e = Assert.ThrowsAny<OperationCanceledException>(() => session.Run([new NamedTensor("x", big)], cancellationToken: cancellation.Token));
        Assert.Equal(cancellation.Token, e.CancellationToken);

        var small = session.Run([new NamedTensor("x", Tensor.Create(new float[3 * 64 * 64], 1, 3, 64, 64))], cancellationToken: CancellationToken.None);
        Assert.Equal([1L, 1, 64, 64], small.Single().Tensor.Shape);
    }

    [Fact]
    public void An_already_cancelled_token_does_not_start_a_run()
    {
        using var session = TestModels.OpenNode("test_relu");
        Assert.ThrowsAny<OperationCanceledException>(() =>
            session.Run([new NamedTensor("x", Tensor.Create(new float[60], 3, 4, 5))], cancellationToken: new CancellationToken(true)));
    }

    [Fact]
    public void A_profile_prefix_makes_ort_write_node_timings_on_dispose()
    {
        var folder = Directory.CreateTempSubdirectory("qaas-profile-");
        try
        {
            var prefix = Path.Combine(folder.FullName, "relu");
            using (var session = InferenceSession.Create(File.ReadAllBytes(TestModels.NodeModelPath("test_relu")),
                       TestModels.SingleThread with { ProfileFilePrefix = prefix }))
                session.Run([new NamedTensor("x", Tensor.Create(new float[60], 3, 4, 5))]);
            var file = Assert.Single(Directory.GetFiles(folder.FullName, "relu*.json"));
            using var trace = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
            Assert.Contains(trace.RootElement.EnumerateArray(), e => e.GetProperty("cat").GetString() == "Node"
                && e.GetProperty("args").TryGetProperty("op_name", out var op) && op.GetString() == "Relu");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Cuda_request_falls_back_to_cpu_and_logs_why()
    {
        var logger = new RecordingLogger();
        using var session = InferenceSession.Create(File.ReadAllBytes(TestModels.NodeModelPath("test_relu")),
            TestModels.SingleThread with { ExecutionProvider = ExecutionProviderKind.Cuda }, logger);

        Assert.Equal(ExecutionProviderKind.Cpu, session.ExecutionProvider);
        Assert.Equal("cpu", session.ExecutionProvider.ToName());
        Assert.False(string.IsNullOrWhiteSpace(session.ExecutionProviderFallbackReason));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("falling back to CPU") &&
                                             e.Message.Contains(session.ExecutionProviderFallbackReason!));

        var y = session.Run([new NamedTensor("x", Tensor.Create(Enumerable.Repeat(-1f, 60).ToArray(), 3, 4, 5))]);
        Assert.All(y.Single().Tensor.ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Cpu_request_reports_cpu_without_a_reason()
    {
        using var session = TestModels.OpenNode("test_relu");
        Assert.Equal(ExecutionProviderKind.Cpu, session.ExecutionProvider);
        Assert.Null(session.ExecutionProviderFallbackReason);
    }

    [Fact]
    public void Concurrent_runs_on_one_session_each_get_their_own_result()
    {
        using var session = TestModels.OpenNode("test_add");
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var x = Enumerable.Repeat((float)i, 60).ToArray();
            var y = Enumerable.Range(0, 60).Select(j => (float)j).ToArray();
            var sum = session.Run([new NamedTensor("x", Tensor.Create(x, 3, 4, 5)), new NamedTensor("y", Tensor.Create(y, 3, 4, 5))]);
            Assert.Equal(y.Select(v => v + i), sum.Single().Tensor.ToArray<float>());
        });
    }

    [Fact]
    public void Unknown_names_and_wrong_shapes_are_reported()
    {
        using var session = TestModels.OpenNode("test_relu");
        var e = Assert.Throws<ArgumentException>(() => session.Run([new NamedTensor("nope", Tensor.Create(new float[60], 3, 4, 5))]));
        Assert.Contains("'nope'", e.Message);
        Assert.Contains("x", e.Message);

        Assert.Throws<ArgumentException>(() => session.Run([new NamedTensor("x", Tensor.Create(new float[60], 3, 4, 5))], ["missing"]));

        var ort = Assert.Throws<OrtException>(() => session.Run([new NamedTensor("x", Tensor.Create(new float[6], 2, 3))]));
        Assert.Equal(OrtErrorCode.InvalidArgument, ort.ErrorCode);
    }

    [Fact]
    public void A_broken_model_is_an_OrtException_with_its_code()
    {
        var e = Assert.Throws<OrtException>(() => InferenceSession.Create(new byte[] { 1, 2, 3, 4, 5 }, TestModels.SingleThread));
        Assert.Equal(OrtErrorCode.InvalidProtobuf, e.ErrorCode);
    }

    [Fact]
    public void Tensor_factories_check_data_length()
    {
        Assert.Throws<ArgumentException>(() => Tensor.Create(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => Tensor.Create(["a"], 2));
        Assert.Equal(5L, Tensor.FromBytes(TensorElementType.Int4, new byte[3], [5]).ElementCount); // 4-bit: two per byte
        Assert.Throws<ArgumentException>(() => Tensor.FromBytes(TensorElementType.Int4, new byte[2], [5]));
        Assert.Throws<InvalidCastException>(() => Tensor.Create(new float[1], 1).AsSpan<int>());
    }
}
