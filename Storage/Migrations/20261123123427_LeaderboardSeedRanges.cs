using ElectraLab.Storage.Results;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ElectraLab.Storage.Migrations
{
    /// <inheritdoc />
    public partial class LeaderboardSeedRanges : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "seed_ranges",
                table: "leaderboard_entries",
                type: "jsonb",
                nullable: false,
                defaultValueSql: "'{}'::jsonb");

            // Entries written before this migration get their seed ranges from the stored results, as
            // EvaluationResultStore computes them: the latest evaluated checkpoint of each task metric.
            var defs = string.Join(", ", Benchmarks.Columns.Select(c => $"('{c.Benchmark}', '{c.Column}', '{c.Task}', '{c.Metric}')"));
            migrationBuilder.Sql($"""
                WITH defs AS (SELECT * FROM (VALUES {defs}) AS d(benchmark, col, task, metric)),
                latest AS (
                    SELECT experiment_id, task, metric, max(checkpoint_step) AS step
                    FROM evaluation_results GROUP BY experiment_id, task, metric),
                spread AS (
                    SELECT r.experiment_id, r.task, r.metric, min(r.value) AS lo, max(r.value) AS hi, count(*) AS seeds
                    FROM evaluation_results r
                    JOIN latest l ON l.experiment_id = r.experiment_id AND l.task = r.task AND l.metric = r.metric
                                 AND l.step = r.checkpoint_step
                    GROUP BY r.experiment_id, r.task, r.metric),
                ranges AS (
                    SELECT s.experiment_id, d.benchmark, jsonb_object_agg(d.col, jsonb_build_array(s.lo, s.hi, s.seeds)) AS ranges
                    FROM spread s JOIN defs d ON d.task = s.task AND d.metric = s.metric
                    GROUP BY s.experiment_id, d.benchmark)
                UPDATE leaderboard_entries l SET seed_ranges = ranges.ranges
                FROM ranges WHERE l.experiment_id = ranges.experiment_id AND l.benchmark = ranges.benchmark
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "seed_ranges",
                table: "leaderboard_entries");
        }
    }
}
