use clap::Parser;

fn main() {
    let cli = csmon::cli::Cli::parse();
    let code = match csmon::cli::run(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => 0,
        Err(err) => {
            eprintln!("csmon: {err:#}");
            1
        }
    };
    std::process::exit(code);
}

/// Reports whether the error is a closed stdout, which ends a piped command normally.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
