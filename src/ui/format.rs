//! Number formats shared by the tabs.

pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

pub fn decimal(value: Option<f64>, places: usize) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.places$}"))
}

/// Formats minutes in the largest unit that keeps the number readable.
pub fn duration(minutes: Option<f64>) -> String {
    match minutes {
        None => "-".to_string(),
        Some(m) if m.abs() < 90.0 => format!("{m:.0}m"),
        Some(m) if m.abs() < 48.0 * 60.0 => format!("{:.1}h", m / 60.0),
        Some(m) => format!("{:.1}d", m / 1440.0),
    }
}

/// Formats the change from `previous` to `current`, times `scale`, as " +1.2"; empty when
/// either is missing.
pub fn change(current: Option<f64>, previous: Option<f64>, scale: f64) -> String {
    match (current, previous) {
        (Some(c), Some(p)) => format!(" {:+.1}", (c - p) * scale),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_readable_unit() {
        assert_eq!(duration(Some(45.0)), "45m");
        assert_eq!(duration(Some(150.0)), "2.5h");
        assert_eq!(duration(Some(4320.0)), "3.0d");
        assert_eq!(duration(None), "-");
    }

    #[test]
    fn change_is_signed_and_scaled() {
        assert_eq!(change(Some(0.75), Some(0.7), 100.0), " +5.0");
        assert_eq!(change(Some(3.0), Some(3.5), 1.0), " -0.5");
        assert_eq!(change(Some(3.0), None, 1.0), "");
    }
}
