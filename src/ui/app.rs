//! Screen state and key handling, free of terminal I/O so tests drive it directly.

use std::collections::BTreeSet;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use tui_logger::TuiWidgetEvent;

use crate::engine::Snapshot;
use crate::metrics::{DimensionTable, SegmentRow, WindowFigures};
use crate::ui::columns::{SORT_KEYS, visible_rows};
use crate::ui::keys::{KeyAction, KeyMap};

/// Effect of a key outside the screen state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    None,
    Quit,
    Retrain,
    Export,
}

/// The tabs, in the order of the tab bar and of the keys 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Overview,
    Segments,
    Model,
    Alerts,
    Ingest,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::Overview,
        Tab::Segments,
        Tab::Model,
        Tab::Alerts,
        Tab::Ingest,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Segments => "Segments",
            Tab::Model => "Model",
            Tab::Alerts => "Alerts",
            Tab::Ingest => "Ingest",
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// Rows a page key moves.
const PAGE: usize = 10;

/// Scroll state of a log pane.
#[derive(Default)]
pub struct LogScroll(pub tui_logger::TuiWidgetState);

impl std::fmt::Debug for LogScroll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogScroll")
    }
}

#[derive(Debug, Default)]
pub struct App {
    /// The snapshot on screen; while paused, the one frozen by `p`.
    pub snapshot: Arc<Snapshot>,
    /// The newest snapshot that arrived while paused.
    pub waiting: Option<Arc<Snapshot>>,
    pub tab: Tab,
    /// Index into the snapshot's window order.
    pub window: usize,
    /// Index into the snapshot's dimensions.
    pub dimension: usize,
    /// Sort key of the segment table: 0 is the segment name, then the figure columns.
    pub sort: usize,
    pub descending: bool,
    pub filter: String,
    /// Whether keys go to the filter text instead of the bindings.
    pub editing_filter: bool,
    /// Key of the selected segment; the selection follows it when rows move.
    pub selected_key: Option<String>,
    /// Row index of the selection, used when the selected segment leaves the table.
    pub selected: usize,
    /// Segment shown by the drill-down view.
    pub drilled: Option<String>,
    /// Scroll offset of the Alerts and Ingest lists.
    pub scroll: usize,
    pub show_help: bool,
    /// Segments whose figures changed while the view was paused, highlighted until the
    /// next key.
    pub changed: BTreeSet<String>,
    /// Reason the figures stopped updating, when the engine thread ended early.
    pub engine_error: Option<String>,
    pub keys: KeyMap,
    /// Scroll position of the log on the Alerts tab: `PageUp` and `PageDown` page through
    /// it, Esc follows the newest line again.
    pub log: LogScroll,
}

impl App {
    pub fn new(snapshot: Arc<Snapshot>) -> App {
        App::with_keys(snapshot, KeyMap::default())
    }

    pub fn with_keys(snapshot: Arc<Snapshot>, keys: KeyMap) -> App {
        let window = default_window(&snapshot);
        App {
            snapshot,
            window,
            sort: 1,
            descending: true,
            keys,
            ..App::default()
        }
    }

