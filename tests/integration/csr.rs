//! Integration tests: `iotcheck csr`. OpenSSL is the independent judge of what is written.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::common::*;

/// Runs `iotcheck csr` with `--out dir`.
fn csr(dir: &Path, args: &[&str]) -> Run {
    let out = dir.to_string_lossy().into_owned();
    let mut all = vec!["csr", "--out", &out];
    all.extend_from_slice(args);
    run(&all)
}

/// Runs openssl; returns (success, stdout + stderr).
fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("file exists")
        .permissions()
        .mode()
        & 0o7777
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Checks one generated pair with OpenSSL and with `iotcheck inspect`; returns the
/// public-key fingerprint `inspect` sees in the CSR.
fn check_pair(dir: &Path, thing: &str, algorithm: &str, bits: u64) -> String {
    let key = dir.join(format!("{thing}.key"));
    let csr = dir.join(format!("{thing}.csr"));
    assert_eq!(mode(&key), 0o400, "the key is owner-read-only");
    assert_eq!(
        mode(&csr) & 0o600,
        0o600,
        "the CSR is the owner's to read and write"
    );
    assert_eq!(
        mode(&csr) & 0o133,
        0,
        "the CSR is not executable or writable by others"
    );
    let key_text = std::fs::read_to_string(&key).expect("key readable");
    assert!(
        key_text.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "PKCS#8 PEM"
    );

    let (ok, text) = openssl(&["req", "-verify", "-noout", "-in", &path_str(&csr)]);
    assert!(ok && text.contains("verify OK"), "{text}");
    let (ok, subject) = openssl(&["req", "-noout", "-subject", "-in", &path_str(&csr)]);
    assert!(ok, "{subject}");
    assert_eq!(subject.trim(), format!("subject=CN = {thing}"));
    let (ok, from_key) = openssl(&["pkey", "-pubout", "-in", &path_str(&key)]);
    assert!(ok, "{from_key}");
    let (ok, from_csr) = openssl(&["req", "-pubkey", "-noout", "-in", &path_str(&csr)]);
    assert!(ok, "{from_csr}");
    assert_eq!(from_key, from_csr, "the key is the CSR's key");

    let r = run(&["inspect", "--json", &path_str(&key), &path_str(&csr)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    let key_view = &json["files"][0]["objects"][0]["key"];
    assert_eq!(key_view["encoding"], "pkcs8");
    let csr_view = &json["files"][1]["objects"][0]["csr"];
    assert_eq!(csr_view["subject_cn"], thing);
    assert_eq!(csr_view["signature_valid"], true);
    assert_eq!(csr_view["public_key"]["algorithm"], algorithm);
    assert_eq!(csr_view["public_key"]["bits"], bits);
    assert_eq!(
        key_view["public_key"]["sha256"],
        csr_view["public_key"]["sha256"]
    );
    csr_view["public_key"]["sha256"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn default_is_an_ec_p256_key_and_a_verifying_csr() {
    let dir = tempfile::tempdir().unwrap();
    let r = csr(dir.path(), &["--thing", "Sensor1", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["command"], "csr");
    assert_eq!(json["thing"], "Sensor1");
    assert_eq!(json["key_type"], "ec-p256");
    let key_file = dir.path().join("Sensor1.key");
    let csr_file = dir.path().join("Sensor1.csr");
    assert_eq!(json["key_file"], path_str(&key_file));
    assert_eq!(json["csr_file"], path_str(&csr_file));
    assert_eq!(
        json["next_step"],
        format!(
            "aws iot create-certificate-from-csr --certificate-signing-request file://{} --set-as-active",
            path_str(&csr_file)
        )
    );
    let fingerprint = check_pair(dir.path(), "Sensor1", "EC", 256);
    assert_eq!(json["public_key"]["sha256"], fingerprint);
    assert_eq!(json["public_key"]["curve"], "P-256");
}

#[test]
fn human_output_names_the_files_the_key_and_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_cmd(
        iotcheck()
            .current_dir(dir.path())
            .args(["csr", "--thing", "Sensor-2"]),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Sensor-2.key"), "{}", r.stdout);
    assert!(r.stdout.contains("Sensor-2.csr"), "{}", r.stdout);
    assert!(r.stdout.contains("EC P-256  sha256 "), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "aws iot create-certificate-from-csr --certificate-signing-request file://Sensor-2.csr --set-as-active"
        ),
        "{}",
        r.stdout
    );
    let key_text = std::fs::read_to_string(dir.path().join("Sensor-2.key")).unwrap();
    assert!(!r.stdout.contains("PRIVATE KEY"));
    for line in key_text.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!r.stdout.contains(line), "key material shown");
    }
}

#[test]
fn every_key_type_works() {
    let dir = tempfile::tempdir().unwrap();
    for (key_type, algorithm, bits) in [
        ("ec-p256", "EC", 256),
        ("ec-p384", "EC", 384),
        ("rsa-2048", "RSA", 2048),
        ("rsa-3072", "RSA", 3072),
        ("rsa-4096", "RSA", 4096),
    ] {
        let thing = format!("thing_{key_type}");
        let r = csr(
            dir.path(),
            &["--thing", &thing, "--key-type", key_type, "--json"],
        );
        assert_eq!(r.code, 0, "{key_type}: {}", r.stderr);
        let json = r.json();
        assert_eq!(json["key_type"], key_type);
        assert_eq!(json["public_key"]["bits"], bits);
        let fingerprint = check_pair(dir.path(), &thing, algorithm, bits);
        assert_eq!(json["public_key"]["sha256"], fingerprint, "{key_type}");
    }
}

#[test]
fn existing_files_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(csr(dir.path(), &["--thing", "Sensor1"]).code, 0);
    let key = dir.path().join("Sensor1.key");
    let csr_file = dir.path().join("Sensor1.csr");
    let (key_before, csr_before) = (
        std::fs::read(&key).unwrap(),
        std::fs::read(&csr_file).unwrap(),
    );

    let r = csr(dir.path(), &["--thing", "Sensor1"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
    assert_eq!(std::fs::read(&key).unwrap(), key_before);
    assert_eq!(std::fs::read(&csr_file).unwrap(), csr_before);
    assert_eq!(mode(&key), 0o400);

    // Only the CSR left behind: still refused, and no key is written beside it.
    std::fs::remove_file(&key).unwrap();
    let r = csr(dir.path(), &["--thing", "Sensor1"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("Sensor1.csr already exists"),
        "{}",
        r.stderr
    );
    assert!(!key.exists());
    assert_eq!(std::fs::read(&csr_file).unwrap(), csr_before);
}

#[test]
fn invalid_thing_names_and_missing_directories_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(129);
    for thing in [
        "",
        "two words",
        "../escape",
        "a/b",
        "thing.name",
        long.as_str(),
    ] {
        let r = csr(dir.path(), &["--thing", thing]);
        assert_eq!(r.code, 2, "{thing:?}: {}", r.stdout);
        assert!(r.stderr.contains("not a valid thing name"), "{}", r.stderr);
    }
    let longest = "x".repeat(128);
    assert_eq!(csr(dir.path(), &["--thing", &longest]).code, 0);
    assert_eq!(csr(dir.path(), &["--thing", "a:b_c-D9"]).code, 0);
    let written: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(written.len(), 4, "only the two valid names wrote files");

    let r = csr(&dir.path().join("missing"), &["--thing", "Sensor1"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no such directory"), "{}", r.stderr);
}

#[test]
fn a_certificate_issued_for_the_csr_passes_the_device_lint() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(csr(dir.path(), &["--thing", "Sensor1"]).code, 0);
    let cert = dir.path().join("Sensor1.pem");
    let extensions = dir.path().join("v3.ext");
    std::fs::write(
        &extensions,
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    // What create-certificate-from-csr does, with the test device CA in AWS's place: an
    // X.509 v3 certificate for the CSR's key, for TLS client authentication.
    let (ok, text) = openssl(&[
        "x509",
        "-req",
        "-extfile",
        &path_str(&extensions),
        "-in",
        &path_str(&dir.path().join("Sensor1.csr")),
        "-CA",
        &fixture("device/device-ca.pem"),
        "-CAkey",
        &fixture("device/device-ca.key"),
        "-CAcreateserial",
        "-CAserial",
        &path_str(&dir.path().join("serial")),
        "-days",
        "365",
        "-out",
        &path_str(&cert),
    ]);
    assert!(ok, "{text}");
    // The certificate is valid from now on, so this one check runs at the present time.
    let r = run(&[
        "device",
        "--cert",
        &path_str(&cert),
        "--key",
        &path_str(&dir.path().join("Sensor1.key")),
        "--ca",
        &fixture("device/device-ca.pem"),
        "--thing",
        "Sensor1",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let json = r.json();
    assert_eq!(json["key"]["matches_certificate"], true);
    assert_eq!(json["key"]["permissions"], "0400");
    assert!(
        json["findings"].as_array().unwrap().is_empty(),
        "{}",
        r.stdout
    );
}

/// A tmpfs of `pages` pages, unmounted when dropped. Where mounting is not allowed (not root,
/// or no mount namespace) the test is skipped, loudly ([`skip`]), with mount's reason.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(test: &str, pages: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={}k", pages * 4),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(SmallDisk { dir }),
            Ok(out) => {
                let why = String::from_utf8_lossy(&out.stderr);
                skip(test, &format!("cannot mount a tmpfs here: {}", why.trim()));
                None
            }
            Err(e) => {
                skip(test, &format!("cannot run mount: {e}"));
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_leaves_nothing_behind_and_a_rerun_works() {
    // One page: the key fits, the CSR does not, so the key placed first must go again.
    let Some(disk) = SmallDisk::mount(
        "csr::a_full_disk_leaves_nothing_behind_and_a_rerun_works",
        1,
    ) else {
        return;
    };
    let r = csr(disk.path(), &["--thing", "Full1"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        disk.entries().is_empty(),
        "left behind: {:?}",
        disk.entries()
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("Full1.csr: cannot write it"),
        "{}",
        r.stderr
    );

    // Full from the start: the key itself cannot be written.
    std::fs::write(disk.path().join("filler"), vec![0u8; 4096]).ok();
    let r = csr(disk.path(), &["--thing", "Full2"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("Full2.key: cannot write it"),
        "{}",
        r.stderr
    );
    assert!(
        disk.entries().iter().all(|e| e == "filler"),
        "left behind: {:?}",
        disk.entries()
    );

    // With room again, the same run succeeds: nothing blocks it.
    let _ = std::fs::remove_file(disk.path().join("filler"));
    let grown = Command::new("mount")
        .args(["-o", "remount,size=64k"])
        .arg(disk.path())
        .status()
        .unwrap();
    assert!(grown.success());
    let r = csr(disk.path(), &["--thing", "Full1"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(disk.entries(), vec!["Full1.csr", "Full1.key"]);
    assert_eq!(mode(&disk.path().join("Full1.key")), 0o400);
}

#[test]
fn an_unwritable_directory_leaves_nothing_behind() {
    // A read-only mount: even root cannot create files in it.
    let Some(disk) = SmallDisk::mount("csr::an_unwritable_directory_leaves_nothing_behind", 16)
    else {
        return;
    };
    let read_only = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(disk.path())
        .status()
        .unwrap();
    assert!(read_only.success());
    let r = csr(disk.path(), &["--thing", "ReadOnly"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("ReadOnly.key: cannot write it"),
        "{}",
        r.stderr
    );
    assert!(disk.entries().is_empty(), "{:?}", disk.entries());
}
