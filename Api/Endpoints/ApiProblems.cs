using ElectraLab.Contracts.Sweeps;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ElectraLab.Api.Endpoints;

/// <summary>Problem responses that name the offending field: <c>errors: { "search.grid.mask_prob": ["..."] }</c>.</summary>
internal static class ApiProblems
{
    public static ValidationProblem Field(string field, string problem, string title = "The request is not valid.") =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [problem] }, title: title,
            extensions: new Dictionary<string, object?> { ["field"] = field });

    public static ValidationProblem Spec(SweepSpecException e) => Field(e.Field, e.Problem, "The sweep spec cannot run.");
}
