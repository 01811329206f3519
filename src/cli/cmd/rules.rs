//! `keysentry rules list` and `keysentry rules check`.

use std::io::{self, BufWriter, Write};

use super::count;
use crate::cli::args::{ListFormat, RulesCommand};
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use keysentry::detect::check;
use keysentry::rules::Builtin;

pub(crate) fn run(cmd: RulesCommand, log: Log) -> anyhow::Result<ExitStatus> {
    match cmd {
        RulesCommand::List { format } => list(format),
        RulesCommand::Check { file } => {
            let report = match &file {
                Some(path) => {
                    use keysentry::files::read::{CONFIG_SIZE_LIMIT, Within, read_text};
                    let text = read_text(path, CONFIG_SIZE_LIMIT, Within::Anywhere)?;
                    check::check_files(&[(&path.display().to_string(), &text)], false)
                }
                None => check::check_files(&Builtin::All.files(), true),
            };
            for e in &report.errors {
                log.error(e);
            }
            let what =
                file.map_or_else(|| "built-in rules".to_owned(), |p| p.display().to_string());
            if report.is_ok() {
                let mut out = io::stdout().lock();
                writeln!(
                    out,
                    "{what}: {}, {}, {}: ok",
                    count(report.rules as u64, "rule", "rules"),
                    count(report.examples as u64, "example", "examples"),
                    count(report.negative_examples as u64, "negative example", "negative examples")
                )?;
                Ok(ExitStatus::Clean)
            } else {
                log.error(format_args!(
                    "{what}: {}",
                    count(report.errors.len() as u64, "problem", "problems")
                ));
                Ok(ExitStatus::Error)
            }
        }
    }
}

/// Lists every built-in rule, core and extended.
fn list(format: ListFormat) -> anyhow::Result<ExitStatus> {
    let rules = super::builtin_rules()?;
    let core = Builtin::Core.count();
    // All the built-in rules are the core ones, then the extended ones.
    let set = |i: usize| if i < core { "core" } else { "extended" };
    let mut out = BufWriter::new(io::stdout().lock());
    match format {
        ListFormat::Human => {
            let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(0);
            for (i, r) in rules.rules().iter().enumerate() {
                writeln!(out, "{:width$}  {:8}  {}", r.id, set(i), r.description)?;
            }
        }
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules
                .rules()
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    serde_json::json!({
                        "id": r.id,
                        "set": set(i),
                        "description": r.description,
                        "keywords": r.keywords,
                        "references": r.references,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(ExitStatus::Clean)
}
