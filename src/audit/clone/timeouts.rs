//! libgit2's socket timeouts: the one way to stop a fetch from a server that accepts the
//! connection and then never answers, because no callback runs while libgit2 waits in `recv`.
//!
//! They are process-wide settings of libgit2 (read when a connection is made), so the cache
//! only ever lowers them: each [`Clones`](super::Clones) asks for its timeout, and the smallest
//! asked for in the process is in force. One audit per process asks for one.
#![allow(unsafe_code)]

use std::time::Duration;

/// Lowers libgit2's connect and read timeouts to `timeout` if they are higher or unset.
pub(crate) fn lower_to(timeout: Duration) -> Result<(), git2::Error> {
    let wanted = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX).max(1);
    // SAFETY: these functions read and write two plain `int`s of libgit2
    // (`git_socket_stream__connect_timeout`, `git_socket_stream__timeout`), which libgit2 reads
    // when it opens a socket. git2 marks them unsafe because the write is not synchronised
    // with those reads; a concurrent reader sees the old or the new value, both valid
    // timeouts. git2 initialises libgit2 before the call.
    unsafe {
        let connect = git2::opts::get_server_connect_timeout_in_milliseconds()?;
        if connect == 0 || connect > wanted {
            git2::opts::set_server_connect_timeout_in_milliseconds(wanted)?;
        }
        let read = git2::opts::get_server_timeout_in_milliseconds()?;
        if read == 0 || read > wanted {
            git2::opts::set_server_timeout_in_milliseconds(wanted)?;
        }
    }
    Ok(())
}
