//! `bluelamp-cli forms …`: admin checks on form packs, closing codes and the safeguarding
//! config, and risk grading of an answers file. The form engine itself (`bluelamp-forms`) is
//! pure; all file reading and clock access happens here. See `docs/forms.md`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use bluelamp_forms::{
    builtin_config, builtin_packs, generated_tasks, parse_answers, parse_pack, suggest_grade, validate_answers,
    FormPack, FormRecord, Grade, IncidentHistory, IssueKind, PackIssue, RiskSuggestion, Task, ValidationContext,
};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};

use crate::victims::{emit, outln};

/// `forms` subcommands.
#[derive(Subcommand)]
pub enum FormsCmd {
    /// Check form pack JSON files: every problem with its location; exit 1 if any is invalid.
    ValidatePack {
        /// Pack file(s).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check closing-code list files (assets/codes/closing-codes.json format).
    ValidateCodes {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check safeguarding config files (assets/config/safeguarding.json format).
    ValidateConfig {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the built-in packs (ids for `forms grade --pack`).
    Packs,
    /// Suggest a risk grade for an answers file, with reasons and the tasks submission would generate.
    Grade(GradeArgs),
}

/// `forms grade` arguments.
#[derive(Args)]
pub struct GradeArgs {
    /// Built-in pack id (see `forms packs`), e.g. dash-style-da-risk.
    #[arg(long, required_unless_present = "pack_file", conflicts_with = "pack_file")]
    pack: Option<String>,
    /// A force's own pack file instead of a built-in pack.
    #[arg(long)]
    pack_file: Option<PathBuf>,
    /// Answers JSON (question id → value; see docs/forms.md).
    #[arg(long)]
    answers: PathBuf,
    /// Local DA history of the victim/perpetrator pair for the repeat rules (default: none).
    #[arg(long)]
    history: Option<PathBuf>,
    /// Incident (and submission) time: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]; default now.
    #[arg(long)]
    at: Option<String>,
    /// The officer's own grade, to see the tasks it would generate (IDVA/MARAC on High).
    #[arg(long, value_enum)]
    officer_grade: Option<GradeArg>,
    /// Number of children linked to the incident (adds a Concern-for-a-Child task).
    #[arg(long, default_value_t = 0)]
    linked_children: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum GradeArg {
    Standard,
    Medium,
    High,
}

impl From<GradeArg> for Grade {
    fn from(g: GradeArg) -> Grade {
        match g {
            GradeArg::Standard => Grade::Standard,
            GradeArg::Medium => Grade::Medium,
            GradeArg::High => Grade::High,
        }
    }
}

/// Runs a `forms` subcommand. Validation failures are errors (exit 1) after the issues are printed.
pub fn run(cmd: FormsCmd) -> anyhow::Result<()> {
    match cmd {
        FormsCmd::ValidatePack { files } => validate_files(&files, "form pack", |text| {
            let issues = bluelamp_forms::validate_pack(text);
            if issues.is_empty() {
                // Valid, so it parses; the fallback is never printed.
                let summary = parse_pack(text).map(|p| pack_summary(&p)).unwrap_or_default();
                (issues, summary)
            } else {
                (issues, String::new())
            }
        }),
        FormsCmd::ValidateCodes { files } => validate_files(&files, "closing-code list", |text| {
            let issues = bluelamp_forms::validate_closing_codes(text);
            let summary = match bluelamp_forms::parse_closing_codes(text) {
                Ok(_) => "closing-code list".to_string(),
                Err(_) => String::new(),
            };
            (issues, summary)
        }),
        FormsCmd::ValidateConfig { files } => validate_files(&files, "safeguarding config", |text| {
            let issues = bluelamp_forms::validate_config(text);
            let summary = match bluelamp_forms::parse_config(text) {
                Ok(c) => format!("safeguarding config version {}", c.version),
                Err(_) => String::new(),
            };
            (issues, summary)
        }),
        FormsCmd::Packs => {
            let packs = builtin_packs().context("a built-in pack is invalid")?;
            let mut o = String::new();
            for p in &packs {
                outln!(o, "{}\tv{}\t{}", p.id, p.version, p.title);
            }
            emit(&o)
        }
        FormsCmd::Grade(args) => grade(args),
    }
}

fn pack_summary(p: &FormPack) -> String {
    let questions: usize = p.sections.iter().map(|s| s.questions.len()).sum();
    format!("{} v{}, {} sections, {} questions", p.id, p.version, p.sections.len(), questions)
}

fn read(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    // A byte-order mark (Notepad's "UTF-8 with BOM") is not part of the JSON.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Reads, checks JSON syntax, then runs `check`. Prints `OK: …` or every issue.
fn validate_files(
    files: &[PathBuf],
    what: &str,
    check: impl Fn(&str) -> (Vec<PackIssue>, String),
) -> anyhow::Result<()> {
    let many = files.len() > 1;
    let mut o = String::new();
    let mut failures = Vec::new();
    for f in files {
        let prefix = if many { format!("{}: ", f.display()) } else { String::new() };
        let text = match read(f) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{e:#}"));
                continue;
            }
        };
        if let Err(e) = serde_json::from_str::<Value>(&text) {
            failures.push(format!("{} is not valid JSON: {e}", f.display()));
            continue;
        }
        let (issues, summary) = check(&text);
        if issues.is_empty() {
            outln!(o, "{prefix}OK: {summary}");
        } else {
            for i in &issues {
                outln!(o, "{prefix}{i}");
            }
            failures.push(format!("{}: invalid {what}: {} issue(s)", f.display(), issues.len()));
        }
    }
    emit(&o)?;
    match failures.as_slice() {
        [] => Ok(()),
        [one] if !many => bail!("{one}"),
        all => {
            for f in all {
                note!("error: {f}");
            }
            bail!("{} of {} file(s) failed", all.len(), files.len())
        }
    }
}

fn load_pack(args: &GradeArgs) -> anyhow::Result<FormPack> {
    if let Some(path) = &args.pack_file {
        let text = read(path)?;
        return parse_pack(&text).with_context(|| {
            format!("{} is not a valid pack (run `bluelamp-cli forms validate-pack` for details)", path.display())
        });
    }
    let id = args.pack.as_deref().unwrap_or_default().trim();
    let packs = builtin_packs().context("a built-in pack is invalid")?;
    let ids: Vec<String> = packs.iter().map(|p| p.id.clone()).collect();
    match packs.into_iter().find(|p| p.id == id) {
        Some(p) => Ok(p),
        None => bail!("unknown pack {id:?}: built-in packs are {} (or use --pack-file)", ids.join(", ")),
    }
}

/// A time argument: `YYYY-MM-DD` (midnight UTC) or a date-time (no zone = UK time).
fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if bluelamp_forms::time::in_skipped_hour(s) {
        // A UK time that never happened (the clocks went forward): refused, not read as GMT.
        return None;
    }
    if s.len() == 10 {
        bluelamp_forms::time::parse_date(s).map(|d| d.saturating_mul(bluelamp_forms::time::DAY))
    } else {
        bluelamp_forms::time::parse_datetime(s)
    }
}

/// Parses the history file; errors name the file and the JSON path.
pub(crate) fn parse_history(text: &str, file: &str) -> anyhow::Result<IncidentHistory> {
    let v: Value = serde_json::from_str(text).map_err(|e| anyhow::anyhow!("{file}: invalid history JSON: {e}"))?;
    let Value::Object(map) = v else {
        bail!("{file}: the history must be a JSON object {{\"previous_da_incidents\": [...], \"marac_referrals\": [...]}}");
    };
    let mut h = IncidentHistory::default();
    for (key, value) in &map {
        let target = match key.as_str() {
            "previous_da_incidents" => &mut h.previous_da_incidents,
            "marac_referrals" => &mut h.marac_referrals,
            k if k.starts_with('_') => continue,
            k => bail!("{file}: {k}: unknown key (expected previous_da_incidents or marac_referrals)"),
        };
        let Value::Array(items) = value else {
            bail!("{file}: {key}: must be a list of dates, date-times or unix seconds");
        };
        for (i, item) in items.iter().enumerate() {
            let t = match item {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => parse_time(s),
                _ => None,
            };
            match t {
                Some(t) => target.push(t),
                None => bail!(
                    "{file}: {key}[{i}]: {item} is not a date (YYYY-MM-DD), a date-time \
                     (YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]) or unix seconds"
                ),
            }
        }
    }
    Ok(h)
}

fn grade(args: GradeArgs) -> anyhow::Result<()> {
    let pack = load_pack(&args)?;
    let answers_file = args.answers.display().to_string();
    let answers = parse_answers(&read(&args.answers)?).map_err(|e| anyhow::anyhow!("{answers_file}: {e}"))?;
    let history = match &args.history {
        Some(p) => parse_history(&read(p)?, &p.display().to_string())?,
        None => IncidentHistory::default(),
    };
    let at = match args.at.as_deref() {
        Some(s) if bluelamp_forms::time::in_skipped_hour(s) => bail!(
            "--at {s:?}: that time did not happen in UK time (the clocks went forward from 01:00 to 02:00 that \
             night): give the time shown after the change, or add +00:00 for GMT"
        ),
        Some(s) => parse_time(s)
            .with_context(|| format!("--at {s:?}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]"))?,
        None => time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    // Due times are shown as UK dates: one past year 9999 has none (it printed unix seconds).
    const YEAR_2100: i64 = 4_102_444_800; // 2100-01-01T00:00:00Z
    if !(0..YEAR_2100).contains(&at) {
        bail!("--at {}: give a time between 1970 and 2099", args.at.as_deref().unwrap_or_default());
    }
    let config = builtin_config().context("the built-in safeguarding config is invalid")?;

    let ctx = ValidationContext { linked_nominals: None, now: Some(at), dates_from: None };
    let issues = validate_answers(&pack, &answers, &ctx);
    let (missing, errors): (Vec<_>, Vec<_>) = issues.into_iter().partition(|i| i.kind == IssueKind::Missing);
    if !errors.is_empty() {
        for e in &errors {
            note!("{answers_file}: {}: {}", e.path, e.message);
        }
        bail!("{answers_file}: {} problem(s) in the answers for pack {} v{}", errors.len(), pack.id, pack.version);
    }

    let suggestion = suggest_grade(&pack, &answers, &history, at, &config.grading);
    let mut record = FormRecord::new_draft("cli", "cli", &pack, "cli");
    record.answers = answers;
    record.officer_grade = args.officer_grade.map(Grade::from);
    let tasks = generated_tasks(&pack, &record, Some(&suggestion), args.linked_children, at, &config);
    let missing: Vec<String> = missing.iter().map(|m| m.path.clone()).collect();

    if args.json {
        let out = json!({
            "format": "bluelamp-forms-grade/1",
            "pack": {"id": pack.id, "version": pack.version, "title": pack.title},
            "at": crate::victims::uk_rfc3339(at),
            "officer_grade": record.officer_grade,
            "suggestion": serde_json::to_value(&suggestion)?,
            "tasks": tasks.iter().map(|t| {
                let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.insert("due".into(), Value::String(crate::victims::uk_rfc3339(t.due_at)));
                }
                v
            }).collect::<Vec<_>>(),
            "unanswered_required": missing,
        });
        emit(&format!("{}\n", serde_json::to_string_pretty(&out)?))
    } else {
        let mut o = String::new();
        print_text(&mut o, &pack, &suggestion, &tasks, &missing, at);
        emit(&crate::output::printable(&o))
    }
}

fn print_text(o: &mut String, pack: &FormPack, s: &RiskSuggestion, tasks: &[Task], missing: &[String], at: i64) {
    outln!(o, "Pack: {} v{} ({})", pack.id, pack.version, pack.title);
    outln!(o, "Incident time: {}", crate::victims::uk_display(at));
    if !pack.requires_grade {
        // A plan is not graded: no suggestion to print, and no grade for the officer to record.
        outln!(o, "Graded: no (this form records no risk grade)");
        outln!(o, "Tasks on submission:");
        for t in tasks {
            outln!(o, "  - {} (due {}): {}", t.label, crate::victims::uk_display(t.due_at), t.reason);
        }
        if !missing.is_empty() {
            outln!(o, "Not yet answered (required): {}", missing.join(", "));
        }
        return;
    }
    outln!(o, "Suggested grade: {}", s.suggested.label());
    outln!(
        o,
        "Answers: {} yes, {} don't know, {} declined, {} unanswered (scored questions)",
        s.yes_count,
        s.dont_know_count,
        s.declined_count,
        s.unanswered_count
    );
    if s.reasons.is_empty() {
        outln!(o, "Reasons: none (no grading rule was met)");
    } else {
        outln!(o, "Reasons:");
        for r in &s.reasons {
            outln!(o, "  - [{}] {}", r.grade.label(), r.message);
        }
    }
    outln!(o, "MARAC criterion met: {}", if s.marac_indicated { "yes" } else { "no" });
    outln!(o, "Tasks on submission:");
    for t in tasks {
        outln!(o, "  - {} (due {}): {}", t.label, crate::victims::uk_display(t.due_at), t.reason);
    }
    if !missing.is_empty() {
        outln!(o, "Not yet answered (required): {}", missing.join(", "));
    }
    outln!(o, "The suggestion does not choose for the officer: they record their own grade and rationale.");
}
