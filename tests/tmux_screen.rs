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

/// Builds the shell command that runs csmon and then prints its exit status on the
/// normal screen, once csmon has restored it.
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

/// Asserts that the pane is back on the normal screen with a visible cursor.
fn assert_terminal_restored(tmux: &Tmux) {
    assert_eq!(
        tmux.pane("#{alternate_on}"),
        "0",
        "the terminal is back on the normal screen"
    );
    assert_eq!(
        tmux.pane("#{cursor_flag}"),
        "1",
        "the cursor is visible again"
    );
}

const NEW_TICKETS: &str = "ticket_id,customer_id,created_at,first_response_at,resolved_at,due_at,channel,agent,region,category,priority,status,order_amount,updated_at
T9001,cust-901,2026-12-01T08:00:00Z,2026-12-01T08:10:00Z,,2026-12-02T08:00:00Z,email,eva,east,account,low,pending,10.00,2026-12-01T08:10:00Z
T9002,cust-902,2026-12-01T08:05:00Z,2026-12-01T08:20:00Z,,2026-12-02T08:05:00Z,email,eva,east,account,low,pending,12.00,2026-12-01T08:20:00Z
";

#[test]
fn keys_drive_real_screen() {
    let temp = tempfile::tempdir().expect("temp dir");
    let drops = temp.path().join("drops");
    common::copy_dir(&common::tickets_dir(), &drops);
    let (config, state) = common::config_in(temp.path(), "csmon.toml");
    let tmux = Tmux::start("keys", &watch_command(&config, &drops));

    tmux.wait_for_text("cases 120");
    tmux.wait_for_text("CSAT %");
    assert_eq!(
        tmux.pane("#{alternate_on}"),
        "1",
        "the screen uses the alternate screen"
    );

    tmux.keys(&["2"]);
    tmux.wait_for_text("segments by channel (4) sort cases");

    tmux.keys(&["s"]);
    tmux.wait_for_text("sort rated");

    tmux.keys(&["/", "e", "m"]);
    tmux.wait_for_text("filter: em");
    tmux.keys(&["Enter"]);
    tmux.wait_for_text("segments by channel (1)");
    let screen = tmux.screen();
    assert!(screen.contains("│email "), "{screen}");
    assert!(!screen.contains("│phone "), "{screen}");

    tmux.keys(&["e"]);
    tmux.wait_for("two export files", |_| exports(&state).len() == 2);
    tmux.keys(&["4"]);
    tmux.wait_for_text("exported Segments (window all) to");
    tmux.keys(&["2"]);
    tmux.wait_for_text("segments by channel (1)");
    let csv_name = exports(&state)
        .into_iter()
        .find(|name| name.ends_with("-segments.csv"))
        .expect("a segments CSV");
    let csv = std::fs::read_to_string(state.join(csv_name)).expect("export is readable");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "header and the one filtered row:\n{csv}");
    assert!(lines[1].starts_with("email,31,"), "{csv}");

    tmux.keys(&["p"]);
    tmux.wait_for_text("PAUSED");
    std::fs::write(drops.join("tickets-004.csv"), NEW_TICKETS).expect("new drop");
    tmux.wait_for_text("PAUSED: +2 cases, 0 alerts waiting");
    assert!(tmux.screen().contains("cases 120"), "the view stays frozen");
    tmux.keys(&["p"]);
    tmux.wait_for_text("cases 122");
    assert!(!tmux.screen().contains("PAUSED"), "{}", tmux.screen());

    tmux.keys(&["?"]);
    tmux.wait_for_text("any key closes this help");
    tmux.keys(&["x"]);
    tmux.wait_for("help to close", |t| {
        !t.screen().contains("any key closes this help")
    });

    tmux.keys(&["q"]);
    tmux.wait_for_text("csmon exited with 0");
    assert_terminal_restored(&tmux);
}

#[test]
fn signals_restore_terminal() {
    for signal in ["TERM", "HUP"] {
        let temp = tempfile::tempdir().expect("temp dir");
        let drops = temp.path().join("drops");
        common::copy_dir(&common::tickets_dir(), &drops);
        let (config, _) = common::config_in(temp.path(), "csmon.toml");
        let tmux = Tmux::start(&format!("sig{signal}"), &watch_command(&config, &drops));
        tmux.wait_for_text("cases 120");

        let pid = csmon_pid(&tmux);
        assert!(
            pid.parse::<u32>().is_ok(),
            "csmon runs under the shell: {pid:?}"
        );
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal}");
        tmux.wait_for_text("csmon exited with 0");
        assert_terminal_restored(&tmux);
    }
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
