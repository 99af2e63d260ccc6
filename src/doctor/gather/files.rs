//! The device's files as the file system shows them to this user: present, readable, a
//! regular file, and the modes of each and of its directory.

use std::path::PathBuf;

use crate::doctor::config::DeviceSettings;
use crate::doctor::facts::{FileFacts, FileRole};
use crate::source;

/// Each file the settings name.
pub(super) fn facts(device: &DeviceSettings) -> Vec<FileFacts> {
    let named = device
        .cert
        .iter()
        .map(|f| (FileRole::Certificate, f))
        .chain(device.key.iter().map(|f| (FileRole::Key, f)))
        .chain(device.ca.iter().map(|f| (FileRole::RootCa, f)))
        .chain(device.config_files.iter().map(|f| (FileRole::Config, f)));
    named
        .map(|(role, file)| {
            let mut facts = FileFacts::new(role, file);
            let path = &file.path.value;
            match std::fs::metadata(path) {
                Err(e) => facts.problem = Some(io_words(&e)),
                Ok(meta) if !meta.is_file() => {
                    let what = if meta.is_dir() {
                        "a directory"
                    } else {
                        source::special_file_kind(&meta.file_type())
                    };
                    facts.problem = Some(format!("is {what}, not a regular file"))
                }
                Ok(meta) => {
                    facts.mode = mode_of(&meta);
                    if let Err(e) = std::fs::File::open(path) {
                        facts.problem = Some(io_words(&e));
                    }
                }
            }
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            facts.dir_mode = std::fs::metadata(dir).ok().and_then(|m| mode_of(&m));
            facts
        })
        .collect()
}

fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_string(),
        std::io::ErrorKind::PermissionDenied => {
            "cannot be read by this user (permission denied): run doctor as the device's user"
                .to_string()
        }
        _ => format!("cannot be read ({e})"),
    }
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(meta.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}
