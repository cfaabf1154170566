using Qaas.Onnx.Proto;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;
using Qaas.Runtime.Tests.Infrastructure;

namespace Qaas.Runtime.Tests.Conformance;

public enum CaseOutcome { Passed, Failed, Skipped }

/// <summary>Result of one backend test case; <see cref="Reason"/> explains failures and skips.</summary>
public sealed record CaseResult(string Name, CaseOutcome Outcome, string Reason = "");

/// <summary>One ONNX backend test case: model.onnx plus test_data_set_N/{input,output}_K.pb.</summary>
public sealed class ConformanceCase(string directory)
{
    public string Directory { get; } = directory;

    /// <summary>"suite/case", e.g. "node/test_add".</summary>
    public string Name { get; } = $"{Path.GetFileName(Path.GetDirectoryName(directory))}/{Path.GetFileName(directory)}";

    public static IEnumerable<ConformanceCase> Discover(params string[] suites) =>
        suites.SelectMany(s => System.IO.Directory.EnumerateDirectories(Path.Combine(RepositoryPaths.OnnxTestData, s)))
            .Where(d => File.Exists(Path.Combine(d, "model.onnx")))
            .Order(StringComparer.Ordinal)
            .Select(d => new ConformanceCase(d));

    public CaseResult Run()
    {
        InferenceSession session;
        try
        {
            session = InferenceSession.Create(File.ReadAllBytes(Path.Combine(Directory, "model.onnx")), TestModels.SingleThread);
        }
        catch (OrtException e)
        {
            return new CaseResult(Name, CaseOutcome.Skipped, $"ORT rejects model: {e.ErrorCode}: {FirstLine(e.OrtMessage)}");
        }

        using (session)
        {
            var nonTensor = session.Inputs.Concat(session.Outputs).FirstOrDefault(v => !v.IsTensor);
            if (nonTensor is not null)
                return new CaseResult(Name, CaseOutcome.Skipped, $"non-tensor value: {nonTensor.Kind}");

            var dataSets = System.IO.Directory.EnumerateDirectories(Directory, "test_data_set_*").Order(StringComparer.Ordinal).ToList();
            if (dataSets.Count == 0)
                return new CaseResult(Name, CaseOutcome.Skipped, "no test data");
            foreach (var dataSet in dataSets)
            {
                string? failure;
                try
                {
                    failure = RunDataSet(session, dataSet);
                }
                catch (NotSupportedException e)
                {
                    return new CaseResult(Name, CaseOutcome.Skipped, $"unsupported by the binding: {e.Message}");
                }
                if (failure is not null)
                    return new CaseResult(Name, CaseOutcome.Failed, $"{Path.GetFileName(dataSet)}: {failure}");
            }
            return new CaseResult(Name, CaseOutcome.Passed);
        }
    }

    private static string? RunDataSet(InferenceSession session, string dataSet)
    {
        var inputs = new List<NamedTensor>();
        foreach (var (file, index) in NumberedFiles(dataSet, "input"))
        {
            var proto = TensorProto.Parser.ParseFrom(File.ReadAllBytes(file));
            // Match by the tensor's name when it names a graph input, else by position.
            var name = session.Inputs.Any(i => i.Name == proto.Name) ? proto.Name
                : index < session.Inputs.Count ? session.Inputs[index].Name
                : null;
            if (name is null)
                return $"input_{index}.pb has no matching graph input";
            inputs.Add(new NamedTensor(name, TensorProtoConverter.ToTensor(proto, session.Inputs.First(i => i.Name == name).ElementType)));
        }

        IReadOnlyList<NamedTensor> actual;
        try
        {
            actual = session.Run(inputs);
        }
        catch (OrtException e)
        {
            return $"run failed: {e.ErrorCode}: {FirstLine(e.OrtMessage)}";
        }

        foreach (var (file, index) in NumberedFiles(dataSet, "output"))
        {
            if (index >= actual.Count)
                return $"output_{index}.pb has no matching graph output";
            var expected = TensorProtoConverter.ToTensor(TensorProto.Parser.ParseFrom(File.ReadAllBytes(file)), actual[index].Tensor.ElementType);
            var difference = TensorComparer.Difference(expected, actual[index].Tensor);
            if (difference is not null)
                return $"output '{actual[index].Name}': {difference}";
        }
        return null;
    }

    private static IEnumerable<(string File, int Index)> NumberedFiles(string dataSet, string prefix) =>
        System.IO.Directory.EnumerateFiles(dataSet, $"{prefix}_*.pb")
            .Select(f => (f, int.Parse(Path.GetFileNameWithoutExtension(f)[(prefix.Length + 1)..])))
            .OrderBy(t => t.Item2);

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
