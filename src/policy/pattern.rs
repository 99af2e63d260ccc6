//! Patterns with policy variables and `*`/`?` wildcards. A variable's value is substituted
//! as literal text: a `*` in a client id is a character, not a wildcard.

use super::context::{Absence, Context, Resolved, Substitution};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    Char(char),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A pattern after substituting its variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Compiled {
    Tokens(Vec<Token>),
    /// A known variable has no value here: the pattern matches nothing.
    Absent(Absence),
    /// A variable iotcheck cannot resolve offline.
    Unknown(String),
}

/// Substitutes the variables of `text` (when `variables`), and reads `*` and `?` as
/// wildcards (when `wildcards`, else as characters).
pub(crate) fn compile(text: &str, context: &Context, variables: bool, wildcards: bool) -> Compiled {
    compile_noting(text, context, variables, wildcards, &mut Vec::new())
}

/// [`compile`], noting each variable's substitution in `notes`.
pub(crate) fn compile_noting(
    text: &str,
    context: &Context,
    variables: bool,
    wildcards: bool,
    notes: &mut Vec<Substitution>,
) -> Compiled {
    let mut tokens = Vec::new();
    let mut absent = None;
    let mut unknown = None;
    let mut rest = text;
    while !rest.is_empty() {
        if variables && rest.starts_with("${") {
            if let Some(end) = rest.find('}') {
                let name = &rest[2..end];
                rest = &rest[end + 1..];
                match name {
                    // IAM's escapes for characters that would otherwise be special.
                    "*" | "?" | "$" => tokens.push(Token::Char(name.chars().next().unwrap_or('$'))),
                    _ => match context.substitute(name) {
                        (Resolved::Values(values), note) if values.len() == 1 => {
                            notes.push(Substitution {
                                variable: name.to_string(),
                                value: Some(values[0].clone()),
                                note,
                            });
                            tokens.extend(values[0].chars().map(Token::Char))
                        }
                        (Resolved::Values(_), _) => {
                            unknown.get_or_insert(format!(
                                "${{{name}}} has several values in this certificate"
                            ));
                        }
                        (Resolved::Absent(why), _) => {
                            notes.push(Substitution {
                                variable: name.to_string(),
                                value: None,
                                note: None,
                            });
                            absent.get_or_insert(why);
                        }
                        (Resolved::Unknown(why), _) => {
                            unknown.get_or_insert(why);
                        }
                    },
                }
                continue;
            }
        }
        let mut chars = rest.chars();
        let c = chars.next().unwrap_or_default();
        rest = chars.as_str();
        tokens.push(match c {
            '*' if wildcards => Token::Star,
            '?' if wildcards => Token::One,
            c => Token::Char(c),
        });
    }
    match (absent, unknown) {
        (Some(why), _) => Compiled::Absent(why),
        (None, Some(why)) => Compiled::Unknown(why),
        (None, None) => Compiled::Tokens(tokens),
    }
}

/// Whether `text` matches the tokens; `fold_case` compares ASCII case-insensitively.
pub(crate) fn matches(tokens: &[Token], text: &str, fold_case: bool) -> bool {
    matches_counting(tokens, text, fold_case, &mut 0)
}

/// [`matches`], adding to `steps` one per turn of its loop: the unit test of its cost counts
/// them, as time on a shared machine cannot be asserted.
///
/// The classic wildcard match: advance while the text and the pattern agree, remember the
/// last star, and on a mismatch let that star take one more character and retry after it.
/// Only the last star is ever retried (an earlier star can take nothing a later one could
/// not), so no pattern makes it exponential: a resource such as `a*a*a*…b` against a long
/// topic costs one turn per pattern token and per text character; the cost's bound is the
/// text's length times the longest run of literals after a star.
pub(crate) fn matches_counting(
    tokens: &[Token],
    text: &str,
    fold_case: bool,
    steps: &mut u64,
) -> bool {
    let text: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| {
        if fold_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        *steps += 1;
        match tokens.get(p) {
            Some(Token::Char(c)) if same(*c, text[t]) => {
                t += 1;
                p += 1;
            }
            Some(Token::One) => {
                t += 1;
                p += 1;
            }
            Some(Token::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p.min(tokens.len())..]
        .iter()
        .all(|token| *token == Token::Star)
}

/// A plain wildcard match without variables (actions).
pub(crate) fn glob(pattern: &str, text: &str, fold_case: bool) -> bool {
    match compile(pattern, &Context::default(), false, true) {
        Compiled::Tokens(tokens) => matches(&tokens, text, fold_case),
        _ => false,
    }
}
