//! The monitor: `omega log verify`, `omega log monitor`, `omega note verify`.

use crate::args::{LogCommand, NoteCommand};
use crate::util::{usage, CmdResult};

/// `omega log …`.
pub fn log(_c: &LogCommand) -> CmdResult {
    usage("omega log: not implemented yet")
}

/// `omega note …`.
pub fn note(_c: &NoteCommand) -> CmdResult {
    usage("omega note: not implemented yet")
}
