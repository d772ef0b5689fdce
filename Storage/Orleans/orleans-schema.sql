-- ElectraLab's PostgreSQL schema for the Orleans ADO.NET providers (clustering, grain persistence, reminders).
-- Written for this project. The providers read their statements from OrleansQuery by key and bind parameters by
-- name (@DeploymentId, @Version, ...); result columns are aliased to the names the providers read.
-- Idempotent: safe to apply again on a database that already has it.

CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64) PRIMARY KEY,
    querytext text        NOT NULL
);

-- Membership: one version row per cluster (the table's optimistic-concurrency etag) and one row per silo.
CREATE TABLE IF NOT EXISTS orleans_membership_version
(
    deployment_id text        PRIMARY KEY,
    version       integer     NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orleans_membership
(
    deployment_id  text        NOT NULL REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
    address        text        NOT NULL,
    port           integer     NOT NULL,
    generation     integer     NOT NULL,
    silo_name      text        NOT NULL,
    host_name      text        NOT NULL,
    status         integer     NOT NULL,
    proxy_port     integer     NULL,
    suspect_times  text        NULL,
    start_time     timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

-- Grain state: the natural key is (service, grain type, grain id); the hashes only narrow the index.
CREATE TABLE IF NOT EXISTS orleans_storage
(
    grain_id_hash      integer     NOT NULL,
    grain_id_n0        bigint      NOT NULL,
    grain_id_n1        bigint      NOT NULL,
    grain_type_hash    integer     NOT NULL,
    grain_type_string  text        NOT NULL,
    grain_id_extension text        NULL,
    service_id         text        NOT NULL,
    payload_binary     bytea       NULL,
    modified_on        timestamptz NOT NULL DEFAULT now(),
    version            integer     NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_orleans_storage_hashes ON orleans_storage (grain_id_hash, grain_type_hash);
CREATE UNIQUE INDEX IF NOT EXISTS ux_orleans_storage_key
    ON orleans_storage (service_id, grain_type_string, grain_id_n0, grain_id_n1, coalesce(grain_id_extension, ''));

CREATE TABLE IF NOT EXISTS orleans_reminders
(
    service_id    text        NOT NULL,
    grain_id      text        NOT NULL,
    reminder_name text        NOT NULL,
    start_time    timestamptz NOT NULL,
    period        bigint      NOT NULL,
    grain_hash    integer     NOT NULL,
    version       integer     NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);
CREATE INDEX IF NOT EXISTS ix_orleans_reminders_hash ON orleans_reminders (service_id, grain_hash);

-- Queries. ON CONFLICT keeps the keys current when this script changes and is applied again.
INSERT INTO orleansquery (querykey, querytext) VALUES

('InsertMembershipVersionKey', $q$
WITH inserted AS (
    INSERT INTO orleans_membership_version (deployment_id) VALUES (@DeploymentId)
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1)
SELECT EXISTS (SELECT 1 FROM inserted);
$q$),

-- The version row is locked first, so a silo row is inserted and the version bumped together or not at all.
('InsertMembershipKey', $q$
WITH current_version AS (
    SELECT deployment_id FROM orleans_membership_version
    WHERE deployment_id = @DeploymentId AND version = @Version
    FOR UPDATE),
inserted AS (
    INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name, host_name, status,
                                    proxy_port, start_time, i_am_alive_time)
    SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status,
           @ProxyPort, @StartTime, @IAmAliveTime
    FROM current_version
    ON CONFLICT DO NOTHING
    RETURNING 1),
bumped AS (
    UPDATE orleans_membership_version SET version = version + 1, updated_at = now()
    WHERE deployment_id = @DeploymentId AND version = @Version AND EXISTS (SELECT 1 FROM inserted)
    RETURNING 1)
SELECT EXISTS (SELECT 1 FROM bumped);
$q$),

('UpdateMembershipKey', $q$
WITH current_version AS (
    SELECT deployment_id FROM orleans_membership_version
    WHERE deployment_id = @DeploymentId AND version = @Version
    FOR UPDATE),
updated AS (
    UPDATE orleans_membership m
    SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
    FROM current_version v
    WHERE m.deployment_id = v.deployment_id AND m.address = @Address AND m.port = @Port
      AND m.generation = @Generation
    RETURNING 1),
bumped AS (
    UPDATE orleans_membership_version SET version = version + 1, updated_at = now()
    WHERE deployment_id = @DeploymentId AND version = @Version AND EXISTS (SELECT 1 FROM updated)
    RETURNING 1)
SELECT EXISTS (SELECT 1 FROM bumped);
$q$),

('UpdateIAmAlivetimeKey', $q$
UPDATE orleans_membership SET i_am_alive_time = @IAmAliveTime
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation;
$q$),

-- Always one row per cluster (the version), outer-joined to the silo rows.
('MembershipReadAllKey', $q$
SELECT v.deployment_id AS "DeploymentId", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
       m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime",
       v.version AS "Version"
FROM orleans_membership_version v
LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId;
$q$),

('MembershipReadRowKey', $q$
SELECT v.deployment_id AS "DeploymentId", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
       m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime",
       v.version AS "Version"
FROM orleans_membership_version v
LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
    AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId;
$q$),

('GatewaysQueryKey', $q$
SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
FROM orleans_membership
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0;
$q$),

('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleans_membership WHERE deployment_id = @DeploymentId;
DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId;
$q$),

-- Status 6 is SiloStatus.Dead.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId AND i_am_alive_time < @IAmAliveTime AND status = 6;
$q$),

('CleanupDefunctSiloEntryKey', $q$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
  AND status = 6 AND suspect_times IS NOT DISTINCT FROM @SuspectTimes::text;
$q$),

-- Optimistic concurrency: a null @GrainStateVersion inserts version 1 only if no row exists; otherwise the row is
-- updated only if its version matches. A mismatch returns NULL, which the provider reports as inconsistent state.
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE orleans_storage
    SET payload_binary = @PayloadBinary, modified_on = now(), version = version + 1
    WHERE service_id = @ServiceId AND grain_type_string = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND coalesce(grain_id_extension, '') = coalesce(@GrainIdExtensionString::text, '')
      AND grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
      AND @GrainStateVersion::integer IS NOT NULL AND version = @GrainStateVersion::integer
    RETURNING version),
inserted AS (
    INSERT INTO orleans_storage (grain_id_hash, grain_id_n0, grain_id_n1, grain_type_hash, grain_type_string,
                                 grain_id_extension, service_id, payload_binary, version)
    SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
           @GrainIdExtensionString::text, @ServiceId, @PayloadBinary, 1
    WHERE @GrainStateVersion::integer IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version)
SELECT (SELECT version FROM updated UNION ALL SELECT version FROM inserted LIMIT 1) AS "NewGrainStateVersion";
$q$),

