//! Typed errors: everything that stops a command from running (a failed check is not an error).

use std::fmt;

/// Why a command could not run. Each variant maps to one exit code (see [`Error::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A local input could not be used: the message names the file and what to do.
    #[error("{0}")]
    Input(#[from] InputError),
    /// The options contradict each other or name something impossible.
    #[error("{0}")]
    Usage(String),
    /// No TLS session could be established (resolve, connect, proxy, timeout, handshake).
    #[error("{0}")]
    Net(#[from] crate::net::NetError),
    /// AWS could not be asked: no credentials or region (the user's setup), or the API's
    /// answer or its absence.
    #[error("{0}")]
    Aws(#[from] crate::aws::AwsError),
    /// Writing a file the user asked for failed.
    #[error(
        "{path}: cannot write it ({source}): check the space and permissions of its directory"
    )]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The documented exit code: 2 for bad usage or unreadable local input, 3 for the network.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Usage(_) | Error::Write { .. } => 2,
            // Bad settings, an unusable local key or no descriptor left are this machine's,
            // not the network's.
            Error::Net(e) if e.is_local() => 2,
            Error::Net(_) => 3,
            Error::Aws(e) => e.exit_code(),
        }
    }
}

/// A local input (a file or standard input) that cannot be used as given.
#[derive(Debug)]
pub struct InputError {
    /// The file as the user named it, or `<stdin>`.
    pub file: String,
    /// What is wrong and what to do, in one sentence.
    pub message: String,
}

impl InputError {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError {
            file: file.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for InputError {}
