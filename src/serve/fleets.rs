//! The fleets of the configuration, audited in the background with the fleet engine
//! (`fleet::audit`), each on a thread of its own, again `interval` after each scan ends; a
//! scrape of `/metrics` reads the last scan and never waits for one.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::fleet::{self, FleetPolicy, Summary};

use super::config::{fleet_inputs, Fleet};
use super::metrics::{ExpiryHistogram, FleetScan};
use super::Clock;

/// The scanners of one configuration; dropping them stops them (a scan under way ends first,
/// and its result is dropped).
pub struct Scanners {
    _stops: Vec<mpsc::Sender<()>>,
}

/// The last scan of each fleet of the configuration in force, in its order.
pub type Scans = Arc<Mutex<Vec<FleetScan>>>;

/// Starts a scanner for each fleet, writing into a fresh `Scans` that replaces the one a
/// previous configuration filled.
pub fn start(fleets: &[Fleet], clock: Clock, log: fn(&str)) -> (Scanners, Scans) {
    let scans: Scans = Arc::new(Mutex::new(
        fleets
            .iter()
            .map(|f| FleetScan {
                name: f.name.clone(),
                finished: None,
                seconds: 0.0,
                ok: false,
                summary: Summary::default(),
                expiry: ExpiryHistogram::default(),
                warn_days: f.warn_days,
            })
            .collect(),
    ));
    let mut stops = Vec::new();
    for (i, fleet) in fleets.iter().enumerate() {
        let (stop, stopped) = mpsc::channel::<()>();
        let name = fleet.name.clone();
        let (fleet, scans) = (fleet.clone(), Arc::clone(&scans));
        let spawned = std::thread::Builder::new()
            .name(format!("fleet-{name}"))
            .spawn(move || loop {
                let scan = scan(&fleet, clock, log);
                if stopped_now(&stopped) {
                    return;
                }
                if let Ok(mut all) = scans.lock() {
                    if let Some(slot) = all.get_mut(i) {
                        *slot = scan;
                    }
                }
                match stopped.recv_timeout(fleet.interval) {
                    Err(RecvTimeoutError::Timeout) => continue,
                    _ => return,
                }
            });
        match spawned {
            Ok(_) => stops.push(stop),
            Err(e) => log(&format!(
                "fleet {name}: cannot start its scanner ({e}); its metrics stay empty"
            )),
        }
    }
    (Scanners { _stops: stops }, scans)
}

/// True once the scanner's configuration was replaced or the exporter stops.
fn stopped_now(stopped: &mpsc::Receiver<()>) -> bool {
    matches!(
        stopped.try_recv(),
        Err(mpsc::TryRecvError::Disconnected) | Ok(())
    )
}

/// One scan: walk, judge, count. A scan whose inputs cannot be read keeps the summary empty
/// and says why in the log.
pub fn scan(fleet: &Fleet, clock: Clock, log: fn(&str)) -> FleetScan {
    let started = Instant::now();
    let at = clock();
    let mut result = FleetScan {
        name: fleet.name.clone(),
        finished: None,
        seconds: 0.0,
        ok: false,
        summary: Summary::default(),
        expiry: ExpiryHistogram::default(),
        warn_days: fleet.warn_days,
    };
    let inputs = fleet_inputs(fleet, at).and_then(|(anchors, crls)| {
        let walked = fleet::walk(&fleet.paths)?;
        Ok((anchors, crls, walked))
    });
    match inputs {
        Ok((anchors, crls, walked)) => {
            let policy = FleetPolicy {
                anchors: &anchors,
                crls: &crls,
                at,
                warn_days: fleet.warn_days,
                thing_pattern: fleet.thing_pattern.as_ref(),
            };
            let mut summary = Summary::new(crls.findings.clone(), walked.symlinks_skipped);
            let mut expiry = ExpiryHistogram::default();
            fleet::audit(&walked, &fleet.paths, &policy, &mut summary, |file| {
                if let Some(cert) = &file.certificate {
                    expiry.add(cert.not_after.saturating_sub(at));
                }
                true
            });
            result.summary = summary;
            result.expiry = expiry;
            result.ok = true;
        }
        Err(e) => log(&format!("fleet {}: scan failed: {e}", fleet.name)),
    }
    result.seconds = started.elapsed().as_secs_f64();
    result.finished = Some(clock());
    result
}
