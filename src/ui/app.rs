//! Screen state and key handling, free of terminal I/O so tests drive it directly.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::engine::Snapshot;
use crate::metrics::WindowFigures;

/// What a key asks of the outside world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    None,
    Quit,
    Retrain,
    Export,
}

#[derive(Debug, Default)]
pub struct App {
    pub snapshot: Arc<Snapshot>,
    /// Index into the snapshot's window order.
    pub window: usize,
    /// Index into the snapshot's dimensions.
    pub dimension: usize,
    /// Selected row of the segment table.
    pub selected: usize,
    pub show_help: bool,
}

/// Key bindings as the help overlay lists them.
pub const KEYS: &[(&str, &str)] = &[
    ("q", "quit"),
    ("Tab / d", "next dimension in the segment table"),
    ("Shift-Tab / D", "previous dimension"),
    ("w", "next window (event time)"),
    ("j / k, arrows", "move in the segment table"),
    ("r", "retrain the model in the background"),
    ("e", "export the figures on screen to CSV and JSON"),
    ("?", "show or hide this help"),
];

impl App {
    pub fn new(snapshot: Arc<Snapshot>) -> App {
        let window = snapshot
            .window_order
            .iter()
            .position(|w| w == "all")
            .unwrap_or(0);
        App {
            snapshot,
            window,
            ..App::default()
        }
    }

    /// Segments with fewer cases than this are drawn dimmed.
    pub fn snapshot_min_cases(&self) -> u64 {
        self.snapshot.min_segment_cases
    }

    pub fn window_label(&self) -> &str {
        self.snapshot
            .window_order
            .get(self.window)
            .map_or("all", String::as_str)
    }

    pub fn figures(&self) -> Option<&WindowFigures> {
        self.snapshot
            .window(self.window_label())
            .or_else(|| self.snapshot.window("all"))
    }

    pub fn dimension_name(&self) -> Option<&str> {
        self.snapshot
            .dimensions
            .get(self.dimension)
            .map(String::as_str)
    }

    /// Replaces the snapshot, keeping the selection inside the table.
    pub fn set_snapshot(&mut self, snapshot: Arc<Snapshot>) {
        if self.snapshot.window_order.is_empty() {
            self.window = snapshot
                .window_order
                .iter()
                .position(|w| w == "all")
                .unwrap_or(0);
        }
        self.snapshot = snapshot;
        self.clamp_selection();
    }

    fn rows(&self) -> usize {
        let name = self.dimension_name();
        self.figures()
            .and_then(|f| f.dimensions.iter().find(|t| Some(t.name.as_str()) == name))
            .map_or(0, |t| t.rows.len())
    }

    fn clamp_selection(&mut self) {
        self.selected = self.selected.min(self.rows().saturating_sub(1));
    }

    fn cycle(current: usize, count: usize, forward: bool) -> usize {
        if count == 0 {
            return 0;
        }
        if forward {
            (current + 1) % count
        } else {
            (current + count - 1) % count
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Action {
        if key.kind == KeyEventKind::Release {
            return Action::None;
        }
        if self.show_help && !matches!(key.code, KeyCode::Char('q')) {
            self.show_help = false;
            return Action::None;
        }
        let dimensions = self.snapshot.dimensions.len();
        match key.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return Action::Quit;
            }
            KeyCode::Tab | KeyCode::Char('d') => {
                self.dimension = Self::cycle(self.dimension, dimensions, true);
                self.selected = 0;
            }
            KeyCode::BackTab | KeyCode::Char('D') => {
                self.dimension = Self::cycle(self.dimension, dimensions, false);
                self.selected = 0;
            }
            KeyCode::Char('w') => {
                self.window = Self::cycle(self.window, self.snapshot.window_order.len(), true);
                self.clamp_selection();
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = self.selected.saturating_add(1);
                self.clamp_selection();
            }
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::PageDown => {
                self.selected = self.selected.saturating_add(10);
                self.clamp_selection();
            }
            KeyCode::PageUp => self.selected = self.selected.saturating_sub(10),
            KeyCode::Char('?') => self.show_help = true,
            KeyCode::Char('r') => return Action::Retrain,
            KeyCode::Char('e') => return Action::Export,
            _ => {}
        }
        Action::None
    }
}
