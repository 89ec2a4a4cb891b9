//! Key bindings: the actions of the screen, their default keys, and overrides from the
//! config's `[keys]` table.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a bound key can do on the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Quit,
    NextTab,
    PreviousTab,
    Overview,
    Segments,
    Model,
    Alerts,
    Ingest,
    NextDimension,
    PreviousDimension,
    NextWindow,
    Sort,
    ReverseSort,
    Filter,
    DrillIn,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Retrain,
    Export,
    Pause,
    Help,
}

/// One bindable action: its name in `[keys]`, default keys and help text.
pub struct ActionInfo {
    pub name: &'static str,
    pub action: KeyAction,
    pub defaults: &'static [&'static str],
    pub help: &'static str,
}

/// Every bindable action, in the order the help overlay lists them.
pub const ACTIONS: &[ActionInfo] = &[
    info("quit", KeyAction::Quit, &["q"], "quit (Ctrl-C too)"),
    info("next_tab", KeyAction::NextTab, &["Tab"], "next tab"),
    info(
        "previous_tab",
        KeyAction::PreviousTab,
        &["Shift-Tab"],
        "previous tab",
    ),
    info("overview", KeyAction::Overview, &["1"], "Overview tab"),
    info("segments", KeyAction::Segments, &["2"], "Segments tab"),
    info("model", KeyAction::Model, &["3"], "Model tab"),
    info("alerts", KeyAction::Alerts, &["4"], "Alerts tab"),
    info("ingest", KeyAction::Ingest, &["5"], "Ingest tab"),
    info(
        "next_dimension",
        KeyAction::NextDimension,
        &["d"],
        "next dimension",
    ),
    info(
        "previous_dimension",
        KeyAction::PreviousDimension,
        &["D"],
        "previous dimension",
    ),
    info(
        "next_window",
        KeyAction::NextWindow,
        &["w"],
        "next window (event time)",
    ),
    info("sort", KeyAction::Sort, &["s"], "next sort column"),
    info(
        "reverse_sort",
        KeyAction::ReverseSort,
        &["S"],
        "reverse the sort",
    ),
    info(
        "filter",
        KeyAction::Filter,
        &["/"],
        "filter segments by text",
    ),
    info(
        "drill_in",
        KeyAction::DrillIn,
        &["Enter"],
        "open the selected segment",
    ),
    info(
        "back",
        KeyAction::Back,
        &["Esc"],
        "back, or clear the filter",
    ),
    info("up", KeyAction::Up, &["k", "Up"], "move up"),
    info("down", KeyAction::Down, &["j", "Down"], "move down"),
    info("page_up", KeyAction::PageUp, &["PageUp"], "move up a page"),
    info(
        "page_down",
        KeyAction::PageDown,
        &["PageDown"],
        "move down a page",
    ),
    info("retrain", KeyAction::Retrain, &["r"], "retrain the model"),
    info(
        "export",
        KeyAction::Export,
        &["e"],
        "export this tab (CSV, JSON)",
    ),
    info(
        "pause",
        KeyAction::Pause,
        &["p"],
        "freeze or unfreeze the view",
    ),
    info("help", KeyAction::Help, &["?"], "show or hide this help"),
];

const fn info(
    name: &'static str,
    action: KeyAction,
    defaults: &'static [&'static str],
    help: &'static str,
) -> ActionInfo {
    ActionInfo {
        name,
        action,
        defaults,
        help,
    }
}

/// Named keys a binding may use, besides single characters and F1 to F12.
const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("Tab", KeyCode::Tab),
    ("Shift-Tab", KeyCode::BackTab),
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Backspace", KeyCode::Backspace),
    ("Space", KeyCode::Char(' ')),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
];

/// Parses a key name: one printable character, a named key such as "Enter", or F1 to F12.
pub fn parse_key(name: &str) -> Option<KeyCode> {
    if let Some((_, code)) = NAMED_KEYS.iter().find(|(n, _)| *n == name) {
        return Some(*code);
    }
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if !c.is_control() && !c.is_whitespace() => return Some(KeyCode::Char(c)),
        _ => {}
    }
    let number: u8 = name.strip_prefix('F')?.parse().ok()?;
    (1..=12).contains(&number).then_some(KeyCode::F(number))
}

/// Returns the name `parse_key` reads for a key code, for the help overlay.
pub fn key_name(code: KeyCode) -> String {
    match NAMED_KEYS.iter().find(|(_, c)| *c == code) {
        Some((name, _)) => (*name).to_string(),
        None => match code {
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        },
    }
}

/// A problem in the `[keys]` table: the key path, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMapError {
    pub key: String,
    pub problem: String,
    pub fix: String,
}

/// The bindings in force: each key code maps to one action.
#[derive(Debug, Clone)]
pub struct KeyMap {
    bindings: Vec<(KeyCode, KeyAction)>,
}

impl Default for KeyMap {
    fn default() -> KeyMap {
        KeyMap::with_overrides(&BTreeMap::new()).expect("the default bindings are distinct")
    }
}

