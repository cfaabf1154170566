using Microsoft.EntityFrameworkCore;
using Qaas.Storage.Entities;

namespace Qaas.Storage;

/// <summary>Metadata tables. The schema itself comes from Migrations/*.sql (MigrationRunner); this maps onto it.</summary>
public sealed class QaasDbContext(DbContextOptions<QaasDbContext> options) : DbContext(options)
{
    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<ModelRecord> Models => Set<ModelRecord>();
    public DbSet<ModelFile> ModelFiles => Set<ModelFile>();
    public DbSet<DatasetRecord> Datasets => Set<DatasetRecord>();
    public DbSet<JobRecord> Jobs => Set<JobRecord>();
    public DbSet<JobEvent> JobEvents => Set<JobEvent>();
    public DbSet<ArtifactRecord> Artifacts => Set<ArtifactRecord>();
    public DbSet<JobMetric> JobMetrics => Set<JobMetric>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<Tenant>(e =>
        {
            e.ToTable("tenants");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });
        b.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Prefix).HasColumnName("prefix");
            e.Property(x => x.KeyHash).HasColumnName("key_hash");
            e.Property(x => x.Role).HasColumnName("role");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.RevokedAt).HasColumnName("revoked_at");
        });
        b.Entity<ModelRecord>(e =>
        {
            e.ToTable("models");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.BlobSha256).HasColumnName("blob_sha256");
            e.Property(x => x.SizeBytes).HasColumnName("size_bytes");
            e.Property(x => x.Description).HasColumnName("description").HasColumnType("jsonb");
            e.Property(x => x.ParentModelId).HasColumnName("parent_model_id");
            e.Property(x => x.JobId).HasColumnName("job_id");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.HasMany(x => x.Files).WithOne().HasForeignKey(f => f.ModelId);
        });
        b.Entity<ModelFile>(e =>
        {
            e.ToTable("model_files");
            e.HasKey(x => new { x.ModelId, x.FileName });
            e.Property(x => x.ModelId).HasColumnName("model_id");
            e.Property(x => x.FileName).HasColumnName("file_name");
            e.Property(x => x.BlobSha256).HasColumnName("blob_sha256");
            e.Property(x => x.SizeBytes).HasColumnName("size_bytes");
        });
        b.Entity<DatasetRecord>(e =>
        {
            e.ToTable("datasets");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.BlobSha256).HasColumnName("blob_sha256");
            e.Property(x => x.SizeBytes).HasColumnName("size_bytes");
            e.Property(x => x.Format).HasColumnName("format");
            e.Property(x => x.Samples).HasColumnName("samples");
            e.Property(x => x.Arrays).HasColumnName("arrays").HasColumnType("jsonb");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });
        b.Entity<JobRecord>(e =>
        {
            e.ToTable("jobs");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.TenantId).HasColumnName("tenant_id");
            e.Property(x => x.ModelId).HasColumnName("model_id");
            e.Property(x => x.Recipe).HasColumnName("recipe").HasColumnType("jsonb");
            e.Property(x => x.Preset).HasColumnName("preset");
            e.Property(x => x.CalibrationDatasetId).HasColumnName("calibration_dataset_id");
            e.Property(x => x.EvaluationDatasetId).HasColumnName("evaluation_dataset_id");
            e.Property(x => x.InputShapes).HasColumnName("input_shapes").HasColumnType("jsonb");
            e.Property(x => x.Status).HasColumnName("status");
            e.Property(x => x.Stage).HasColumnName("stage");
            e.Property(x => x.Progress).HasColumnName("progress");
            e.Property(x => x.Pool).HasColumnName("pool");
            e.Property(x => x.Priority).HasColumnName("priority");
            e.Property(x => x.IdempotencyKey).HasColumnName("idempotency_key");
            e.Property(x => x.RequestHash).HasColumnName("request_hash");
            e.Property(x => x.Error).HasColumnName("error").HasColumnType("jsonb");
            e.Property(x => x.Metrics).HasColumnName("metrics").HasColumnType("jsonb");
            e.Property(x => x.WebhookUrl).HasColumnName("webhook_url");
            e.Property(x => x.CancelRequested).HasColumnName("cancel_requested");
            e.Property(x => x.Attempts).HasColumnName("attempts");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.StartedAt).HasColumnName("started_at");
            e.Property(x => x.FinishedAt).HasColumnName("finished_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.HasMany(x => x.Artifacts).WithOne().HasForeignKey(a => a.JobId);
        });
        b.Entity<JobEvent>(e =>
        {
            e.ToTable("job_events");
            e.Property(x => x.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            e.Property(x => x.JobId).HasColumnName("job_id");
            e.Property(x => x.Type).HasColumnName("type");
            e.Property(x => x.Payload).HasColumnName("payload").HasColumnType("jsonb");
            e.HasOne<JobRecord>().WithMany().HasForeignKey(x => x.JobId);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });
        b.Entity<ArtifactRecord>(e =>
        {
            e.ToTable("artifacts");
            e.HasKey(x => new { x.JobId, x.Name });
            e.Property(x => x.JobId).HasColumnName("job_id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.BlobSha256).HasColumnName("blob_sha256");
            e.Property(x => x.SizeBytes).HasColumnName("size_bytes");
            e.Property(x => x.ContentType).HasColumnName("content_type");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });
        b.Entity<JobMetric>(e =>
        {
            e.ToTable("job_metrics");
            e.HasKey(x => new { x.JobId, x.Name });
            e.Property(x => x.JobId).HasColumnName("job_id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Value).HasColumnName("value");
            e.HasOne<JobRecord>().WithMany().HasForeignKey(x => x.JobId);
        });
    }
}
