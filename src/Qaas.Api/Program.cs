namespace Qaas.Api;
public static class Program { public static void Main() {} }
