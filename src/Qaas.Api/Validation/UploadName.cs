using Qaas.Api.Problems;

namespace Qaas.Api.Validation;

/// <summary>The `name` of an uploaded model or dataset: checked before the body is read, so a refused upload stores nothing.</summary>
public static class UploadName
{
    public const int MaxLength = 200;

    public static void Check(string? name)
    {
        if (name is { Length: > MaxLength })
            throw ApiProblemException.Field("name", $"must be at most {MaxLength} characters (got {name.Length}).");
    }
}