('ReadFromStorageKey', $q$
SELECT payload_binary AS "PayloadBinary", modified_on AS "ModifiedOn", version AS "Version"
FROM orleans_storage
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND service_id = @ServiceId AND grain_type_string = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND coalesce(grain_id_extension, '') = coalesce(@GrainIdExtensionString::text, '');
$q$),

('ClearStorageKey', $q$
WITH cleared AS (
    UPDATE orleans_storage
    SET payload_binary = NULL, modified_on = now(), version = version + 1
    WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
      AND service_id = @ServiceId AND grain_type_string = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND coalesce(grain_id_extension, '') = coalesce(@GrainIdExtensionString::text, '')
      AND version = @GrainStateVersion::integer
    RETURNING version)
SELECT (SELECT version FROM cleared) AS "Version";
$q$),

-- Reminders. @GrainHash, @BeginHash and @EndHash are the uint ring hashes reinterpreted as signed integers.
('UpsertReminderRowKey', $q$
INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
SET start_time = excluded.start_time, period = excluded.period, grain_hash = excluded.grain_hash,
    version = orleans_reminders.version + 1
RETURNING version AS "Version";
$q$),

('ReadReminderRowsKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime", period AS "Period",
       version AS "Version"
FROM orleans_reminders WHERE service_id = @ServiceId AND grain_id = @GrainId;
$q$),

('ReadReminderRowKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime", period AS "Period",
       version AS "Version"
FROM orleans_reminders WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName;
$q$),

-- The ring range (BeginHash, EndHash] when it does not wrap in signed order...
('ReadRangeRows1Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime", period AS "Period",
       version AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash;
$q$),

-- ...and when it does.
('ReadRangeRows2Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime", period AS "Period",
       version AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash);
$q$),

('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM orleans_reminders
    WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
      AND version = @Version
    RETURNING 1)
SELECT EXISTS (SELECT 1 FROM deleted);
$q$),

('DeleteReminderRowsKey', $q$
DELETE FROM orleans_reminders WHERE service_id = @ServiceId;
$q$)

ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
