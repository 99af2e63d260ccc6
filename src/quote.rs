//! Text that came from elsewhere, made fit for a message: a path as a shell word for a
//! command to paste, a hostile line clipped for an error. A leaf: every layer may use it.

/// A path as a shell word, so that a printed command can be pasted as it is.
pub fn shell_quote(path: &str) -> String {
    let plain = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@,=".contains(c));
    if plain {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', "'\\''"))
    }
}

/// At most 80 characters of a text that came from outside, for an error message: a hostile
/// file's line or argument may be megabytes long.
pub fn clipped(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("certs/device.pem.crt"), "certs/device.pem.crt");
        assert_eq!(shell_quote("my certs/a.pem"), "'my certs/a.pem'");
        assert_eq!(shell_quote("it's.pem"), "'it'\\''s.pem'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn long_text_is_clipped_at_80_characters() {
        assert_eq!(clipped("short"), "short");
        let long = "é".repeat(100);
        assert_eq!(clipped(&long), format!("{}…", "é".repeat(80)));
    }
}
