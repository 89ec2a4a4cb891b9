//! Text from the data made safe for a terminal. Control characters and escape sequences
//! become visible placeholders, so a segment name cannot move the cursor or set the
//! clipboard. Truncation works on graphemes and display width, so wide characters keep
//! columns aligned.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Replaces C0 controls (tab becomes a space), DEL and C1 controls with U+FFFD, and drops
/// the body of ESC sequences so no stray `[2J` remains.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(' '),
            '\u{1b}' => {
                out.push('\u{fffd}');
                skip_escape_body(&mut chars);
            }
            '\u{9b}' => {
                out.push('\u{fffd}');
                skip_csi_body(&mut chars);
            }
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Returns the display width of text, summed per grapheme as ratatui lays it out.
pub fn width(text: &str) -> usize {
    text.graphemes(true).map(UnicodeWidthStr::width).sum()
}

/// Cleans `text` and truncates it to at most `max_width` columns, ending with `…` when
/// something was cut. Graphemes are never split, so a ZWJ emoji or a letter with its
/// combining accent is kept or dropped whole, and a wide character that would straddle the
/// limit is dropped.
pub fn fit(text: &str, max_width: usize) -> String {
    let text = clean(text);
    if width(&text) <= max_width {
        return text;
    }
    if max_width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for grapheme in text.graphemes(true) {
        let grapheme_width = grapheme.width();
        if used + grapheme_width > max_width - 1 {
            break;
        }
        out.push_str(grapheme);
        used += grapheme_width;
    }
    out.push('…');
    out
}

fn skip_escape_body(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi_body(chars);
        }
        Some(']' | 'P' | '_' | '^') => {
            // OSC, DCS, APC and PM strings end with BEL or ESC \.
            chars.next();
            while let Some(c) = chars.next() {
                if c == '\u{7}' || c == '\u{9c}' {
                    break;
                }
                if c == '\u{1b}' {
                    if chars.peek() == Some(&'\\') {
                        chars.next();
                    }
                    break;
                }
            }
        }
        Some(c) if ('\u{20}'..='\u{7e}').contains(c) => {
            chars.next();
        }
        _ => {}
    }
}

/// Skips CSI parameters up to and including the final byte (0x40 to 0x7e).
fn skip_csi_body(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&c) = chars.peek() {
        if ('\u{20}'..='\u{3f}').contains(&c) {
            chars.next();
        } else {
            if ('\u{40}'..='\u{7e}').contains(&c) {
                chars.next();
            }
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_removed() {
        let cases = [
            ("a\u{1b}[2Jb", "a\u{fffd}b"),
            ("x\u{1b}]52;c;SGVsbG8=\u{7}y", "x\u{fffd}y"),
            ("bell\u{7}", "bell\u{fffd}"),
            ("c1\u{9b}31mred", "c1\u{fffd}red"),
            ("tab\there", "tab here"),
            ("del\u{7f}", "del\u{fffd}"),
            ("São Paulo 家居 👩‍👩‍👧", "São Paulo 家居 👩‍👩‍👧"),
        ];
        for (input, expected) in cases {
            assert_eq!(clean(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn fit_cuts_on_grapheme_and_width() {
        let cases = [
            ("家居用品", 5, "家居…"),
            ("家居用品", 8, "家居用品"),
            ("ab👩‍👩‍👧cd", 4, "ab…"),
            ("ab👩‍👩‍👧cd", 5, "ab👩‍👩‍👧…"),
            ("Sa\u{303}o Paulo", 3, "Sa\u{303}…"),
            ("x\u{1b}[2Jyz", 3, "x\u{fffd}…"),
            ("abc", 0, ""),
        ];
        for (input, max_width, expected) in cases {
            let fitted = fit(input, max_width);
            assert_eq!(fitted, expected, "input {input:?} at {max_width}");
            assert!(width(&fitted) <= max_width, "{fitted:?} fits {max_width}");
        }
    }

    #[test]
    fn output_has_no_control_characters() {
        let nasty = "\u{1b}[2J\u{1b}]52;c;AAAA\u{1b}\\\u{7}\u{9b}1;2H\r\n\u{0}";
        assert!(!clean(nasty).chars().any(char::is_control));
    }
}
