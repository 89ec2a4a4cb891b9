//! The terminal screen and the headless printer.

pub mod headless;
pub mod sanitize;

use std::path::Path;

use crate::config::Config;

/// Runs the screen. Placeholder until the screen module lands.
pub fn run(_config: &Config, _dir: &Path, _poll: bool) -> anyhow::Result<i32> {
    anyhow::bail!("the screen is not built yet; use --headless or report")
}
