//! Event-time windows ending at the watermark.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    All,
    /// The span in seconds.
    Last(i64),
}

impl Window {
    /// Parses "all" or a number followed by m, h or d.
    pub fn parse(text: &str) -> Option<Window> {
        let text = text.trim();
        if text == "all" {
            return Some(Window::All);
        }
        let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
        let count: i64 = digits.parse().ok().filter(|n| *n > 0)?;
        let unit_seconds = match unit {
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return None,
        };
        count.checked_mul(unit_seconds).map(Window::Last)
    }

    /// Reports whether an event at `time` falls in the window ending at `watermark`,
    /// `shift` windows back (0 is the current window, 1 the one before it).
    pub fn contains(self, time: Option<i64>, watermark: Option<i64>, shift: i64) -> bool {
        match self {
            Window::All => shift == 0,
            Window::Last(span) => match (time, watermark) {
                (Some(time), Some(end)) => {
                    let end = end - span * shift;
                    time <= end && time > end - span
                }
                _ => false,
            },
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Window::All => f.write_str("all"),
            Window::Last(span) if span % 86_400 == 0 && *span > 86_400 => {
                write!(f, "{}d", span / 86_400)
            }
            Window::Last(span) if span % 3600 == 0 => write!(f, "{}h", span / 3600),
            Window::Last(span) => write!(f, "{}m", span / 60),
        }
    }
}

impl serde::Serialize for Window {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Window {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Window::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not a window")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for text in ["all", "1h", "24h", "7d", "90m", "36h"] {
            let window = Window::parse(text).expect("valid window");
            assert_eq!(window.to_string(), text);
        }
        assert_eq!(Window::parse("0h"), None);
        assert_eq!(Window::parse("h"), None);
        assert_eq!(Window::parse("3w"), None);
    }

    #[test]
    fn window_bounds() {
        let day = Window::parse("24h").expect("valid window");
        assert!(day.contains(Some(100_000), Some(100_000), 0));
        assert!(!day.contains(Some(100_000 - 86_400), Some(100_000), 0));
        assert!(day.contains(Some(100_000 - 86_400), Some(100_000), 1));
        assert!(!day.contains(None, Some(100_000), 0));
    }
}
