//! Numbered schema migrations, applied in order inside one transaction each; the version is
//! kept in `PRAGMA user_version`.

use rusqlite::Connection;

use super::ProjectError;

const MIGRATIONS: &[&str] = &[
    // 1: index of source files and the audit log.
    r#"
    CREATE TABLE patients (
        id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL,
        patient_name TEXT NOT NULL,
        birth_date TEXT,
        sex TEXT,
        UNIQUE (patient_id, patient_name)
    );
    CREATE TABLE studies (
        id INTEGER PRIMARY KEY,
        patient_ref INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
        study_uid TEXT NOT NULL UNIQUE,
        study_date TEXT,
        study_time TEXT,
        description TEXT,
        accession TEXT
    );
    CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        study_ref INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        series_uid TEXT NOT NULL UNIQUE,
        modality TEXT,
        number INTEGER,
        description TEXT,
        body_part TEXT
    );
    CREATE TABLE instances (
        id INTEGER PRIMARY KEY,
        series_ref INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
        sop_instance_uid TEXT NOT NULL UNIQUE,
        sop_class_uid TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime INTEGER NOT NULL,
        transfer_syntax TEXT NOT NULL,
        instance_number INTEGER,
        rows INTEGER,
        cols INTEGER,
        frames INTEGER,
        modality TEXT,
        manufacturer TEXT,
        model_name TEXT,
        meta_json TEXT NOT NULL
    );
    CREATE INDEX instances_series ON instances(series_ref);
    CREATE TABLE unreadable_files (
        path TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        seen_at TEXT NOT NULL
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        object TEXT,
        details TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    "#,
    // 2: per-project settings (e.g. the de-identification profile).
    r#"
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    "#,
    // 3: burned-in text review: proposals and decisions per instance, and device templates.
    r#"
    CREATE TABLE text_reviews (
        id INTEGER PRIMARY KEY,
        instance_ref INTEGER NOT NULL UNIQUE REFERENCES instances(id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'flagged')),
        risk INTEGER NOT NULL,
        proposed_json TEXT NOT NULL,
        boxes_json TEXT NOT NULL,
        reviewer TEXT,
        decided_at TEXT,
        comment TEXT
    );
    CREATE INDEX text_reviews_queue ON text_reviews(status, risk DESC);
    CREATE TABLE device_templates (
        id INTEGER PRIMARY KEY,
        manufacturer TEXT NOT NULL,
        model TEXT NOT NULL,
        rows INTEGER NOT NULL,
        cols INTEGER NOT NULL,
        sop_class TEXT NOT NULL,
        boxes_json TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (manufacturer, model, rows, cols, sop_class)
    );
    "#,
    // 4: annotation: the project's label table, label layers per series (one per annotator plus
    // consensus), their slices run-length encoded, and every edit as a delta (undo history).
    r#"
    CREATE TABLE labels (
        value INTEGER PRIMARY KEY CHECK (value BETWEEN 1 AND 255),
        name TEXT NOT NULL,
        colour TEXT NOT NULL,
        code_value TEXT,
        code_scheme TEXT,
        code_meaning TEXT,
        visible INTEGER NOT NULL DEFAULT 1,
        locked INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE label_layers (
        id INTEGER PRIMARY KEY,
        series_uid TEXT NOT NULL,
        name TEXT NOT NULL,
        annotator TEXT NOT NULL,
        dims TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'draft'
            CHECK (status IN ('draft', 'submitted', 'approved', 'changes-requested')),
        created_at TEXT NOT NULL,
        UNIQUE (series_uid, name)
    );
    CREATE TABLE label_slices (
        layer_ref INTEGER NOT NULL REFERENCES label_layers(id) ON DELETE CASCADE,
        z INTEGER NOT NULL,
        rle BLOB NOT NULL,
        PRIMARY KEY (layer_ref, z)
    ) WITHOUT ROWID;
    CREATE TABLE annotation_edits (
        id INTEGER PRIMARY KEY,
        layer_ref INTEGER NOT NULL REFERENCES label_layers(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        delta BLOB NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX annotation_edits_layer ON annotation_edits(layer_ref, id);
    "#,
    // 5: the audit log becomes a hash chain. Rows written before carry no hash yet; the only
    // update allowed is setting a missing hash (done once, in id order, when the project opens).
    r#"
    ALTER TABLE audit_log ADD COLUMN hash TEXT;
    DROP TRIGGER audit_log_no_update;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        WHEN NOT (OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.id = OLD.id AND NEW.at IS OLD.at
            AND NEW.actor IS OLD.actor AND NEW.action IS OLD.action AND NEW.object IS OLD.object
            AND NEW.details IS OLD.details)
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    "#,
    // 6: defacing review: per CT/MR series, the proposal (parameters, evidence, removal mask as
    // one run-length stream over the whole volume in its voxel order, see `deface_review`) and
    // the reviewer's decision. Series checked and found not to be a head are kept as 'not-head'.
    r#"
    CREATE TABLE deface_reviews (
        id INTEGER PRIMARY KEY,
        series_uid TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'not-head')),
        is_head INTEGER,
        reason TEXT,
        params_json TEXT NOT NULL,
        proposal_json TEXT NOT NULL,
        dims TEXT NOT NULL,
        mask BLOB,
        removed_voxels INTEGER,
        reviewer TEXT,
        decided_at TEXT,
        comment TEXT
    );
    CREATE INDEX deface_reviews_status ON deface_reviews(status);
    "#,
    // 7: export: which images the text detector has examined (the pre-flight blocks the rest), a
    // supervisor's overrides of pre-flight blockers (with their reason), every export run, the
    // operators' signed spot-check reports, annotation sign-off decisions and free-text findings.
    r#"
    CREATE TABLE text_scans (
        instance_ref INTEGER PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        boxes INTEGER NOT NULL
    );
    CREATE TABLE export_overrides (
        id INTEGER PRIMARY KEY,
        item TEXT NOT NULL UNIQUE,
        supervisor TEXT NOT NULL CHECK (length(trim(supervisor)) > 0),
        reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
        at TEXT NOT NULL
    );
    CREATE TABLE exports (
        id INTEGER PRIMARY KEY,
        out_dir TEXT NOT NULL,
        actor TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'cancelled', 'failed')),
        files INTEGER,
        manifest_sha256 TEXT,
        detail TEXT
    );
    CREATE TABLE label_reviews (
        id INTEGER PRIMARY KEY,
        layer_ref INTEGER NOT NULL REFERENCES label_layers(id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'changes-requested')),
        actor TEXT NOT NULL,
        qualification TEXT,
        licence_country TEXT,
        comment TEXT,
        at TEXT NOT NULL
    );
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        study_uid TEXT NOT NULL,
        series_uid TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('diagnosis', 'pathology', 'finding')),
        text TEXT NOT NULL,
        code_value TEXT,
        code_scheme TEXT,
        code_meaning TEXT,
        author TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE spot_checks (
        id INTEGER PRIMARY KEY,
        export_dir TEXT NOT NULL,
        manifest_sha256 TEXT NOT NULL,
        operator TEXT NOT NULL,
        at TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('pass', 'fail')),
        report_json TEXT NOT NULL,
        signature TEXT NOT NULL
    );
    "#,
    // 8: measurement markups per series (any reader's; kept when deleted, flagged, so undo can
    // bring them back) and the undo log of non-voxel edits (label table and markups): each row
    // holds the state before and after as JSON, belongs to one annotator's history on one series
    // and sits after voxel edit `after_edit` of that annotator's layer (0: before the first).
    r#"
    CREATE TABLE markups (
        id INTEGER PRIMARY KEY,
        series_uid TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('box', 'point', 'line', 'angle')),
        geometry TEXT NOT NULL,
        label INTEGER CHECK (label IS NULL OR label BETWEEN 1 AND 255),
        note TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX markups_series ON markups(series_uid, id);
    CREATE TABLE annotation_undo (
        id INTEGER PRIMARY KEY,
        series_uid TEXT NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('label', 'markup')),
        before_json TEXT,
        after_json TEXT,
        after_edit INTEGER NOT NULL DEFAULT 0,
        undone INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX annotation_undo_scope ON annotation_undo(series_uid, actor, id);
    "#,
];

pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(crate) fn migrate(conn: &mut Connection, path: &str) -> Result<(), ProjectError> {
    let wrap = |source| ProjectError::Sqlite { path: path.into(), source };
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(wrap)?;
    if current > SCHEMA_VERSION {
        return Err(ProjectError::TooNew { path: path.into(), found: current, supported: SCHEMA_VERSION });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction().map_err(wrap)?;
        tx.execute_batch(sql).map_err(wrap)?;
        tx.pragma_update(None, "user_version", i as i64 + 1).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
    }
    Ok(())
}
