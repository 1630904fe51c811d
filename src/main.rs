//! `sumi`: with no subcommand, the GUI (on the demo study or the given folders); with one, the
//! same core headless. Problems print one line each; the exit code is non-zero on failure.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "sumi", version, about = "sumi (墨): DICOM viewing, de-identification review, annotation and export")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Folders or files to open in the viewer (default: the bundled demo study).
    paths: Vec<PathBuf>,
    /// Open the bundled demo study (after the welcome screen on the first run).
    #[arg(long, conflicts_with = "paths")]
    demo: bool,
    /// Save the window as PNG once what was opened has loaded, then quit (smoke tests, docs).
    #[arg(long, value_name = "PNG")]
    screenshot: Option<PathBuf>,
    /// With --screenshot: paint at least this many frames first.
    #[arg(long, value_name = "N", default_value_t = 10, requires = "screenshot")]
    quit_after_frames: u32,
}

#[derive(Subcommand)]
enum Command {
    /// Index DICOM files into a project database and print a JSON summary.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        project: PathBuf,
        /// Recorded in the audit log (default: $SUMI_USER or $USER).
        #[arg(long)]
        user: Option<String>,
    },
    /// Describe the series found under the given paths.
    Info {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// De-identify DICOM files with a profile (built in: ps315-basic, jp-pseudonymized,
    /// jp-anonymized, kr-3d-head; or a .toml file) and print a JSON summary.
    Deid {
        /// Input folders or files, then the output folder (must be empty or absent).
        #[arg(required = true, num_args = 2..)]
        paths: Vec<PathBuf>,
        #[arg(long, default_value = "ps315-basic")]
        profile: String,
        /// Extra PS3.15 options, e.g. retain-uids, retain-long-modified-dates, clean-descriptors.
        #[arg(long = "option", value_parser = parse_option)]
        options: Vec<sumi::deid::ProfileOption>,
        /// Key vault file (pseudonyms, date offsets, UID map); $SUMI_VAULT_PASSPHRASE encrypts it.
        #[arg(long)]
        vault: Option<PathBuf>,
        #[arg(long)]
        jobs: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Propose boxes around text burned into the pixels, per file and frame, with a score and a
    /// reason each (for masking under PS3.15 Clean Pixel Data).
    DetectText {
        /// DICOM files, or folders to search for them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Read the boxes with OCR (the tesseract command) and mark text that shows the header's
        /// PHI.
        #[arg(long)]
        ocr: bool,
    },
    /// Propose a defacing mask (PS3.15 Clean Recognizable Visual Features) for a head CT/MR:
    /// decide whether the series is a head with the face in view (with reasons), write the
    /// removal mask, optionally the defaced volume and a before|after front render, and print JSON.
    Deface {
        /// A DICOM series folder (its largest series) or a .nii/.nii.gz file.
        input: PathBuf,
        #[arg(long)]
        out_mask: PathBuf,
        #[arg(long)]
        out_volume: Option<PathBuf>,
        /// PNG: the skin surface from the front, before | after.
        #[arg(long)]
        render: Option<PathBuf>,
        /// PNG: the sagittal slice through the face's midline, before | after.
        #[arg(long)]
        render_side: Option<PathBuf>,
        /// Also write sumi's intracranial estimate (what the cut keeps its margin from).
        #[arg(long)]
        out_brain: Option<PathBuf>,
        /// Distance kept from the intracranial estimate (default 10 mm).
        #[arg(long)]
        margin_mm: Option<f64>,
        #[arg(long)]
        json: bool,
    },
    /// Device templates of burned-in text boxes: share reviewed layouts between projects.
    Templates {
        #[command(subcommand)]
        what: TemplatesCommand,
    },
    /// The project's audit log.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// Clean a PNG, JPEG or TIFF image for release: fill the boxes black and drop all metadata
    /// (EXIF incl. GPS, XMP, ICC, IPTC, comments, PNG text chunks, TIFF tags, extra TIFF pages).
    /// Written in its own format (a JPEG without boxes keeps its image bytes; with boxes it is
    /// re-encoded at quality 95), or as DICOM Secondary Capture with --as-dicom. Prints a JSON
    /// report of what was removed.
    CleanImage {
        /// The source image (never modified).
        input: PathBuf,
        /// JSON list of boxes in stored pixels (EXIF orientation not applied), e.g.
        /// [{"x": 10, "y": 20, "w": 200, "h": 30}]; review-queue boxes work as they are.
        #[arg(long)]
        boxes: Option<PathBuf>,
        /// The output file.
        #[arg(long)]
        out: PathBuf,
        /// Write a DICOM Secondary Capture instead of the image's own format.
        #[arg(long)]
        as_dicom: bool,
        /// Patient's Name for --as-dicom (a pseudonym; empty by default).
        #[arg(long, default_value = "")]
        patient_name: String,
        /// Patient ID for --as-dicom (a pseudonym; empty by default).
        #[arg(long, default_value = "")]
        patient_id: String,
        /// The burned-in text was reviewed: Burned In Annotation NO in --as-dicom output (else YES).
        #[arg(long)]
        reviewed: bool,
    },
    /// The key vault: re-identify a pseudonym on a regulator's request (audited).
    Vault {
        #[command(subcommand)]
        what: VaultCommand,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Write the bundled demo study into a folder (the GUI does this on first run).
    Demo { out: PathBuf },
    /// Write a synthetic data set for load tests at scale into DIR and print a JSON summary.
    DemoScale {
        #[command(subcommand)]
        what: cli::DemoScaleCommand,
    },
    /// Export the project's de-identified data: pre-flight check, then instances (profile,
    /// reviewed boxes filled, defaced voxels) into <out>/<pseudonym>/<study>/<series>/<n>.dcm with a
    /// manifest (JSON + CSV, SHA-256 per file) and a conformance statement, moved into place atomically.
    Export {
        #[arg(long)]
        project: PathBuf,
        /// The export folder (must not exist, or be empty).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Study Instance UIDs or project study ids (default: every study).
        #[arg(long, value_delimiter = ',')]
        studies: Vec<String>,
        /// Series Instance UIDs or project series ids (only these series of their studies).
        #[arg(long, value_delimiter = ',')]
        series: Vec<String>,
        /// Key vault (default: <project>.vault beside the project file).
        #[arg(long)]
        vault: Option<PathBuf>,
        #[arg(long)]
        user: Option<String>,
        /// Include annotation layers (they must be approved).
        #[arg(long)]
        labels: bool,
        #[arg(long)]
        jobs: Option<usize>,
        /// Only run the pre-flight check and print it (exit code 2 when something blocks).
        #[arg(long)]
        check: bool,
        #[arg(long)]
        json: bool,
    },
    /// Review decisions from the command line (for scripted pipelines).
    Review {
        #[command(subcommand)]
        what: ReviewCommand,
    },
    /// Verify an export independently of the de-identification code: every text value at every
    /// level against the sources' identifying values, private elements, source UIDs, unshifted
    /// dates, 0012,0062/0064, reviewed boxes still showing, text in images, manifest hashes.
    /// Exit code 2 when anything is found.
    Verify {
        export_dir: PathBuf,
        #[arg(long)]
        project: Option<PathBuf>,
        #[arg(long)]
        vault: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Also write the report as HTML (outside the export).
        #[arg(long)]
        html: Option<PathBuf>,
        #[arg(long)]
        user: Option<String>,
    },
    /// Annotation sign-off and the measurements/findings report.
    Labels {
        #[command(subcommand)]
        what: LabelsCommand,
    },
    /// Label maps as DICOM SEG: from a NIfTI label map, or back to one, on a reference series.
    Seg {
        #[command(subcommand)]
        what: SegCommand,
    },
    /// Show or change project settings: deid.profile, deface.required, face_mask, foreign_image_output.
    Settings {
        #[arg(long)]
        project: PathBuf,
        key: Option<String>,
        value: Option<String>,
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Subcommand)]
enum SegCommand {
    /// Write a uint8 NIfTI label map (on the reference series' grid) as a DICOM SEG; print JSON.
    FromNifti {
        /// The label map (.nii or .nii.gz; voxel values 0–255, 0 = background).
        labels_nifti: PathBuf,
        /// The DICOM series the labels lie on (a folder: its largest series with a geometry).
        #[arg(long)]
        reference: PathBuf,
        /// Label table JSON (a list of labels: value, name, colour, code, visible, locked);
        /// values without a row get a default name.
        #[arg(long)]
        labels: Option<PathBuf>,
        /// The SEG file to write.
        #[arg(long)]
        out: PathBuf,
        /// Content Creator's Name written into the SEG.
        #[arg(long)]
        creator: Option<String>,
    },
    /// Read a DICOM SEG onto the reference series' grid and write a uint8 NIfTI label map; print JSON.
    ToNifti {
        seg: PathBuf,
        #[arg(long)]
        reference: PathBuf,
        /// The NIfTI to write (.nii or .nii.gz).
        #[arg(long)]
        out: PathBuf,
        /// Also write the segments as a label table JSON.
        #[arg(long)]
        labels_out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum LabelsCommand {
    /// Hand a label layer in for review (draft or changes requested → submitted).
    Submit {
        #[arg(long)]
        project: PathBuf,
        #[arg(long)]
        layer: i64,
        #[arg(long)]
        annotator: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// A physician approves a submitted layer or requests changes (comment required).
    Review {
        #[arg(long)]
        project: PathBuf,
        #[arg(long)]
        layer: i64,
        #[arg(long, conflicts_with = "request_changes", required_unless_present = "request_changes")]
        approve: bool,
        #[arg(long)]
        request_changes: bool,
        #[arg(long)]
        physician: String,
        #[arg(long, default_value = "")]
        qualification: String,
        /// ISO 3166 country code of the medical licence (e.g. JP).
        #[arg(long, default_value = "")]
        licence_country: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Label statistics (voxels, mL, mean/SD/min/max), sign-off history and findings, as JSON or CSV.
    Report {
        #[arg(long)]
        project: PathBuf,
        #[arg(long)]
        layer: i64,
        /// .json or .csv
        #[arg(long)]
        out: PathBuf,
    },
    /// Markups (points, lines, angles, boxes) with their measurements and per-layer label
    /// statistics, of one series or of every annotated series, as JSON or CSV on stdout.
    Measurements {
        #[arg(long)]
        project: PathBuf,
        #[arg(long)]
        series: Option<String>,
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// Run the burned-in text, face and slide-label detectors on every image of the project and
    /// queue proposals (decisions already taken are kept).
    Propose {
        #[arg(long)]
        project: PathBuf,
        #[arg(long)]
        ocr: bool,
    },
    /// Approve pending proposals as they stand, recorded in the audit log as one bulk decision.
    Approve {
        #[arg(long)]
        project: PathBuf,
        /// Every pending proposal (required: there is no per-item form here).
        #[arg(long, required = true)]
        all: bool,
        #[arg(long)]
        reviewer: String,
        #[arg(long)]
        reason: String,
    },
    /// Let an export pass one pre-flight blocker (its item key, e.g. text/instance/12), with a
    /// mandatory reason; audited.
    Override {
        #[arg(long)]
        project: PathBuf,
        #[arg(long)]
        item: String,
        #[arg(long)]
        supervisor: String,
        #[arg(long)]
        reason: String,
    },
}

/// A PS3.15 option by its kebab-case name (e.g. retain-uids), as profiles spell it.
fn parse_option(s: &str) -> Result<sumi::deid::ProfileOption, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        let names: Vec<String> = sumi::deid::ProfileOption::ALL
            .iter()
            .map(|o| serde_json::to_value(o).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
            .collect();
        format!("unknown option {s:?}; one of: {}", names.join(", "))
    })
}

#[derive(Subcommand)]
enum VaultCommand {
    /// Print the original patient ID behind a pseudonym.
    Lookup {
        #[arg(long)]
        vault: PathBuf,
        #[arg(long)]
        pseudonym: String,
        /// Also record the lookup in this project's audit log.
        #[arg(long)]
        project: Option<PathBuf>,
        #[arg(long)]
        user: Option<String>,
        /// Why (e.g. the inquiry's reference); stored in the logs.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; print a JSON report and exit non-zero at the first broken row.
    Verify {
        #[arg(long)]
        project: PathBuf,
    },
}

#[derive(Subcommand)]
enum TemplatesCommand {
    /// Write the project's device templates to a JSON file.
    Export {
        #[arg(long)]
        project: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        user: Option<String>,
    },
    /// Add the templates of a file to the project (same device and layout: replaced).
    Import {
        file: PathBuf,
        #[arg(long)]
        project: PathBuf,
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Load the largest series under DIR into a ready volume (decode + sort + assemble).
    Load {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Open DIR in the GUI, print the time to first image and to full load as JSON, and exit.
    Gui { dir: PathBuf },
    /// 3D frame times (headless): ray cast the largest series under DIR in every mode at WIDTH×HEIGHT.
    Gui3d {
        dir: PathBuf,
        #[arg(long, default_value_t = 800)]
        width: u32,
        #[arg(long, default_value_t = 600)]
        height: u32,
        #[arg(long, default_value_t = 5)]
        frames: usize,
        /// Only the rows with the label overlay on.
        #[arg(long, conflicts_with = "plane_only")]
        overlay_only: bool,
        /// Only the rows without and with the oblique slice plane in the volume.
        #[arg(long)]
        plane_only: bool,
    },
    /// Time listing a project's browser tree (patient → study → series with counts) from its index,
    /// and opening the project as the GUI does (stored headers, each file checked) against
    /// re-reading every file's header.
    Tree {
        #[arg(long)]
        project: PathBuf,
        /// Also time re-reading every indexed file (the older way of opening a project).
        #[arg(long)]
        rescan: bool,
    },
    /// Time the defacing proposal (load excluded) on a DICOM series folder or NIfTI file.
    Deface {
        input: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The log file lives in the data folder the user settings name (`<data dir>/logs/sumi.log`).
    let settings_path = sumi::user_settings::settings_path();
    let loaded = sumi::user_settings::UserSettings::load_from(&settings_path);
    let log_file = loaded.settings().log_file();
    let log_error = sumi::logging::init(&log_file).err();
    if let Some(e) = &log_error
        && cli.command.is_some()
    {
        tracing::warn!("{e}");
    }
    let result = match cli.command {
        None => {
            let _ = cli.demo; // no paths is the demo study
            cli::gui(
                cli.paths,
                cli::GuiArgs {
                    settings: (loaded, settings_path),
                    log_file: log_error.is_none().then_some(log_file),
                    log_error,
                    screenshot: cli.screenshot.map(|p| (p, cli.quit_after_frames)),
                },
            )
        }
        Some(Command::Import { paths, project, user }) => cli::import(&paths, &project, user),
        Some(Command::Info { paths, json }) => cli::info(&paths, json),
        Some(Command::Bench { what: BenchCommand::Load { dir, json } }) => cli::bench_load(&dir, json),
        Some(Command::Bench { what: BenchCommand::Gui { dir } }) => cli::bench_gui(dir),
        Some(Command::Bench { what: BenchCommand::Deface { input, runs } }) => cli::bench_deface(&input, runs),
        Some(Command::Bench { what: BenchCommand::Gui3d { dir, width, height, frames, overlay_only, plane_only } }) => {
            cli::bench_gui3d(&dir, [width, height], frames, overlay_only, plane_only)
        }
        Some(Command::Demo { out }) => cli::demo(&out),
        Some(Command::DemoScale { what }) => cli::demo_scale(what),
        Some(Command::Bench { what: BenchCommand::Tree { project, rescan } }) => cli::bench_tree(&project, rescan),
        Some(Command::Export { project, out, studies, series, vault, user, labels, jobs, check, json }) => {
            cli::export_cmd(cli::ExportArgs { project, out, studies, series, vault, user, labels, jobs, check, json })
        }
        Some(Command::Review { what: ReviewCommand::Propose { project, ocr } }) => cli::review_propose(&project, ocr),
        Some(Command::Review { what: ReviewCommand::Approve { project, all: _, reviewer, reason } }) => {
            cli::review_approve_all(&project, &reviewer, &reason)
        }
        Some(Command::Review { what: ReviewCommand::Override { project, item, supervisor, reason } }) => {
            cli::review_override(&project, &item, &supervisor, &reason)
        }
        Some(Command::Verify { export_dir, project, vault, json, html, user }) => {
            cli::verify(cli::VerifyArgs { export_dir, project, vault, json, html, user })
        }
        Some(Command::Labels { what: LabelsCommand::Submit { project, layer, annotator, comment } }) => {
            cli::labels_submit(&project, layer, &annotator, comment.as_deref())
        }
        Some(Command::Labels {
            what:
                LabelsCommand::Review {
                    project,
                    layer,
                    approve,
                    request_changes: _,
                    physician,
                    qualification,
                    licence_country,
                    comment,
                },
        }) => {
            let who = sumi::project::annotation_review::Physician { name: physician, qualification, licence_country };
            cli::labels_review(&project, layer, approve, who, comment.as_deref())
        }
        Some(Command::Labels { what: LabelsCommand::Report { project, layer, out } }) => {
            cli::labels_report(&project, layer, &out)
        }
        Some(Command::Labels { what: LabelsCommand::Measurements { project, series, json: _, csv } }) => {
            cli::labels_measurements(&project, series.as_deref(), csv)
        }
        Some(Command::Settings { project, key, value, user }) => {
            cli::settings(&project, key.as_deref(), value.as_deref(), user)
        }
        Some(Command::Seg { what: SegCommand::FromNifti { labels_nifti, reference, labels, out, creator } }) => {
            cli::seg_from_nifti(cli::FromNiftiArgs { labels_nifti, reference, labels, out, creator })
        }
        Some(Command::Seg { what: SegCommand::ToNifti { seg, reference, out, labels_out } }) => {
            cli::seg_to_nifti(seg, reference, out, labels_out)
        }
        Some(Command::Deface { input, out_mask, out_volume, render, render_side, out_brain, margin_mm, json }) => {
            cli::deface(cli::DefaceArgs {
                input,
                out_mask,
                out_volume,
                render,
                render_side,
                out_brain,
                margin_mm,
                json,
            })
        }
        Some(Command::DetectText { paths, json, ocr }) => cli::detect_text(&paths, json, ocr),
        Some(Command::Audit { what: AuditCommand::Verify { project } }) => cli::audit_verify(&project),
        Some(Command::Templates { what: TemplatesCommand::Export { project, out, user } }) => {
            cli::templates_export(&project, &out, user)
        }
        Some(Command::Templates { what: TemplatesCommand::Import { file, project, user } }) => {
            cli::templates_import(&project, &file, user)
        }
        Some(Command::Vault { what: VaultCommand::Lookup { vault, pseudonym, project, user, reason } }) => {
            cli::vault_lookup(&vault, &pseudonym, project.as_deref(), user, &reason)
        }
        Some(Command::CleanImage { input, boxes, out, as_dicom, patient_name, patient_id, reviewed }) => {
            cli::clean_image(cli::CleanImageArgs { input, boxes, out, as_dicom, patient_name, patient_id, reviewed })
        }
        Some(Command::Deid { mut paths, profile, options, vault, jobs, json }) => {
            let out = paths.pop().expect("clap requires two paths");
            cli::deid(cli::DeidArgs { inputs: paths, out, profile, options, vault, jobs, json })
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(target: sumi::logging::FILE_ONLY, "{e}");
            eprintln!("sumi: {e}");
            ExitCode::FAILURE
        }
    }
}
