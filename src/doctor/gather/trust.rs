//! The root CA files read: the anchors the served chains are verified against, and each
//! certificate the files hold (its name, validity, and which known root it is).

use crate::doctor::config::DeviceSettings;
use crate::doctor::facts::{file_unusable, CaFiles, FileFacts, FileRole, RootFacts, TrustFacts};
use crate::finding::{Code, Finding};
use crate::source::Input;
use crate::trust::{AnchorSource, Anchors, KnownRoot};

pub(super) fn facts(device: &DeviceSettings, files: &[FileFacts]) -> TrustFacts {
    if device.ca.is_empty() {
        return TrustFacts {
            anchors: Anchors::embedded(),
            files: CaFiles::NotGiven,
        };
    }
    let empty = Anchors {
        certs: Vec::new(),
        source: AnchorSource::Files(
            device
                .ca
                .iter()
                .map(|f| f.path.value.display().to_string())
                .collect(),
        ),
    };
    if file_unusable(files, FileRole::RootCa) {
        return TrustFacts {
            anchors: empty,
            files: CaFiles::Unreadable,
        };
    }
    let inputs: Vec<Input> = device
        .ca
        .iter()
        .map(|f| Input::Path(f.path.value.clone()))
        .collect();
    match Anchors::from_files(&inputs) {
        Ok(anchors) => {
            let roots = anchors
                .certs
                .iter()
                .map(|cert| RootFacts {
                    name: cert.display_name().to_string(),
                    not_before: cert.not_before,
                    not_after: cert.not_after,
                    known: KnownRoot::find(cert).map(|k| k.file),
                })
                .collect();
            TrustFacts {
                anchors,
                files: CaFiles::Read(roots),
            }
        }
        Err(e) => TrustFacts {
            anchors: empty,
            files: CaFiles::Unusable(Finding::new(Code::NoAnchors, e.to_string()).on_file(&e.file)),
        },
    }
}
