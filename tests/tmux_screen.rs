//! The real binary in a real terminal: tmux runs `csmon watch`, keys go in with
//! `send-keys`, and `capture-pane` reads the screen back.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// One tmux server on a private socket, killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("csmon-test-{}-{name}", std::process::id()),
        };
        tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            "120",
            "-y",
            "40",
            command,
        ]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "main"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn pane(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", "main", format])
            .trim()
            .to_string()
    }

    fn wait_for(&self, what: &str, check: impl Fn(&Tmux) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !check(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{}",
                self.screen().trim_end()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for_text(&self, text: &str) {
        self.wait_for(text, |t| t.screen().contains(text));
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// The shell prints csmon's exit status on the normal screen once csmon has restored it.
fn watch_command(config: &Path, drops: &Path) -> String {
    format!(
        "{} --config {} watch {}; echo \"csmon exited with $?\"; sleep 60",
        env!("CARGO_BIN_EXE_csmon"),
        config.display(),
        drops.display()
    )
}

/// Process id of csmon: the child of the pane's shell.
fn csmon_pid(tmux: &Tmux) -> String {
    let shell = tmux.pane("#{pane_pid}");
    let output = Command::new("ps")
        .args(["-o", "pid=", "--ppid", &shell])
        .output()
        .expect("ps runs");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn exports(state: &Path) -> Vec<String> {
    std::fs::read_dir(state)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .filter(|name| name.starts_with("export-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn keys_drive_real_screen() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    common::copy_dir(&common::tickets_dir(), &drops);
    let (config, state) = common::config_in(temp.path(), "csmon.toml");
    let tmux = Tmux::start("keys", &watch_command(&config, &drops));

    tmux.wait_for_text("cases: 120");
    tmux.wait_for_text("segments by channel (4)");
    assert_eq!(
        tmux.pane("#{alternate_on}"),
        "1",
        "the screen uses the alternate screen"
    );

    tmux.keys(&["Tab"]);
    tmux.wait_for_text("segments by agent (6)");

    tmux.keys(&["e"]);
    tmux.wait_for("two export files", |_| exports(&state).len() == 2);
    tmux.wait_for_text("exported window all");

    tmux.keys(&["?"]);
    tmux.wait_for_text("any key closes this help");
    tmux.keys(&["x"]);
    tmux.wait_for("help to close", |t| {
        !t.screen().contains("any key closes this help")
    });

    tmux.keys(&["q"]);
    tmux.wait_for_text("csmon exited with 0");
    assert_eq!(
        tmux.pane("#{alternate_on}"),
        "0",
        "the terminal is back on the normal screen"
    );
}

#[test]
fn sigterm_restores_terminal() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    common::copy_dir(&common::tickets_dir(), &drops);
    let (config, _) = common::config_in(temp.path(), "csmon.toml");
    let tmux = Tmux::start("term", &watch_command(&config, &drops));
    tmux.wait_for_text("cases: 120");

    let pid = csmon_pid(&tmux);
    assert!(
        pid.parse::<u32>().is_ok(),
        "csmon runs under the shell: {pid:?}"
    );
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    tmux.wait_for_text("csmon exited with 0");
    assert_eq!(
        tmux.pane("#{alternate_on}"),
        "0",
        "the terminal is back on the normal screen"
    );
}

#[test]
fn dumb_terminal_is_refused() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (config, _) = common::config_in(temp.path(), "csmon.toml");
    let output = common::csmon(&[
        "--config",
        &config.display().to_string(),
        "watch",
        &common::tickets_dir().display().to_string(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--headless"), "{stderr}");
}
