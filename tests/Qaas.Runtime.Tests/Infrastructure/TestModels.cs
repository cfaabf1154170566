using Qaas.Runtime.Sessions;

namespace Qaas.Runtime.Tests.Infrastructure;

/// <summary>Opens single-operator models from the ONNX backend test data with one intra-op thread.</summary>
public static class TestModels
{
    public static readonly InferenceSessionOptions SingleThread = new() { IntraOpThreads = 1, InterOpThreads = 1, AllowSpinning = false };

    public static string NodeModelPath(string testCase) => Path.Combine(RepositoryPaths.OnnxTestData, "node", testCase, "model.onnx");

    public static InferenceSession OpenNode(string testCase) => InferenceSession.Create(File.ReadAllBytes(NodeModelPath(testCase)), SingleThread);
}
