using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ElectraLab.Storage.Migrations
{
    /// <summary>
    /// SQL only (the model is unchanged, so no snapshot): every statement that changes a table the cached read models
    /// are built from sends one notification on <c>electralab_read_models</c> when its transaction commits
    /// (<see cref="ReadModels.ReadModelChannel"/>). A trigger rather than the writers themselves, so that no write path,
    /// including a migration or a hand-run UPDATE, can forget it.
    /// </summary>
    [DbContext(typeof(ElectraLabDbContext))]
    [Migration("20261215090000_ReadModelChangeNotifications")]
    public partial class ReadModelChangeNotifications : Migration
    {
        // What the leaderboard, the experiment list and an experiment's details read (metric_rollups: the list's step).
        private static readonly string[] Tables =
            ["sweeps", "experiments", "jobs", "evaluation_results", "leaderboard_entries", "checkpoints", "metric_rollups"];

        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Statement level: a COPY or a batch of a thousand rows is one notification, and PostgreSQL folds identical
            // notifications of one transaction into one.
            migrationBuilder.Sql("""
                CREATE FUNCTION notify_read_models_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('electralab_read_models', '');
                    RETURN NULL;
                END $$;
                """);
            foreach (var table in Tables)
            {
                migrationBuilder.Sql($"""
                    CREATE TRIGGER {table}_notify_read_models AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                        FOR EACH STATEMENT EXECUTE FUNCTION notify_read_models_changed();
                    """);
            }
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in Tables)
            {
                migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_notify_read_models ON {table};");
            }
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS notify_read_models_changed();");
        }
    }
}