impl KeyMap {
    /// Builds the bindings from the defaults, replacing the keys of each action named in
    /// `overrides` (action name to key names).
    pub fn with_overrides(
        overrides: &BTreeMap<String, Vec<String>>,
    ) -> Result<KeyMap, KeyMapError> {
        for name in overrides.keys() {
            if !ACTIONS.iter().any(|a| a.name == *name) {
                let names: Vec<&str> = ACTIONS.iter().map(|a| a.name).collect();
                return Err(KeyMapError {
                    key: format!("keys.{name}"),
                    problem: format!("'{name}' is not an action"),
                    fix: format!("use one of {}", names.join(", ")),
                });
            }
        }
        let mut bindings: Vec<(KeyCode, KeyAction)> = Vec::new();
        let mut owners: Vec<&str> = Vec::new();
        for action in ACTIONS {
            let keys: Vec<&str> = match overrides.get(action.name) {
                Some(keys) => keys.iter().map(String::as_str).collect(),
                None => action.defaults.to_vec(),
            };
            if keys.is_empty() {
                return Err(KeyMapError {
                    key: format!("keys.{}", action.name),
                    problem: "no key is given".to_string(),
                    fix: "give at least one key, such as \"x\"".to_string(),
                });
            }
            for key in keys {
                let Some(code) = parse_key(key) else {
                    return Err(KeyMapError {
                        key: format!("keys.{}", action.name),
                        problem: format!("'{key}' is not a key name"),
                        fix: "use one character, F1 to F12, or one of Tab, Shift-Tab, Enter, \
                              Esc, Backspace, Space, Up, Down, Left, Right, Home, End, PageUp, \
                              PageDown"
                            .to_string(),
                    });
                };
                if let Some(index) = bindings.iter().position(|(c, _)| *c == code) {
                    // Name the action the config changed, since the defaults never clash.
                    let (changed, other) = if overrides.contains_key(action.name) {
                        (action.name, owners[index])
                    } else {
                        (owners[index], action.name)
                    };
                    return Err(KeyMapError {
                        key: format!("keys.{changed}"),
                        problem: format!("'{key}' is also bound to '{other}'"),
                        fix: format!("choose another key, or bind '{other}' to another key too"),
                    });
                }
                bindings.push((code, action.action));
                owners.push(action.name);
            }
        }
        Ok(KeyMap { bindings })
    }

    /// Returns the action bound to a key press. Ctrl-C always quits; other keys held with
    /// Ctrl or Alt are not bound.
    pub fn action(&self, key: &KeyEvent) -> Option<KeyAction> {
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            return (key.code == KeyCode::Char('c')).then_some(KeyAction::Quit);
        }
        if key.modifiers.contains(KeyModifiers::ALT) {
            return None;
        }
        self.bindings
            .iter()
            .find(|(code, _)| *code == key.code)
            .map(|(_, action)| *action)
    }

    /// Returns the keys bound to an action, as the help overlay shows them.
    pub fn keys_of(&self, action: KeyAction) -> Vec<String> {
        self.bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(code, _)| key_name(*code))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn defaults_bind_every_action() {
        let keys = KeyMap::default();
        for action in ACTIONS {
            assert!(!keys.keys_of(action.action).is_empty(), "{}", action.name);
        }
        assert_eq!(
            keys.action(&press(KeyCode::Char('j'))),
            Some(KeyAction::Down)
        );
        assert_eq!(keys.action(&press(KeyCode::Down)), Some(KeyAction::Down));
        assert_eq!(
            keys.action(&press(KeyCode::BackTab)),
            Some(KeyAction::PreviousTab)
        );
        let control_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(keys.action(&control_c), Some(KeyAction::Quit));
    }

    #[test]
    fn overrides_replace_default_keys() {
        let overrides = BTreeMap::from([("pause".to_string(), vec!["F5".to_string()])]);
        let keys = KeyMap::with_overrides(&overrides).expect("valid override");
        assert_eq!(keys.action(&press(KeyCode::F(5))), Some(KeyAction::Pause));
        assert_eq!(keys.action(&press(KeyCode::Char('p'))), None);
    }

    #[test]
    fn invalid_overrides_name_key_and_fix() {
        let cases = [
            ("pauze", "x", "keys.pauze", "use one of"),
            ("pause", "Ctrl-P", "keys.pause", "one character"),
            ("pause", "j", "keys.pause", "also bound to 'down'"),
            ("sort", "j", "keys.sort", "also bound to 'down'"),
        ];
        for (action, key, path, fix) in cases {
            let overrides = BTreeMap::from([(action.to_string(), vec![key.to_string()])]);
            let error = KeyMap::with_overrides(&overrides).expect_err("invalid override");
            assert_eq!(error.key, path);
            let text = format!("{} {}", error.problem, error.fix);
            assert!(text.contains(fix), "{text}");
        }
    }

    #[test]
    fn key_names_round_trip() {
        for name in ["Tab", "Shift-Tab", "Enter", "F12", "?", "é"] {
            let code = parse_key(name).expect("known key name");
            assert_eq!(key_name(code), name);
        }
        assert_eq!(parse_key("F13"), None);
        assert_eq!(parse_key("ab"), None);
    }
}
