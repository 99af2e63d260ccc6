//! What a command produced: its output and its exit code (0 ok, 1 a check failed; an `Err`
//! of [`crate::error::Error`] carries 2 or 3 instead).

/// What a command produced: text for stdout, text for stderr (the verdict beside `--pem`
/// output) and the exit code.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub exit: i32,
}

impl Outcome {
    pub fn new(stdout: String, ok: bool) -> Outcome {
        Outcome {
            stdout,
            stderr: String::new(),
            exit: if ok { 0 } else { 1 },
        }
    }

    pub fn with_stderr(mut self, stderr: String) -> Outcome {
        self.stderr = stderr;
        self
    }
}
