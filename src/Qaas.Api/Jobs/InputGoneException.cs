namespace Qaas.Api.Jobs;

/// <summary>
/// A model or dataset a job needs was deleted between the job's submission and its start (a delete that raced the
/// submission): the client's own conflicting requests, reported as a 409 rather than as the service's failure.
/// </summary>
public sealed class InputGoneException(string message) : Exception(message);
