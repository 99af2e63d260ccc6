//! From the paths given to one sorted list of the files to judge. Directories are walked
//! recursively (walkdir); symbolic links inside them are not followed, so that a hashed link
//! directory (`c_rehash`) does not count each certificate twice and a link loop cannot trap
//! the walk; a link named on the command line is followed, as the user named it.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::error::InputError;

/// One entry of the list: a file to read, or something under the paths that is not one,
/// reported in its place.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Entry {
    File(PathBuf),
    /// A directory that cannot be listed, or an entry whose type cannot be read: what it
    /// holds was not judged.
    Unreadable(PathBuf, String),
    /// A named pipe, a socket, a device: not a certificate file.
    Special(PathBuf, String),
}

impl Entry {
    pub fn path(&self) -> &Path {
        match self {
            Entry::File(p) | Entry::Unreadable(p, _) | Entry::Special(p, _) => p,
        }
    }

    /// The path as shown in reports: byte-exact, escaped (`quote::path_name`).
    pub fn name(&self) -> String {
        crate::quote::path_name(self.path())
    }
}

/// What the walk found.
pub struct Walked {
    /// Sorted by path, each path once.
    pub entries: Vec<Entry>,
    /// Symbolic links met inside directories and left alone.
    pub symlinks_skipped: usize,
}

/// Walks `paths`. A path that does not exist or cannot be read at all is an error (exit 2);
/// what goes wrong below a directory given is an entry of its own.
pub fn walk(paths: &[PathBuf]) -> Result<Walked, InputError> {
    let mut entries = Vec::new();
    let mut symlinks_skipped = 0;
    for root in paths {
        let name = crate::quote::path_name(root);
        let metadata = std::fs::metadata(root).map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file or directory: check the path".into(),
                std::io::ErrorKind::PermissionDenied => {
                    "permission denied: run as a user that can read it".into()
                }
                _ => format!("cannot be read: {e}"),
            };
            InputError::new(&name, why)
        })?;
        if metadata.is_file() {
            entries.push(Entry::File(root.clone()));
            continue;
        }
        if !metadata.is_dir() {
            let what = crate::source::special_file_kind(&metadata.file_type());
            return Err(InputError::new(
                &name,
                format!("is {what}, not a file or directory: name the certificates' directory"),
            ));
        }
        // The root itself may be a link to a directory: that one is followed.
        for item in WalkDir::new(root)
            .follow_links(false)
            .follow_root_links(true)
        {
            match item {
                Ok(item) => {
                    let file_type = item.file_type();
                    if file_type.is_dir() {
                        continue;
                    }
                    if file_type.is_symlink() {
                        symlinks_skipped += 1;
                        continue;
                    }
                    let path = item.into_path();
                    if file_type.is_file() {
                        entries.push(Entry::File(path));
                        continue;
                    }
                    match std::fs::symlink_metadata(&path) {
                        Ok(m) => entries.push(file_entry(path, &m)),
                        Err(e) => entries.push(Entry::Unreadable(path, read_error(&e))),
                    }
                }
                Err(e) => {
                    let path = e.path().unwrap_or(root).to_path_buf();
                    let why = match e.io_error() {
                        Some(io) => read_error(io),
                        None => format!("cannot be walked: {e}"),
                    };
                    if e.depth() == 0 {
                        return Err(InputError::new(crate::quote::path_name(&path), why));
                    }
                    entries.push(Entry::Unreadable(path, why));
                }
            }
        }
    }
    entries.sort_by(|a, b| a.path().cmp(b.path()));
    entries.dedup_by(|a, b| a.path() == b.path());
    entries.shrink_to_fit();
    Ok(Walked {
        entries,
        symlinks_skipped,
    })
}

fn file_entry(path: PathBuf, metadata: &std::fs::Metadata) -> Entry {
    if metadata.is_file() {
        return Entry::File(path);
    }
    let what = crate::source::special_file_kind(&metadata.file_type());
    Entry::Special(path, format!("is {what}, not a regular file"))
}

fn read_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            "cannot be read: permission denied (run as a user that can read it)".into()
        }
        _ => format!("cannot be read: {e}"),
    }
}
