//! Writes a deterministic device fleet for `iotcheck fleet` and its benchmark:
//! `cargo run --release --example gen_fleet -- COUNT OUT_DIR [SEED] [--no-faults]`.
//!
//! OUT_DIR/ca/ holds the device CA (`ca.pem`), its CRL (`crl.pem`, current at
//! 2026-06-01T00:00:00Z; `crl-expired.pem`, past its nextUpdate then) and a second CA with a
//! CRL of its own; OUT_DIR/devices/ holds COUNT clean P-256 device certificates in
//! directories of 1,000 (every 100th on the CRL) and, unless `--no-faults`, one file per
//! planted fault under `faults/` and junk under `junk/`. The same COUNT and SEED give the same
//! names, serials, validity periods and faults; keys and ECDSA signatures differ on every run.
//! The generator itself is `tests/support/fleet_gen.rs`, shared with the tests.

#[path = "../tests/support/fleet_gen.rs"]
mod fleet_gen;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let plant = !args.iter().any(|a| a == "--no-faults");
    let words: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let (Some(count), Some(out)) = (words.first(), words.get(1)) else {
        eprintln!("usage: gen_fleet COUNT OUT_DIR [SEED] [--no-faults]");
        return std::process::ExitCode::from(2);
    };
    let Ok(count) = count.parse::<usize>() else {
        eprintln!("gen_fleet: COUNT must be a number");
        return std::process::ExitCode::from(2);
    };
    let seed = match words.get(2).map(|s| s.parse::<u64>()) {
        None => 1,
        Some(Ok(seed)) => seed,
        Some(Err(_)) => {
            eprintln!("gen_fleet: SEED must be a number");
            return std::process::ExitCode::from(2);
        }
    };
    let out = std::path::Path::new(out);
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("gen_fleet: {}: {e}", out.display());
        return std::process::ExitCode::from(2);
    }
    match fleet_gen::generate(out, count, seed, plant) {
        Ok(fleet) => {
            println!(
                "{} clean certificate(s), {} on the CRL, {} planted file(s) in {}; CA {}, CRL {}",
                fleet.clean.len(),
                fleet.revoked.len(),
                fleet.planted.len(),
                fleet.devices.display(),
                fleet.ca.display(),
                fleet.crl.display()
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_fleet: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
