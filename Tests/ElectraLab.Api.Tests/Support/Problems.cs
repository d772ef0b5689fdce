using System.Net;
using System.Text.Json;

namespace ElectraLab.Api.Tests.Support;

public static class Problems
{
    /// <summary>Asserts a 400 application/problem+json whose <c>errors</c> names <paramref name="field"/>.</summary>
    public static async Task AssertFieldAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400 naming {field}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(body);
        var errors = document.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"expected the problem to name {field}: {body}");
    }
}
