using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ElectraLab.Storage.Migrations
{
    /// <inheritdoc />
    public partial class OrleansSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(EmbeddedSql.Read("Orleans.orleans-schema.sql"));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                "DROP TABLE IF EXISTS orleans_reminders, orleans_storage, orleans_membership, " +
                "orleans_membership_version, orleansquery;");
        }
    }
}
