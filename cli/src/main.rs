//! `omega`: the Ωpm command line (DESIGN §5). It parses arguments, reads and writes files,
//! calls omega-core and prints; every verification rule lives in omega-core.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

/// `println!` that ignores a closed stdout (`omega audit | head`): the exit status still tells
/// the verdict.
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `eprintln!` that ignores a closed stderr.
macro_rules! esay {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// `eprint!` (no newline) that ignores a closed stderr.
macro_rules! eput {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let mut e = std::io::stderr();
        let _ = write!(e, $($t)*);
        let _ = e.flush();
    }};
}

mod args;
mod cmd_keys;
mod cmd_pkg;
mod cmd_signify;
mod install;
// The registry client's I/O: issue 14's commands (publish, install, log verify …) use these
// three; until they land nothing calls most of it (cli/tests/net.rs tests it against nginx).
// Remove these allows when the commands use the modules.
#[allow(dead_code, unused_imports)]
mod net;
mod out;
#[allow(dead_code)]
mod progress;
mod project;
mod registry;
#[allow(dead_code)]
mod registry_dir;
mod util;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::util::{exit_for, Failure, EXIT_USAGE};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Keygen(a) => cmd_keys::keygen(a),
        Command::Sign(a) => cmd_keys::sign(a),
        Command::Verify(a) => cmd_keys::verify(a),
        Command::Digest(a) => cmd_pkg::digest(a),
        Command::Pack(a) => cmd_pkg::pack(a),
        Command::Cosign(a) => cmd_pkg::cosign(a),
        Command::Check(a) => cmd_pkg::check(a),
        Command::Lock(a) => project::lock(a),
        Command::Audit(a) => install::audit_online(a),
        Command::Revoke(a) => project::revoke(a),
        // The registry block (issue 14: cli/src/registry/).
        Command::Registry(c) => match c {
            args::RegistryCommand::Init(a) => registry::init::init(a),
            args::RegistryCommand::Submit(a) => registry::publish::submit(a),
            args::RegistryCommand::Cosign(a) => registry::witness::registry_cosign(a),
            args::RegistryCommand::Refresh(a) => registry::publish::refresh(a),
        },
        Command::Publish(a) => registry::publish::publish(a),
        Command::Statement(c) => registry::statement::statement(c),
        Command::Witness(c) => match c {
            args::WitnessCommand::Key(a) => registry::witness::key(a),
            args::WitnessCommand::Cosign(a) => registry::witness::witness_cosign(a),
        },
        Command::Log(c) => registry::monitor::log(c),
        Command::Note(c) => registry::monitor::note(c),
        // The registry client (issue 14: cli/src/install/).
        Command::Install(a) => install::install(a),
        Command::Update(a) => install::update(a),
        Command::Status(a) => install::status(a),
    };
    let status = match result {
        Ok(status) => status,
        Err(Failure::Core(e)) => {
            out::print_error(&e);
            exit_for(e.code())
        }
        Err(Failure::Usage(msg)) => {
            let p = out::Paint::stderr();
            esay!("omega: {} {}", p.bad("error:"), out::shown(&msg));
            EXIT_USAGE
        }
        Err(Failure::Exit(status)) => status,
    };
    ExitCode::from(status)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        crate::args::Cli::command().debug_assert();
    }
}
