using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ElectraLab.Storage.Migrations
{
    /// <inheritdoc />
    public partial class Datasets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "dataset_name",
                table: "experiments",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "dataset_sha256",
                table: "experiments",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "vocab_sha256",
                table: "experiments",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "vocab_size",
                table: "experiments",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "datasets",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    team_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    sha256 = table.Column<string>(type: "text", nullable: false),
                    bytes = table.Column<long>(type: "bigint", nullable: false),
                    chunk_size = table.Column<int>(type: "integer", nullable: false),
                    chunk_count = table.Column<int>(type: "integer", nullable: false),
                    examples = table.Column<long>(type: "bigint", nullable: false),
                    tokens = table.Column<long>(type: "bigint", nullable: false),
                    max_seq_length = table.Column<int>(type: "integer", nullable: false),
                    lower_case = table.Column<bool>(type: "boolean", nullable: false),
                    vocab_sha256 = table.Column<string>(type: "text", nullable: false),
                    vocab_size = table.Column<int>(type: "integer", nullable: false),
                    created_by = table.Column<Guid>(type: "uuid", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    published_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_datasets", x => x.id);
                    table.ForeignKey(
                        name: "fk_datasets_teams_team_id",
                        column: x => x.team_id,
                        principalTable: "teams",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_datasets_users_created_by",
                        column: x => x.created_by,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "dataset_chunks",
                columns: table => new
                {
                    dataset_id = table.Column<Guid>(type: "uuid", nullable: false),
                    index = table.Column<int>(type: "integer", nullable: false),
                    data = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_dataset_chunks", x => new { x.dataset_id, x.index });
                    table.ForeignKey(
                        name: "fk_dataset_chunks_datasets_dataset_id",
                        column: x => x.dataset_id,
                        principalTable: "datasets",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_datasets_created_by",
                table: "datasets",
                column: "created_by");

            migrationBuilder.CreateIndex(
                name: "ix_datasets_sha256",
                table: "datasets",
                column: "sha256");

            migrationBuilder.CreateIndex(
                name: "ux_datasets_version",
                table: "datasets",
                columns: new[] { "team_id", "name", "sha256" },
                unique: true);

            // Shards are already dense binary: compressing them again only costs CPU (as for checkpoint chunks).
            migrationBuilder.Sql("ALTER TABLE dataset_chunks ALTER COLUMN data SET STORAGE EXTERNAL;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "dataset_chunks");

            migrationBuilder.DropTable(
                name: "datasets");

            migrationBuilder.DropColumn(
                name: "dataset_name",
                table: "experiments");

            migrationBuilder.DropColumn(
                name: "dataset_sha256",
                table: "experiments");

            migrationBuilder.DropColumn(
                name: "vocab_sha256",
                table: "experiments");

            migrationBuilder.DropColumn(
                name: "vocab_size",
                table: "experiments");
        }
    }
}
