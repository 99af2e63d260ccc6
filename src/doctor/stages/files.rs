//! `files`: each file present, readable and a regular file; its mode and its directory's as
//! the client requires (the Device Client compares for equality; without a client, a key
//! open to group or others is a warning).

use std::path::Path;

use super::{Earlier, Stage, StageId};
use crate::doctor::config::ModeRule;
use crate::doctor::facts::{Facts, FileFacts, FileRole};
use crate::doctor::verdict::Evidence;
use crate::finding::{Code, Finding};

pub fn judge(facts: &Facts, _earlier: &Earlier) -> Stage {
    of(&facts.files, facts.millis.files)
}

/// The stage from the files' facts.
pub fn of(files: &[FileFacts], duration_ms: f64) -> Stage {
    let mut findings = Vec::new();
    for file in files {
        if let Some(problem) = &file.problem {
            findings.push(
                Finding::new(
                    Code::FileMissing,
                    format!("the {} {}: {problem}", file.role.words(), file.path),
                )
                .on_file(&file.path),
            );
            continue;
        }
        findings.extend(mode_finding(file, file.mode, file.rule, false));
        findings.extend(mode_finding(file, file.dir_mode, file.dir_rule, true));
    }
    Stage::judged(StageId::Files, findings, duration_ms)
}

fn mode_finding(file: &FileFacts, mode: Option<u32>, rule: ModeRule, dir: bool) -> Option<Finding> {
    let mode = mode? & 0o777;
    let what = if dir {
        format!("the directory of the {} {}", file.role.words(), file.path)
    } else {
        format!("the {} {}", file.role.words(), file.path)
    };
    // What the rule says of this mode, the code it is found under, and the mode to set.
    let (says, code, set) = match rule {
        ModeRule::Exactly(want) if mode != want => (
            format!("; its client requires exactly {want:04o} and refuses any other"),
            Code::FileMode,
            want,
        ),
        ModeRule::Recommended(want) if mode != want => (
            format!("; its client recommends {want:04o} and warns at start"),
            Code::FileModeRecommended,
            want,
        ),
        ModeRule::AtMost(allowed) if mode & !allowed != 0 => (
            format!(", more than {allowed:04o} allows"),
            if file.role == FileRole::Key && !dir {
                Code::KeyPermissions
            } else {
                Code::FileMode
            },
            allowed,
        ),
        _ => return None,
    };
    Some(
        Finding::new(
            code,
            format!(
                "{what} has mode {mode:04o}{says} ({}): chmod {set:o} it",
                file.rule_source
            ),
        )
        .on_file(&file.path),
    )
}

pub fn advice(_stage: &Stage, evidence: &Evidence) -> String {
    let exactly = |facts: &FileFacts| -> Option<(String, u32, u32)> {
        let check = |mode: Option<u32>, rule: ModeRule, path: String| match (mode, rule) {
            (Some(mode), ModeRule::Exactly(want)) if mode & 0o777 != want => {
                Some((path, mode & 0o777, want))
            }
            _ => None,
        };
        check(facts.mode, facts.rule, facts.path.clone()).or_else(|| {
            let dir = Path::new(&facts.path)
                .parent()
                .map(|d| d.display().to_string())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| ".".to_string());
            check(facts.dir_mode, facts.dir_rule, dir)
        })
    };
    if let Some(missing) = evidence.files.iter().find(|f| f.problem.is_some()) {
        let problem = missing.problem.as_deref().unwrap_or_default();
        return format!(
            "The {} {} {problem}: put the file in place (or correct the path the configuration names), readable by the device's user.",
            missing.role.words(),
            missing.path
        );
    }
    let wrong: Vec<(String, u32, u32)> = evidence.files.iter().filter_map(exactly).collect();
    match wrong.as_slice() {
        [] => "Set the modes the device's client requires, as the files findings name them, then run doctor again.".into(),
        [(path, mode, want), rest @ ..] => {
            let more = match rest.len() {
                0 => String::new(),
                n => format!(" (and {n} more the files findings name)"),
            };
            let client = evidence.client.unwrap_or("the device's client");
            format!(
                "Run chmod {want:o} {path}{more}: it has mode {mode:04o}, and {client} requires exactly {want:04o}, refusing any other mode, stricter ones too."
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::stages::testing::{failed, file};
    use crate::doctor::stages::Status;

    #[test]
    fn modes_are_held_to_the_clients_rule() {
        // (role, mode, rule, status, code of the first finding)
        let cases = [
            (
                FileRole::Key,
                0o400,
                ModeRule::Exactly(0o600),
                Status::Fail,
                Some(Code::FileMode),
            ),
            (
                FileRole::Key,
                0o600,
                ModeRule::Exactly(0o600),
                Status::Ok,
                None,
            ),
            (
                FileRole::Key,
                0o644,
                ModeRule::AtMost(0o600),
                Status::Warn,
                Some(Code::KeyPermissions),
            ),
            (
                FileRole::Key,
                0o400,
                ModeRule::AtMost(0o600),
                Status::Ok,
                None,
            ),
            (
                FileRole::Config,
                0o644,
                ModeRule::Recommended(0o640),
                Status::Warn,
                Some(Code::FileModeRecommended),
            ),
            (
                FileRole::RootCa,
                0o666,
                ModeRule::AtMost(0o644),
                Status::Fail,
                Some(Code::FileMode),
            ),
        ];
        for (role, mode, rule, status, code) in cases {
            let stage = of(&[file(role, mode, rule)], 0.0);
            assert_eq!(stage.status, status, "{role:?} {mode:o} {rule:?}");
            assert_eq!(stage.findings.first().map(|f| f.code), code);
        }
        let stage = of(&[file(FileRole::Key, 0o400, ModeRule::Exactly(0o600))], 0.0);
        assert!(stage.findings[0].message.contains("0400"));
    }

    #[test]
    fn a_missing_file_is_named() {
        let mut gone = file(FileRole::Certificate, 0o644, ModeRule::AtMost(0o644));
        gone.problem = Some("does not exist".into());
        let stage = of(&[gone], 0.0);
        assert_eq!(stage.findings[0].code, Code::FileMissing);
        assert_eq!(
            stage.findings[0].message,
            "the device certificate /d/k.pem: does not exist"
        );
    }

    #[test]
    fn the_advice_names_the_file_and_the_mode() {
        let key = file(FileRole::Key, 0o400, ModeRule::Exactly(0o600));
        let evidence = Evidence {
            client: Some("the AWS IoT Device Client"),
            files: vec![key],
            ..Evidence::default()
        };
        let text = advice(&failed(StageId::Files, Code::FileMode), &evidence);
        assert!(
            text.starts_with(
                "Run chmod 600 /d/k.pem: it has mode 0400, and the AWS IoT Device Client \
                 requires exactly 0600"
            ),
            "{text}"
        );
        let mut gone = file(FileRole::Key, 0o600, ModeRule::Exactly(0o600));
        gone.problem = Some("does not exist".into());
        let text = advice(
            &failed(StageId::Files, Code::FileMissing),
            &Evidence {
                files: vec![gone],
                ..Evidence::default()
            },
        );
        assert!(
            text.starts_with("The private key /d/k.pem does not exist"),
            "{text}"
        );
    }
}
