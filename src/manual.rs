//! The command line's own documentation, generated from its clap definitions (`cli.rs`): shell
//! completions (clap_complete) and man pages (clap_mangen). Like `app.rs`, this module reads
//! clap types, because the definitions themselves are its input: nothing is written twice.

use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::roff::{roman, Roff};
use clap_mangen::Man;

use crate::cli::Cli;
use crate::error::Error;

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> String {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "iotcheck", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}

/// The names of the commands that have a page of their own, in help order.
pub fn commands() -> Vec<String> {
    let mut top = root();
    top.build();
    let mut subcommands: Vec<&clap::Command> =
        top.get_subcommands().filter(|c| !c.is_hide_set()).collect();
    subcommands.sort_by_key(|c| c.get_display_order());
    subcommands
        .iter()
        .map(|c| c.get_name().to_string())
        .collect()
}

/// The page of `iotcheck` (None) or of one of its commands, as roff.
pub fn page(command: Option<&str>) -> Result<String, Error> {
    let mut top = root();
    top.build();
    let Some(name) = command else {
        return Ok(render(&top, true));
    };
    let found = top
        .get_subcommands()
        .find(|c| c.get_name() == name && !c.is_hide_set());
    match found {
        Some(sub) => Ok(render(sub, false)),
        None => Err(Error::Usage(format!(
            "man: no command {}: the pages are {}",
            crate::report::human::clean(&format!("{name:?}")),
            commands().join(", ")
        ))),
    }
}

/// Writes `iotcheck.1` and `iotcheck-COMMAND.1` for every command into `dir` (made if
/// missing), replacing pages of the same names; returns the files written.
pub fn write_pages(dir: &Path) -> Result<Vec<String>, Error> {
    let write_error = |path: &Path, source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
    let mut written = Vec::new();
    let names = std::iter::once(None).chain(commands().into_iter().map(Some));
    for name in names {
        let file = match &name {
            None => "iotcheck.1".to_string(),
            Some(n) => format!("iotcheck-{n}.1"),
        };
        let path = dir.join(file);
        std::fs::write(&path, page(name.as_deref())?).map_err(|e| write_error(&path, e))?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

/// The clap definition as the pages show it: no `help` command, and the version in the
/// footer rather than a section of several lines.
fn root() -> clap::Command {
    Cli::command()
        .disable_help_subcommand(true)
        .version(None::<&'static str>)
        .long_version(None::<&'static str>)
}

/// One page: clap_mangen's sections, then EXAMPLES, EXIT STATUS and SEE ALSO from the same
/// `after_help` text that `--help` ends with.
fn render(command: &clap::Command, top: bool) -> String {
    let after_help = command
        .get_after_help()
        .map(|h| h.to_string())
        .unwrap_or_default();
    // clap_mangen would fill the after-help lines into one paragraph; these sections keep
    // them as lines.
    let man = Man::new(command.clone().after_help(None::<&'static str>))
        .source(format!("iotcheck {}", env!("CARGO_PKG_VERSION")))
        .manual("iotcheck manual");
    let mut out = Vec::new();
    // Rendering into memory cannot fail.
    let _ = man.render(&mut out);
    let mut roff = Roff::new();
    for (heading, lines) in sections(&after_help) {
        match heading.as_str() {
            "EXAMPLES" => {
                roff.control("SH", ["EXAMPLES"]);
                roff.control("RS", ["4"]).control("nf", []);
                for line in lines {
                    roff.text([roman(line)]);
                }
                roff.control("fi", []).control("RE", []);
            }
            "EXIT CODES" => {
                roff.control("SH", ["EXIT STATUS"]);
                for line in lines {
                    let (code, meaning) =
                        line.split_once(char::is_whitespace).unwrap_or((&line, ""));
                    roff.control("TP", ["4"]);
                    roff.text([roman(code)]);
                    roff.text([roman(meaning.trim())]);
                }
            }
            other => {
                roff.control("SH", [other]);
                for line in lines {
                    roff.text([roman(line)]);
                }
            }
        }
    }
    roff.control("SH", ["SEE ALSO"]);
    let see_also: Vec<String> = if top {
        commands()
            .iter()
            .map(|c| format!("iotcheck-{c}(1)"))
            .collect()
    } else {
        vec!["iotcheck(1)".to_string()]
    };
    roff.text([roman(see_also.join(", "))]);
    let mut page = String::from_utf8_lossy(&out).into_owned();
    page.push_str(&roff.to_roff());
    page
}

/// The `after_help` text split into its sections: "HEADING:" lines, then indented lines.
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_suffix(':').filter(|_| !line.starts_with(' ')) {
            sections.push((heading.to_string(), Vec::new()));
        } else if let Some((_, lines)) = sections.last_mut() {
            if !line.trim().is_empty() {
                lines.push(line.trim().to_string());
            }
        }
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_help_splits_into_examples_and_exit_codes() {
        let text = "EXAMPLES:\n  iotcheck a\n  iotcheck b\n\nEXIT CODES:\n  0  ok\n  2  bad";
        let s = sections(text);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0],
            (
                "EXAMPLES".into(),
                vec!["iotcheck a".into(), "iotcheck b".into()]
            )
        );
        assert_eq!(s[1].1, vec!["0  ok".to_string(), "2  bad".to_string()]);
    }

    #[test]
    fn every_command_has_a_page_and_an_unknown_one_is_a_usage_error() {
        for name in commands() {
            let page = page(Some(&name)).unwrap();
            assert!(page.contains(".SH EXAMPLES"), "{name}");
            assert!(page.contains(".SH \"EXIT STATUS\""), "{name}");
        }
        assert!(matches!(page(Some("nope")), Err(Error::Usage(_))));
    }
}
