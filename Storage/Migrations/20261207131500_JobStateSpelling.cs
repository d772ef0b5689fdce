using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ElectraLab.Storage.Migrations
{
    /// <summary>
    /// Data only (the model is unchanged, so no snapshot): a job stopped early was stored as "stoppedearly", an
    /// experiment as "stopped-early"; both are now "stopped-early" (issue 16: one spelling of every state).
    /// </summary>
    [DbContext(typeof(ElectraLabDbContext))]
    [Migration("20261207131500_JobStateSpelling")]
    public partial class JobStateSpelling : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("UPDATE jobs SET status = 'stopped-early' WHERE status = 'stoppedearly';");

        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("UPDATE jobs SET status = 'stoppedearly' WHERE status = 'stopped-early';");
    }
}
