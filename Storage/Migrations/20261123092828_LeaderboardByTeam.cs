using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ElectraLab.Storage.Migrations
{
    /// <inheritdoc />
    public partial class LeaderboardByTeam : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_leaderboard_entries_benchmark_score",
                table: "leaderboard_entries");

            migrationBuilder.AddColumn<Guid>(
                name: "team_id",
                table: "leaderboard_entries",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"));

            migrationBuilder.CreateIndex(
                name: "ix_experiments_team_id_id_covering",
                table: "experiments",
                columns: new[] { "team_id", "id" })
                .Annotation("Npgsql:IndexInclude", new[] { "name", "objective", "generator_size", "model_size", "params", "train_flops", "status", "tags", "created_at" });

            // Entries written before this migration learn their experiment's team; then a team's leaderboard is read
            // in score order, partial scores (null) last, straight from one index.
            migrationBuilder.Sql(
                "UPDATE leaderboard_entries l SET team_id = e.team_id FROM experiments e WHERE e.id = l.experiment_id;");
            migrationBuilder.Sql(
                "CREATE INDEX ix_leaderboard_entries_team_benchmark_score ON leaderboard_entries " +
                "(team_id, benchmark, score DESC NULLS LAST, experiment_id);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX IF EXISTS ix_leaderboard_entries_team_benchmark_score;");
            migrationBuilder.DropIndex(
                name: "ix_experiments_team_id_id_covering",
                table: "experiments");

            migrationBuilder.DropColumn(
                name: "team_id",
                table: "leaderboard_entries");

            migrationBuilder.CreateIndex(
                name: "ix_leaderboard_entries_benchmark_score",
                table: "leaderboard_entries",
                columns: new[] { "benchmark", "score" });
        }
    }
}
