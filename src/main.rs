//! The `agora` binary: parse the command line, start logging, run the command.

use std::process::ExitCode;

fn main() -> ExitCode {
    agora::cli::init_logging();
    agora::cli::run()
}
