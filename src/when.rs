//! Instants: parsing `--at` and formatting times for reports. The clock itself is read in `main`.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// Parses an instant: RFC 3339 (`2026-01-01T00:00:00Z`), a date (`2026-01-01`, midnight UTC),
/// or unix seconds (`@1767225600`). Returns unix seconds.
pub fn parse_instant(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Some(secs) = text.strip_prefix('@') {
        let secs = secs
            .parse::<i64>()
            .map_err(|_| format!("{text:?} is not @UNIX_SECONDS"))?;
        return match OffsetDateTime::from_unix_timestamp(secs) {
            Ok(t) if (0..=9999).contains(&t.year()) => Ok(secs),
            _ => Err(format!("{text:?} is outside the years 0 to 9999")),
        };
    }
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = Date::parse(text, &date_format) {
        return Ok(d.midnight().assume_utc().unix_timestamp());
    }
    Err(format!(
        "{text:?} is not a time: use RFC 3339 (2026-01-01T00:00:00Z), a date (2026-01-01) or @UNIX_SECONDS"
    ))
}

/// `2026-01-01T00:00:00Z`.
pub fn rfc3339(secs: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => t.format(&Rfc3339).unwrap_or_else(|_| format!("@{secs}")),
        Err(_) => format!("@{secs}"),
    }
}

/// Whole days from `from` to `to` (negative when `to` is earlier), rounded toward zero.
pub fn days_between(from: i64, to: i64) -> i64 {
    (to - from) / 86_400
}

/// The first instant of the year 2000: devices whose clock reads earlier have not set it.
pub const Y2K: i64 = 946_684_800;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_forms_parse_to_the_same_instant() {
        assert_eq!(parse_instant("2026-01-01T00:00:00Z"), Ok(1_767_225_600));
        assert_eq!(parse_instant("2026-01-01"), Ok(1_767_225_600));
        assert_eq!(parse_instant("@1767225600"), Ok(1_767_225_600));
        assert_eq!(
            parse_instant("2026-01-01T01:00:00+01:00"),
            Ok(1_767_225_600)
        );
        assert!(parse_instant("yesterday").is_err());
        assert!(parse_instant("@x").is_err());
        assert!(parse_instant("@-9223372036854775808").is_err());
        assert!(parse_instant("@99999999999999").is_err());
        assert_eq!(parse_instant("@-1"), Ok(-1));
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(days_between(0, 86_400 * 3 + 5), 3);
        assert_eq!(days_between(86_400 * 3, 0), -3);
    }
}
