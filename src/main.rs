//! The `keysentry` command: parse, run, exit.

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    cli::main()
}
