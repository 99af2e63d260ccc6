//! Text that came from elsewhere, made fit for a message: a path as a shell word for a
//! command to paste, a hostile line clipped for an error, a long list of names shortened to
//! its first few ("a, b, c … and 4998 more"), long text from a server (a policy's statement
//! id, a broker's reason) clipped with a visible mark saying how long it was. A leaf: every
//! layer may use it.

use std::borrow::Cow;

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

/// A path as shown in every output (text, JSON lines, JSON), byte-exact: its valid UTF-8 as
/// it is, each byte that is not valid UTF-8 as `\xNN` (two lowercase hex digits), and a
/// backslash as `\\`, so that two different names never print the same and the bytes
/// can be recovered (`printf '%b'`). Lossy conversion (U+FFFD) would print two names alike.
pub fn path_name(path: &std::path::Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str());
    #[cfg(not(unix))]
    let owned = path.to_string_lossy();
    #[cfg(not(unix))]
    let bytes = owned.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// At most 80 characters of a text that came from outside, for an error message: a hostile
/// file's line or argument may be megabytes long.
pub fn clipped(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// The most bytes of one text taken from a server that a report shows: more than any value
/// AWS IoT gives (a policy document is at most 2,048 characters, a thing attribute 800).
pub const MAX_SERVER_TEXT: usize = 4096;

/// The names shown before "… and N more".
pub const FEW: usize = 5;

/// `items` joined with `separator`, at most `shown` of them, then "… and N more" for the rest.
pub fn few<S: AsRef<str>>(items: &[S], shown: usize, separator: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().take(shown.max(1)).enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(item.as_ref());
    }
    let rest = items.len().saturating_sub(shown.max(1));
    if rest > 0 {
        out.push_str(&format!(" … and {rest} more"));
    }
    out
}

/// `text` when it is at most `max` bytes; else its first `max` bytes (to a character
/// boundary) and a mark saying it was clipped and how long it was.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!(
        "{}… [clipped: {} bytes in all]",
        &text[..end],
        text.len()
    ))
}

/// [`clip`] at [`MAX_SERVER_TEXT`]: for every text a report takes from a server.
pub fn clip_server(text: &str) -> Cow<'_, str> {
    clip(text, MAX_SERVER_TEXT)
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

    #[test]
    fn path_names_are_byte_exact_and_escaped() {
        use std::os::unix::ffi::OsStrExt;
        let name =
            |bytes: &[u8]| path_name(std::path::Path::new(std::ffi::OsStr::from_bytes(bytes)));
        assert_eq!(name(b"certs/device.pem"), "certs/device.pem");
        assert_eq!(name("certs/é.pem".as_bytes()), "certs/é.pem");
        // Two names a lossy conversion prints alike.
        assert_eq!(name(b"a\xff.pem"), "a\\xff.pem");
        assert_eq!(name(b"a\xfe.pem"), "a\\xfe.pem");
        // A backslash is doubled, so that a name holding the text \xff stays apart.
        assert_eq!(name(b"a\\xff.pem"), "a\\\\xff.pem");
    }

    #[test]
    fn few_names_the_first_and_counts_the_rest() {
        let names: Vec<String> = (0..5001).map(|i| format!("CA {i}")).collect();
        assert_eq!(few(&names, 3, ", "), "CA 0, CA 1, CA 2 … and 4998 more");
        assert_eq!(few(&names[..2], 3, ", "), "CA 0, CA 1");
        assert_eq!(few::<&str>(&[], 3, ", "), "");
    }

    #[test]
    fn clip_keeps_the_start_marks_the_cut_and_respects_characters() {
        assert_eq!(clip("short", 10), "short");
        let long = "é".repeat(10); // 20 bytes
        let clipped = clip(&long, 5);
        assert_eq!(clipped, "éé… [clipped: 20 bytes in all]");
        let huge = "x".repeat(10 << 20);
        assert!(clip_server(&huge).len() < MAX_SERVER_TEXT + 64);
    }
}
