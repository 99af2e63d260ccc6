//! Captures what `iotcheck version` reports about the build itself: the git commit it was built
//! from and the versions of the TLS stack in Cargo.lock. Nothing here generates code or
//! documentation; when git or the lock file is absent, the value is "unknown".
//!
//! It also links the binary (not the examples, the tests or the fuzz targets) as
//! position-dependent on GNU/Linux: see [`link_position_dependent`].

use std::path::Path;
use std::process::Command;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let manifest_dir = Path::new(&manifest_dir);

    // A packager building from a tarball can say which commit it is.
    println!("cargo:rerun-if-env-changed=IOTCHECK_GIT_COMMIT");
    let commit = std::env::var("IOTCHECK_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git_commit(manifest_dir))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=IOTCHECK_GIT_COMMIT={commit}");
    let short: String = commit.chars().take(12).collect();
    println!("cargo:rustc-env=IOTCHECK_GIT_COMMIT_SHORT={short}");

    let lock_file = manifest_dir.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_file.display());
    let lock = std::fs::read_to_string(&lock_file).unwrap_or_default();
    for (package, variable) in [
        ("rustls", "IOTCHECK_RUSTLS_VERSION"),
        ("rustls-webpki", "IOTCHECK_WEBPKI_VERSION"),
        ("aws-lc-rs", "IOTCHECK_AWS_LC_RS_VERSION"),
    ] {
        let version = locked_version(&lock, package).unwrap_or_else(|| "unknown".into());
        println!("cargo:rustc-env={variable}={version}");
    }
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=IOTCHECK_TARGET={target}");

    link_position_dependent();
    order_startup_functions(manifest_dir);
}

/// Start-up: a position-independent executable (PIE, the default) carries about 38,000
/// relative relocations (`.rela.dyn`, 0.9 MB: vtables and the static tables of clap, the AWS
/// SDK, rustls) that the dynamic loader applies at every start, writing 630 KB of `.data.rel.ro`
/// (a private copy of each page, all resident) before `main`: 40 % of `iotcheck --version`'s
/// instructions and 1.5 MB of every command's memory (benches/startup.sh). Linked at a fixed
/// address, the linker resolves them once and the loader has nothing to do; pages are read
/// from the file only when used. The code is still compiled position-independent (only the
/// final link changes, so no crate is rebuilt) and shared libraries, heap and stack are still
/// placed at random; what is given up is the random placement of the executable itself.
/// A packager whose policy requires PIE builds with `IOTCHECK_PIE=1`.
///
/// Only for GNU/Linux targets, whose C compiler driver (the linker rustc calls) takes
/// `-no-pie` after rustc's own `-pie`; other targets keep their defaults.
fn link_position_dependent() {
    println!("cargo:rerun-if-env-changed=IOTCHECK_PIE");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let keep_pie = std::env::var("IOTCHECK_PIE").is_ok_and(|v| v == "1");
    if os == "linux" && env == "gnu" && !keep_pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

/// Start-up: the functions the single-chain commands run (`startup-symbols.txt`, written by
/// benches/startup-order.sh from callgrind profiles) are placed first and together in the
/// binary's code. The kernel maps the executable's pages in 64 KB windows around each page a
/// process touches; scattered over 13 MB of code, the 0.7 MB that `device` runs made 6.5 MB
/// of it resident, most of a command's peak memory and page faults. A name the build does not
/// define (another compiler, other dependency versions) is skipped silently: such a build is
/// laid out as without the file.
///
/// Only where rustc links with its own LLD by default (x86_64 GNU/Linux since Rust 1.90, no
/// linker chosen in the configuration): `--symbol-ordering-file` is LLD's option, unknown to
/// GNU ld.
fn order_startup_functions(manifest_dir: &Path) {
    let order = manifest_dir.join("startup-symbols.txt");
    println!("cargo:rerun-if-changed={}", order.display());
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let target = std::env::var("TARGET").unwrap_or_default();
    let rustflags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let own_lld = target == "x86_64-unknown-linux-gnu"
        && rustc_minor().is_some_and(|minor| minor >= 90)
        && std::env::var_os("RUSTC_LINKER").is_none()
        && !rustflags.split('\x1f').any(|flag| {
            ["linker", "link-self-contained", "fuse-ld"]
                .iter()
                .any(|option| flag.contains(option))
        });
    if own_lld && order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={},--no-warn-symbol-ordering",
            order.display()
        );
    }
}

/// The minor version of the compiler building this crate (95 for 1.95.0).
fn rustc_minor() -> Option<u32> {
    let rustc = std::env::var_os("RUSTC")?;
    let output = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    text.split_whitespace()
        .nth(1)?
        .split('.')
        .nth(1)?
        .parse()
        .ok()
}

/// The commit checked out, when building inside a git checkout; the build reruns when HEAD
/// moves (a new commit, another branch).
fn git_commit(dir: &Path) -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let output = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()?;
        let text = String::from_utf8(output.stdout).ok()?;
        (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
    };
    // Only a checkout of this crate itself counts, not one that merely contains it.
    let top = git(&["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let commit = git(&["rev-parse", "HEAD"])?;
    // Only paths that exist: cargo reruns a build script on every build while a file it
    // watches is missing (a repository without packed-refs, a packed branch), and rebuilds the
    // crate with it. Packing refs removes a loose ref file, which is watched; a commit on a
    // packed branch writes its loose file into the folder watched instead.
    let watch = |path: &Path| {
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    };
    for path in ["HEAD", "packed-refs"] {
        if let Some(file) = git(&["rev-parse", "--git-path", path]) {
            watch(&dir.join(file));
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(file) = git(&["rev-parse", "--git-path", &branch]) {
            let file = dir.join(file);
            match file.parent() {
                Some(folder) if !file.exists() => watch(folder),
                _ => watch(&file),
            }
        }
    }
    Some(commit)
}

/// The version of `package` in Cargo.lock (the first, if several).
fn locked_version(lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_string);
        }
    }
    None
}
