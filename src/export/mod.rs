//! Documents that leave the encrypted store: the right-of-access export of one caller file,
//! shift and period summaries. Rendering is pure; `write` puts the bytes where they go
//! without ever leaving a half-written or world-readable file.

pub mod access;
pub mod report;
pub mod summary;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::atomic_file::write_atomically;
use crate::config::Config;
use crate::i18n::{Phrase, Strings};
use crate::store::{ScopeRequest, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryFormat {
    Markdown,
    Json,
    Csv,
}

impl SummaryFormat {
    fn extension(self) -> &'static str {
        match self {
            SummaryFormat::Markdown => "md",
            SummaryFormat::Json => "json",
            SummaryFormat::Csv => "csv",
        }
    }
}

/// Encrypts `bytes` to the age X25519 `recipients` (`age1…`), in memory: the plaintext never
/// touches the disk. Recipients are checked when the configuration is loaded.
pub fn encrypt(bytes: &[u8], recipients: &[String]) -> Result<Vec<u8>> {
    let parsed: Vec<age::x25519::Recipient> = recipients
        .iter()
        .map(|r| {
            r.parse().map_err(|e: &str| {
                Phrase::new(|s| &s.cli.config_bad_recipient)
                    .with("recipient", format!("{r:?}"))
                    .with("detail", e)
            })
        })
        .collect::<Result<_, Phrase>>()?;
    let encryptor = age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| Phrase::new(|s| &s.cli.encrypting).because(e))?;
    let encrypting = |e: std::io::Error| Phrase::new(|s| &s.cli.encrypting).because(e);
    let mut out = Vec::with_capacity(bytes.len() + 512);
    let mut writer = encryptor.wrap_output(&mut out).map_err(encrypting)?;
    writer.write_all(bytes).map_err(encrypting)?;
    writer.finish().map_err(encrypting)?;
    Ok(out)
}

/// `--out -`: standard output.
pub const STDOUT: &str = "-";

/// The file `--out` names, if it names one (`-` is standard output).
pub fn out_file(out: Option<&Path>) -> Option<&Path> {
    out.filter(|path| *path != Path::new(STDOUT))
}

/// Writes `bytes` to `out` (mode 0600, temp + fsync + rename), or to standard output for
/// `-` or no path. Refuses the store's own files (`db`, its key file, log, lock…) and anything
/// that is not a regular file, and never writes to a terminal: caller data would stay in its
/// scrollback. The one writer of every export.
pub fn write(out: Option<&Path>, db: &Path, bytes: &[u8]) -> Result<()> {
    match out_file(out) {
        Some(path) => {
            crate::output_path::check(path, db)?;
            write_atomically(path, bytes).map_err(|e| {
                Phrase::new(|s| &s.cli.cannot_write).with("path", path.display()).because(e).into()
            })
        }
        _ if std::io::stdout().is_terminal() => Err(Phrase::new(|s| &s.cli.out_terminal).into()),
        _ => {
            crate::output_path::check_stdout(db)?;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(bytes)
                .and_then(|()| stdout.flush())
                .map_err(|e| Phrase::new(|s| &s.cli.stdout_unwritable).because(e).into())
        }
    }
}

/// A shift's summary or a period's statistics, rendered, audited, encrypted when the config
/// names recipients, and written safely. Returns where.
pub fn write_summary(
    store: &mut Store,
    config: &Config,
    db: &Path,
    request: ScopeRequest,
    format: SummaryFormat,
    out: Option<&Path>,
    include_notes: bool,
) -> Result<PathBuf> {
    // Checked before the audit entry is written: a refused path leaves no trace of an export.
    if let Some(path) = out_file(out) {
        crate::output_path::check(path, db)?;
    }
    let now = chrono::Utc::now();
    let summary = store.summary(request, now)?;
    let calls = store.call_rows(request, include_notes)?;
    let head = store.record_export(request, include_notes)?;
    let strings = Strings::get(config.language);
    let mut bytes = match format {
        SummaryFormat::Markdown => {
            summary::markdown(&summary, &calls, &head, strings, config.timezone, &config.channels())
                .into_bytes()
        }
        SummaryFormat::Json => {
            let mut text = serde_json::to_string_pretty(&summary::json(&summary, &calls, &head))?;
            text.push('\n');
            text.into_bytes()
        }
        SummaryFormat::Csv => summary::csv(&summary, &calls, &head)?,
    };
    let name = summary::default_name(&summary, format.extension(), config.timezone);
    write_encrypted(config, db, out, &mut bytes, name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Html,
    Json,
}

/// The yearly activity report: the year's statistics and the year before's (local days of the
/// configured zone), rendered, audited as an export of a period (supervisors), encrypted when
/// the config names recipients, and written like every export. Returns where.
pub fn write_report(
    store: &mut Store,
    config: &Config,
    db: &Path,
    year: i32,
    format: ReportFormat,
    out: Option<&Path>,
) -> Result<PathBuf> {
    use crate::domain::statistics::StatsPeriod;
    if let Some(path) = out_file(out) {
        crate::output_path::check(path, db)?;
    }
    let now = chrono::Utc::now();
    let zone = config.timezone;
    let period = StatsPeriod::year(year);
    let current = store.statistics(&config.statistics_of(period, now))?;
    let previous = store.statistics(&config.statistics_of(StatsPeriod::year(year - 1), now))?;
    let (from, to) = period.bounds(zone);
    let head = store.record_export(ScopeRequest::Period { from, to }, false)?;
    let report = report::Report { year, current, previous, generated_at: now };
    let strings = Strings::get(config.language);
    let (mut bytes, extension) = match format {
        ReportFormat::Html => (report::html(&report, &head, strings, config)?.into_bytes(), "html"),
        ReportFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report::json(&report, &head))?;
            text.push('\n');
            (text.into_bytes(), "json")
        }
    };
    let name = format!("report-{year}.{extension}");
    write_encrypted(config, db, out, &mut bytes, name)
}

/// Encrypts `bytes` when the config names recipients (a file named `….age`), then writes them
/// to `out`, or to `name` in the export folder.
fn write_encrypted(
    config: &Config,
    db: &Path,
    out: Option<&Path>,
    bytes: &mut Vec<u8>,
    mut name: String,
) -> Result<PathBuf> {
    let encrypted = !config.export.recipients.is_empty();
    if encrypted {
        *bytes = encrypt(bytes, &config.export.recipients)?;
    }
    let path = match out {
        // Ciphertext is never left under a plain name: `last.md` becomes `last.md.age`.
        Some(path) if encrypted && out_file(out).is_some() && path.extension().is_none_or(|e| e != "age") => {
            let mut name = path.as_os_str().to_owned();
            name.push(".age");
            let path = PathBuf::from(name);
            crate::output_path::check(&path, db)?;
            path
        }
        Some(path) => path.to_owned(),
        None => {
            let folder = match &config.export.directory {
                Some(folder) => folder.clone(),
                None => db.parent().unwrap_or(Path::new(".")).join("exports"),
            };
            create_private_folder(&folder)?;
            if encrypted {
                name.push_str(".age");
            }
            folder.join(name)
        }
    };
    write(Some(&path), db, bytes)?;
    Ok(path)
}

fn create_private_folder(folder: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !folder.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)
            .map_err(|e| Phrase::new(|s| &s.cli.export_folder).with("path", folder.display()).because(e))?;
    }
    Ok(())
}
