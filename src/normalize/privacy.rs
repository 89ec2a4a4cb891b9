//! Masking of personal details in free text before it is shown, exported or logged:
//! e-mail addresses, and runs of 8 or more digits (phone and card numbers), which may be
//! broken up by spaces, dots, dashes or brackets.

/// Digits in a run that make it a phone or card number.
const MIN_DIGITS: usize = 8;

/// Replaces e-mail addresses with `[email]` and long digit runs with `[number]`.
pub fn mask(text: &str) -> String {
    let words: Vec<String> = text.split(' ').map(mask_email).collect();
    mask_digit_runs(&words.join(" "))
}

fn mask_email(word: &str) -> String {
    let trimmed = word.trim_matches(|c: char| !c.is_alphanumeric());
    let is_email = trimmed.split_once('@').is_some_and(|(user, domain)| {
        !user.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    });
    if is_email {
        word.replace(trimmed, "[email]")
    } else {
        word.to_string()
    }
}

fn mask_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        let opens_number =
            chars[index] == '(' && chars.get(index + 1).is_some_and(char::is_ascii_digit);
        if !chars[index].is_ascii_digit() && chars[index] != '+' && !opens_number {
            out.push(chars[index]);
            index += 1;
            continue;
        }
        // Extend over digits and the separators people write inside numbers.
        let mut end = index;
        let mut digits = 0;
        let mut last_digit = index;
        while end < chars.len() && (chars[end].is_ascii_digit() || " .-()+/".contains(chars[end])) {
            if chars[end].is_ascii_digit() {
                digits += 1;
                last_digit = end;
            }
            end += 1;
        }
        if digits >= MIN_DIGITS {
            out.push_str("[number]");
            index = last_digit + 1;
        } else {
            out.push(chars[index]);
            index += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_emails_and_long_numbers() {
        let cases = [
            ("write to ana.silva@example.com.", "write to [email]."),
            ("call (11) 98765-4321 now", "call [number] now"),
            ("card 4111 1111 1111 1111", "card [number]"),
            (
                "order 12345 arrived in 3 days",
                "order 12345 arrived in 3 days",
            ),
            ("nota 5/5, chegou dia 10.", "nota 5/5, chegou dia 10."),
            ("@ alone and x@y", "@ alone and x@y"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask(input), expected, "{input}");
        }
    }
}
