//! Timestamp parsing. Accepted forms: RFC 3339 with `Z` or an offset, a civil date-time
//! (`YYYY-MM-DD HH:MM:SS`, `T` also accepted) or a date read in the configured zone, and
//! epoch seconds (9 or 10 digits) or milliseconds (12 or 13 digits). Times outside the years
//! 1990 to 2100 are rejected: they come from a wrong column or unit, and one of them would
//! move the watermark and empty every window.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// First and last second accepted: 1990-01-01 and 2100-12-31 in UTC.
const EARLIEST: i64 = 631_152_000;
const LATEST: i64 = 4_133_980_799;

/// Parses a timestamp into seconds since the Unix epoch, or explains why it is invalid.
pub fn parse_time(text: &str, zone: &TimeZone) -> Result<i64, String> {
    let seconds = parse_any_time(text, zone)?;
    if (EARLIEST..=LATEST).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(format!(
            "'{}' is outside the years 1990 to 2100; check the column and its unit",
            text.trim()
        ))
    }
}

fn parse_any_time(text: &str, zone: &TimeZone) -> Result<i64, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return parse_epoch(text);
    }
    if text.contains('/') {
        return Err(format!(
            "'{text}' is ambiguous: day and month order cannot be told; write YYYY-MM-DD"
        ));
    }
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Ok(timestamp.as_second());
    }
    if let Ok(civil) = text.parse::<DateTime>() {
        return civil
            .to_zoned(zone.clone())
            .map(|zoned| zoned.timestamp().as_second())
            .map_err(|err| format!("'{text}' does not exist in the configured zone: {err}"));
    }
    if let Ok(date) = text.parse::<Date>() {
        return date
            .to_zoned(zone.clone())
            .map(|zoned| zoned.timestamp().as_second())
            .map_err(|err| format!("'{text}' does not exist in the configured zone: {err}"));
    }
    Err(format!(
        "'{text}' is not a time; use RFC 3339, YYYY-MM-DD HH:MM:SS, or epoch seconds or milliseconds"
    ))
}

fn parse_epoch(digits: &str) -> Result<i64, String> {
    let value: i64 = digits
        .parse()
        .map_err(|_| format!("'{digits}' is too large for an epoch time"))?;
    match digits.len() {
        9 | 10 => Ok(value),
        12 | 13 => Ok(value.div_euclid(1000)),
        _ => Err(format!(
            "'{digits}' is not epoch seconds (10 digits) or milliseconds (13 digits); write YYYY-MM-DD for a date"
        )),
    }
}

/// Formats epoch seconds as RFC 3339 in UTC, or `-` when out of range.
pub fn format_time(seconds: i64) -> String {
    Timestamp::from_second(seconds).map_or_else(|_| "-".to_string(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_land_on_same_instant() {
        let zone = TimeZone::get("America/Sao_Paulo").expect("zone is in the bundled database");
        let expected = 1_714_561_200; // 2024-05-01T11:00:00Z
        let forms = [
            "1714561200",
            "1714561200000",
            "2024-05-01T11:00:00Z",
            "2024-05-01T08:00:00-03:00",
            "2024-05-01 08:00:00",
            "2024-05-01T08:00:00",
        ];
        for form in forms {
            assert_eq!(parse_time(form, &zone), Ok(expected), "form {form}");
        }
    }

    #[test]
    fn slash_date_is_rejected() {
        let error =
            parse_time("01/05/2024", &TimeZone::UTC).expect_err("slash dates are ambiguous");
        assert!(error.contains("ambiguous"), "{error}");
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(parse_time("yesterday", &TimeZone::UTC).is_err());
        assert!(parse_time("99999999999999999999", &TimeZone::UTC).is_err());
        assert!(
            parse_time("20240105", &TimeZone::UTC).is_err(),
            "a compact date is not epoch seconds"
        );
        assert!(parse_time("99999999999", &TimeZone::UTC).is_err());
        assert!(parse_time("0001-01-01T00:00:00Z", &TimeZone::UTC).is_err());
        assert!(parse_time("2062-01-01T00:00:00Z", &TimeZone::UTC).is_ok());
    }
}
