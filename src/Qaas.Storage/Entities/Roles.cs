namespace Qaas.Storage.Entities;

public static class Roles
{
    public const string Admin = "admin";
    public const string Member = "member";
    public static bool IsValid(string? role) => role is Admin or Member;
}
