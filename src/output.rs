//! Files iotcheck writes: a device key and its CSR (`csr`), a support report (`doctor
//! --report`), a Prometheus textfile (`fleet --prometheus`). Each is written whole into a
//! temporary file beside its name, created with its final mode and synced, then put in place:
//! linked, which never replaces anything, or renamed over the old file. A reader never sees
//! half a file, a key is never readable by others for an instant, and a directory or a
//! special file (a device such as /dev/null, a named pipe, a socket) is never replaced, even
//! when replacing is asked: a rename would replace the node itself.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, InputError};
use crate::source::special_file_kind;

/// How a written file is put in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Linked into place: fails if the name exists by then.
    New,
    /// Renamed over the name: replaces a regular file or a symbolic link (never followed).
    Replace,
}

/// A file to write: where, with which mode, how placed, and the words for refusals.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub path: &'a Path,
    /// The permission bits it is created with (before the umask).
    pub mode: u32,
    pub placement: Placement,
    /// The option that named it, for messages ("--report").
    pub option: &'a str,
    /// What to do when the name exists and is not to be replaced.
    pub exists_hint: &'a str,
}

impl Target<'_> {
    /// Checks, before any work, that the file can be put in place: its directory exists,
    /// the name is not a directory or a special file, and with [`Placement::New`] nothing
    /// is there yet.
    pub fn check(&self) -> Result<(), Error> {
        let refuse = |why: String| Error::Input(InputError::new(self.name(), why));
        if let Ok(meta) = std::fs::symlink_metadata(self.path) {
            let file_type = meta.file_type();
            if file_type.is_dir() {
                return Err(refuse(format!(
                    "is a directory, not a regular file: {} takes a file name",
                    self.option
                )));
            }
            if !file_type.is_file() && !file_type.is_symlink() {
                return Err(refuse(format!(
                    "is {}, not a regular file: {} writes a file of its own; choose a file name",
                    special_file_kind(&file_type),
                    self.option
                )));
            }
            if self.placement == Placement::New {
                return Err(refuse(format!("already exists: {}", self.exists_hint)));
            }
        }
        if !directory_of(self.path).is_dir() {
            return Err(refuse(
                "cannot be written: its directory does not exist".into(),
            ));
        }
        Ok(())
    }

    /// Writes `bytes` whole, then puts the file in place (checking the name again just
    /// before: it may have changed meanwhile). On any failure nothing is left behind.
    pub fn write(&self, bytes: &[u8]) -> Result<(), Error> {
        let failed = |source| Error::Write {
            path: self.name(),
            source,
        };
        let temporary = temporary_beside(self.path);
        let written = open_new(&temporary, self.mode).and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(failed(e));
        }
        let placed = match self.placement {
            Placement::Replace => match self.check() {
                Ok(()) => std::fs::rename(&temporary, self.path),
                Err(refused) => {
                    let _ = std::fs::remove_file(&temporary);
                    return Err(refused);
                }
            },
            Placement::New => std::fs::hard_link(&temporary, self.path),
        };
        let _ = std::fs::remove_file(&temporary);
        placed.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Input(InputError::new(
                    self.name(),
                    format!("appeared while iotcheck ran: {}", self.exists_hint),
                ))
            } else {
                failed(e)
            }
        })?;
        sync_directory(self.path);
        Ok(())
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }
}

fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A name for the temporary file beside `path`: hidden, unique to this process, and
/// without the final name's extension (node_exporter reads only `*.prom`).
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Makes the new directory entry durable; where directories cannot be opened, the entry
/// is still there, only not yet flushed.
fn sync_directory(path: &Path) {
    if let Ok(dir) = std::fs::File::open(directory_of(path)) {
        let _ = dir.sync_all();
    }
}

#[cfg(unix)]
fn open_new(path: &Path, mode: u32) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
}

#[cfg(not(unix))]
fn open_new(path: &Path, _mode: u32) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}
