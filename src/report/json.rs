//! JSON output: one object on one line, with every character that could reorder or hide text
//! on a terminal escaped, so that strings from certificates are safe to print as they are.

use serde::Serialize;

use super::human::hidden_or_reordering;

/// One JSON object on one line, newline-terminated. serde_json escapes only U+0000–U+001F;
/// DEL, the C1 controls, bidi controls, line and paragraph separators and zero-width
/// characters are escaped here as `\uXXXX`. Outside strings serde_json writes only ASCII, so
/// replacing these characters can only touch string contents, which parse back unchanged.
pub fn to_line<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs of strings, numbers and vectors cannot fail.
    let text = serde_json::to_string(value).expect("report serialises");
    let mut line = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if hidden_or_reordering(c) {
            // Every such character is in the Basic Multilingual Plane: one \u escape.
            line.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            line.push(c);
        }
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangerous_characters_are_escaped_and_parse_back() {
        let text = "a\u{9b}b\u{85}c\u{7f}d\u{202e}e\u{2066}f\u{200e}g\u{61c}h\u{2028}i\u{200b}j\u{feff}k\u{1f600}ü";
        let line = to_line(&serde_json::json!({ "cn": text }));
        assert!(!line.chars().any(hidden_or_reordering), "{line}");
        assert!(
            line.contains("\\u009b") && line.contains("\\u202e"),
            "{line}"
        );
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["cn"], text);
        // Ordinary non-ASCII text stays as it is.
        assert!(line.contains('ü') && line.contains('\u{1f600}'));
    }
}