    pub fn paused(&self) -> bool {
        self.waiting.is_some()
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

    /// Returns the table of the chosen dimension in the chosen window.
    pub fn table(&self) -> Option<&DimensionTable> {
        let name = self.dimension_name()?;
        self.figures()?.dimensions.iter().find(|t| t.name == name)
    }

    /// Rows of the segment table as shown: filtered, then sorted.
    pub fn rows(&self) -> Vec<&SegmentRow> {
        self.table().map_or_else(Vec::new, |t| {
            visible_rows(&t.rows, self.sort, self.descending, &self.filter)
        })
    }

    /// Row index of the selection in `rows()`.
    pub fn selected_index(&self) -> usize {
        let rows = self.rows();
        self.selected_key
            .as_ref()
            .and_then(|key| rows.iter().position(|r| &r.key == key))
            .unwrap_or_else(|| self.selected.min(rows.len().saturating_sub(1)))
    }

    /// Returns the row of the drill-down view, if its segment is still in the table.
    pub fn drilled_row(&self) -> Option<&SegmentRow> {
        let key = self.drilled.as_ref()?;
        self.table()?.rows.iter().find(|r| &r.key == key)
    }

    /// Receives a new snapshot: shown at once, or held while the view is paused.
    pub fn set_snapshot(&mut self, snapshot: Arc<Snapshot>) {
        if self.paused() {
            self.waiting = Some(snapshot);
            return;
        }
        self.show(snapshot);
    }

    fn show(&mut self, snapshot: Arc<Snapshot>) {
        if self.snapshot.window_order.is_empty() {
            self.window = default_window(&snapshot);
        }
        self.snapshot = snapshot;
        self.select_index(self.selected_index());
    }

    /// Counts what arrived while paused: new cases and alerts not on screen.
    pub fn waiting_counts(&self) -> Option<(i64, usize)> {
        let waiting = self.waiting.as_ref()?;
        let cases = waiting.cases as i64 - self.snapshot.cases as i64;
        let alerts = waiting
            .alerts
            .iter()
            .filter(|a| {
                !self
                    .snapshot
                    .alerts
                    .iter()
                    .any(|b| b.rule == a.rule && b.segment == a.segment)
            })
            .count();
        Some((cases, alerts))
    }

    fn toggle_pause(&mut self) {
        match self.waiting.take() {
            None => self.waiting = Some(self.snapshot.clone()),
            Some(newest) => {
                let before: Vec<SegmentRow> =
                    self.table().map(|t| t.rows.clone()).unwrap_or_default();
                self.show(newest);
                let after = self.table().map(|t| t.rows.as_slice()).unwrap_or_default();
                self.changed = after
                    .iter()
                    .filter(|row| {
                        !before
                            .iter()
                            .any(|old| old.key == row.key && old.figures == row.figures)
                    })
                    .map(|row| row.key.clone())
                    .collect();
            }
        }
    }

    fn select_index(&mut self, index: usize) {
        let rows = self.rows();
        let index = index.min(rows.len().saturating_sub(1));
        let key = rows.get(index).map(|r| r.key.clone());
        self.selected = index;
        self.selected_key = key;
    }

    fn move_selection(&mut self, down: bool, step: usize) {
        if matches!(self.tab, Tab::Segments) && self.drilled.is_none() {
            let current = self.selected_index();
            let target = if down {
                current.saturating_add(step)
            } else {
                current.saturating_sub(step)
            };
            self.select_index(target);
        } else if down {
            self.scroll = self.scroll.saturating_add(step);
        } else {
            self.scroll = self.scroll.saturating_sub(step);
        }
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

    fn switch_tab(&mut self, tab: Tab) {
        self.tab = tab;
        self.scroll = 0;
    }

    fn edit_filter(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Enter => self.editing_filter = false,
            KeyCode::Esc => {
                self.editing_filter = false;
                self.filter.clear();
            }
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(c) if !c.is_control() => self.filter.push(c),
            _ => return,
        }
        self.selected_key = None;
        self.select_index(0);
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Action {
        if key.kind == KeyEventKind::Release {
            return Action::None;
        }
        if self.editing_filter {
            self.edit_filter(key);
            return Action::None;
        }
        let action = self.keys.action(&key);
        if self.show_help && action != Some(KeyAction::Quit) {
            self.show_help = false;
            return Action::None;
        }
        if action != Some(KeyAction::Pause) {
            self.changed.clear();
        }
        let Some(action) = action else {
            return Action::None;
        };
        self.apply(action)
    }

    fn apply(&mut self, action: KeyAction) -> Action {
        let dimensions = self.snapshot.dimensions.len();
        match action {
            KeyAction::Quit => return Action::Quit,
            KeyAction::Retrain => return Action::Retrain,
            KeyAction::Export => return Action::Export,
            KeyAction::NextTab => self.switch_tab(Tab::ALL[(self.tab.index() + 1) % 5]),
            KeyAction::PreviousTab => self.switch_tab(Tab::ALL[(self.tab.index() + 4) % 5]),
            KeyAction::Overview => self.switch_tab(Tab::Overview),
            KeyAction::Segments => self.switch_tab(Tab::Segments),
            KeyAction::Model => self.switch_tab(Tab::Model),
            KeyAction::Alerts => self.switch_tab(Tab::Alerts),
            KeyAction::Ingest => self.switch_tab(Tab::Ingest),
            KeyAction::NextDimension | KeyAction::PreviousDimension => {
                let forward = action == KeyAction::NextDimension;
                self.dimension = Self::cycle(self.dimension, dimensions, forward);
                self.drilled = None;
                self.selected_key = None;
                self.select_index(0);
            }
            KeyAction::NextWindow => {
                self.window = Self::cycle(self.window, self.snapshot.window_order.len(), true);
                self.select_index(self.selected_index());
            }
            KeyAction::Sort => {
                self.sort = Self::cycle(self.sort, SORT_KEYS, true);
                self.select_index(self.selected_index());
            }
            KeyAction::ReverseSort => {
                self.descending = !self.descending;
                self.select_index(self.selected_index());
            }
            KeyAction::Filter => {
                self.switch_tab(Tab::Segments);
                self.drilled = None;
                self.editing_filter = true;
            }
            KeyAction::DrillIn => {
                if self.tab == Tab::Segments && self.drilled.is_none() {
                    self.drilled = self
                        .rows()
                        .get(self.selected_index())
                        .map(|r| r.key.clone());
                }
            }
            KeyAction::Back => {
                if self.tab == Tab::Alerts {
                    self.log.0.transition(TuiWidgetEvent::EscapeKey);
                } else if self.drilled.is_some() {
                    self.drilled = None;
                } else {
                    self.filter.clear();
                }
            }
            KeyAction::Up => self.move_selection(false, 1),
            KeyAction::Down => self.move_selection(true, 1),
            KeyAction::PageUp if self.tab == Tab::Alerts => {
                self.log.0.transition(TuiWidgetEvent::PrevPageKey);
            }
            KeyAction::PageDown if self.tab == Tab::Alerts => {
                self.log.0.transition(TuiWidgetEvent::NextPageKey);
            }
            KeyAction::PageUp => self.move_selection(false, PAGE),
            KeyAction::PageDown => self.move_selection(true, PAGE),
            KeyAction::Pause => self.toggle_pause(),
            KeyAction::Help => self.show_help = true,
        }
        Action::None
    }
}

fn default_window(snapshot: &Snapshot) -> usize {
    snapshot
        .window_order
        .iter()
        .position(|w| w == "all")
        .unwrap_or(0)
}
