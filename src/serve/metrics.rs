//! The exporter's metrics in the Prometheus text exposition format (0.0.4): a probe's, the
//! exporter's own and the fleets'. Every label value comes from a bounded set: finding codes,
//! phases, module and fleet names of the configuration, a chain position below
//! [`MAX_POSITIONS`]. Times are Unix seconds, durations seconds (Prometheus's base units).

use std::collections::BTreeMap;

use crate::finding::Code;
use crate::fleet::Summary;
use crate::report::prometheus::Exposition;

use super::probe::{ProbeFacts, MQTT_OUTCOMES};

/// Served certificates beyond this many are counted, not shown one by one.
pub const MAX_POSITIONS: usize = 8;

fn flag(on: bool) -> f64 {
    if on {
        1.0
    } else {
        0.0
    }
}

/// The metrics of one `/probe`. `probe_success`, `probe_duration_seconds` and
/// `probe_ssl_earliest_cert_expiry` keep the blackbox exporter's names, so that rules written
/// for it apply; the rest are iotcheck's.
pub fn probe(facts: &ProbeFacts) -> String {
    let mut x = Exposition::new();
    x.gauge(
        "probe_success",
        "1 when the probe passed: the served chain verified and, with a device certificate, the server accepted it (and MQTT CONNECT, when asked).",
        flag(facts.success),
    );
    x.gauge(
        "probe_duration_seconds",
        "How long the probe took, in seconds.",
        facts.duration.as_secs_f64(),
    );
    x.gauge(
        "iotcheck_probe_timeout_seconds",
        "The probe's budget: the module's timeout, or less to fit the scrape timeout.",
        facts.timeout.as_secs_f64(),
    );
    x.family(
        "iotcheck_probe_failed",
        "gauge",
        "1 with the phase, the finding code and the kind of the failure when the probe failed (code \"none\": the exporter's own failure).",
    );
    if let Some(f) = &facts.failure {
        x.sample(
            "iotcheck_probe_failed",
            &[("phase", f.phase), ("code", f.code), ("reason", f.reason)],
            1.0,
        );
    }
    x.family(
        "iotcheck_probe_findings",
        "gauge",
        "Findings of the probe by code and severity (docs/codes.md).",
    );
    for (code, severity, n) in &facts.findings {
        x.sample(
            "iotcheck_probe_findings",
            &[("code", code.as_str()), ("severity", severity.as_str())],
            *n as f64,
        );
    }
    x.family(
        "iotcheck_probe_phase_duration_seconds",
        "gauge",
        "Seconds spent in each phase of each handshake (sig: the signature schemes offered).",
    );
    for h in &facts.handshakes {
        for (phase, secs) in &h.phases {
            x.sample(
                "iotcheck_probe_phase_duration_seconds",
                &[("sig", h.sig), ("phase", phase)],
                *secs,
            );
        }
    }
    x.family(
        "iotcheck_probe_tls_version_info",
        "gauge",
        "The TLS version negotiated, as a label.",
    );
    for h in &facts.handshakes {
        if let Some(version) = h.tls_version {
            x.sample(
                "iotcheck_probe_tls_version_info",
                &[("sig", h.sig), ("version", version)],
                1.0,
            );
        }
    }
    x.family(
        "iotcheck_probe_chain_verified",
        "gauge",
        "1 when the served chain verified against the module's trust anchors.",
    );
    for h in facts.handshakes.iter().filter(|h| h.served) {
        x.sample(
            "iotcheck_probe_chain_verified",
            &[("sig", h.sig)],
            flag(h.chain_verified),
        );
    }
    x.family(
        "iotcheck_probe_certificate_not_after_seconds",
        "gauge",
        "notAfter of each served certificate by its position in the served order (0: the first served), in Unix seconds.",
    );
    let positions: Vec<String> = (0..MAX_POSITIONS).map(|i| i.to_string()).collect();
    for h in &facts.handshakes {
        for (i, not_after) in h.not_after.iter().take(MAX_POSITIONS).enumerate() {
            x.sample(
                "iotcheck_probe_certificate_not_after_seconds",
                &[("sig", h.sig), ("position", &positions[i])],
                *not_after as f64,
            );
        }
    }
    x.family(
        "iotcheck_probe_served_certificates",
        "gauge",
        "How many certificates the server served.",
    );
    for h in facts.handshakes.iter().filter(|h| h.served) {
        x.sample(
            "iotcheck_probe_served_certificates",
            &[("sig", h.sig)],
            h.not_after.len() as f64,
        );
    }
    let earliest = facts
        .handshakes
        .iter()
        .flat_map(|h| h.not_after.iter())
        .min();
    if let Some(earliest) = earliest {
        x.gauge(
            "probe_ssl_earliest_cert_expiry",
            "The earliest notAfter of the served certificates, in Unix seconds (the blackbox exporter's name).",
            *earliest as f64,
        );
    }
    if let Some(not_after) = facts.client_not_after {
        x.gauge(
            "iotcheck_probe_client_certificate_not_after_seconds",
            "notAfter of the module's device certificate, in Unix seconds.",
            not_after as f64,
        );
    }
    x.family(
        "iotcheck_probe_client_certificate_accepted",
        "gauge",
        "1 when the server accepted the device certificate, 0 when it refused it (only when it was sent).",
    );
    for h in &facts.handshakes {
        if let Some(accepted) = h.client_cert_accepted {
            x.sample(
                "iotcheck_probe_client_certificate_accepted",
                &[("sig", h.sig)],
                flag(accepted),
            );
        }
    }
    if facts.mqtt_asked {
        x.family(
            "iotcheck_probe_mqtt_outcome",
            "gauge",
            "How MQTT CONNECT ended: 1 for the outcome, 0 for the others.",
        );
        for h in facts.handshakes.iter().filter(|h| h.served) {
            for outcome in MQTT_OUTCOMES {
                x.sample(
                    "iotcheck_probe_mqtt_outcome",
                    &[("sig", h.sig), ("outcome", outcome)],
                    flag(h.mqtt == Some(outcome)),
                );
            }
        }
    }
    x.finish()
}

/// What `/metrics` shows of the exporter itself.
#[derive(Debug, Default, Clone)]
pub struct Own {
    pub version: &'static str,
    pub start_time: i64,
    /// (module, result) → probes.
    pub probes: BTreeMap<(String, &'static str), u64>,
    /// reason → /probe requests refused.
    pub rejections: BTreeMap<&'static str, u64>,
    pub in_flight: usize,
    pub concurrency: usize,
    pub reload_ok: bool,
    pub reload_time: i64,
    /// (path, status) → requests.
    pub requests: BTreeMap<(&'static str, u16), u64>,
    /// From /proc on Linux.
    pub resident_bytes: Option<u64>,
    pub open_fds: Option<u64>,
}

/// The reasons a `/probe` request is refused, each counted from the start.
pub const REJECTIONS: [&str; 4] = ["not_allowed", "unknown_module", "bad_request", "busy"];

/// The exporter's own metrics.
pub fn own(own: &Own) -> String {
    let mut x = Exposition::new();
    x.family(
        "iotcheck_serve_build_info",
        "gauge",
        "The exporter's version, as a label.",
    );
    x.sample(
        "iotcheck_serve_build_info",
        &[("version", own.version)],
        1.0,
    );
    x.gauge(
        "process_start_time_seconds",
        "When the exporter started, in Unix seconds.",
        own.start_time as f64,
    );
    if let Some(bytes) = own.resident_bytes {
        x.gauge(
            "process_resident_memory_bytes",
            "Resident memory of the exporter, in bytes.",
            bytes as f64,
        );
    }
    if let Some(fds) = own.open_fds {
        x.gauge(
            "process_open_fds",
            "File descriptors the exporter holds open.",
            fds as f64,
        );
    }
    x.family(
        "iotcheck_serve_probes_total",
        "counter",
        "Probes run, by module and result (success or failure).",
    );
    for ((module, result), n) in &own.probes {
        x.sample(
            "iotcheck_serve_probes_total",
            &[("module", module), ("result", result)],
            *n as f64,
        );
    }
    x.family(
        "iotcheck_serve_probe_rejections_total",
        "counter",
        "/probe requests refused: a target the configuration does not allow, an unknown module, a bad request, no free slot within the scrape timeout.",
    );
    for reason in REJECTIONS {
        let n = own.rejections.get(reason).copied().unwrap_or(0);
        x.sample(
            "iotcheck_serve_probe_rejections_total",
            &[("reason", reason)],
            n as f64,
        );
    }
    x.gauge(
        "iotcheck_serve_probes_in_flight",
        "Probes running now.",
        own.in_flight as f64,
    );
    x.gauge(
        "iotcheck_serve_max_concurrent_probes",
        "The configured limit of probes running at once.",
        own.concurrency as f64,
    );
    x.gauge(
        "iotcheck_serve_config_last_reload_successful",
        "1 when the last load of the configuration file succeeded; 0: the previous configuration is still in use.",
        flag(own.reload_ok),
    );
    x.gauge(
        "iotcheck_serve_config_last_reload_success_timestamp_seconds",
        "When the configuration was last loaded successfully, in Unix seconds.",
        own.reload_time as f64,
    );
    x.family(
        "iotcheck_serve_http_requests_total",
        "counter",
        "HTTP requests answered, by path and status code.",
    );
    let codes: BTreeMap<u16, String> = own
        .requests
        .keys()
        .map(|(_, code)| (*code, code.to_string()))
        .collect();
    for ((path, code), n) in &own.requests {
        x.sample(
            "iotcheck_serve_http_requests_total",
            &[("path", path), ("code", &codes[code])],
            *n as f64,
        );
    }
    x.finish()
}

/// One fleet's last scan, as `/metrics` shows it.
#[derive(Debug, Clone)]
pub struct FleetScan {
    pub name: String,
    /// When the last scan ended, Unix seconds; None before the first.
    pub finished: Option<i64>,
    pub seconds: f64,
    /// The last scan ran to its end (its inputs loaded).
    pub ok: bool,
    pub summary: Summary,
    /// Seconds from the scan to each certificate's notAfter (negative: expired), bucketed.
    pub expiry: ExpiryHistogram,
    pub warn_days: u32,
}

/// The buckets of the expiry histogram: expired, a week, 30, 90, 180 and 365 days.
pub const EXPIRY_BUCKETS_DAYS: [i64; 6] = [0, 7, 30, 90, 180, 365];

/// Counts of certificates by time to expiry, cumulative as Prometheus wants them.
#[derive(Debug, Clone, Default)]
pub struct ExpiryHistogram {
    pub buckets: [u64; EXPIRY_BUCKETS_DAYS.len()],
    pub count: u64,
    pub sum: f64,
}

impl ExpiryHistogram {
    pub fn add(&mut self, seconds_left: i64) {
        for (i, days) in EXPIRY_BUCKETS_DAYS.iter().enumerate() {
            if seconds_left <= days * 86_400 {
                self.buckets[i] += 1;
            }
        }
        self.count += 1;
        self.sum += seconds_left as f64;
    }
}

/// The fleets' metrics.
pub fn fleets(scans: &[FleetScan]) -> String {
    let mut x = Exposition::new();
    let each = |x: &mut Exposition, name: &str, value: &dyn Fn(&FleetScan) -> Option<f64>| {
        for scan in scans {
            if let Some(v) = value(scan) {
                x.sample(name, &[("fleet", &scan.name)], v);
            }
        }
    };
    x.family(
        "iotcheck_fleet_scan_ok",
        "gauge",
        "1 when the fleet's last scan ran (its CA and CRL files loaded), 0 when it could not.",
    );
    each(&mut x, "iotcheck_fleet_scan_ok", &|s| Some(flag(s.ok)));
    x.family(
        "iotcheck_fleet_last_scan_timestamp_seconds",
        "gauge",
        "When the fleet's last scan ended, in Unix seconds.",
    );
    each(&mut x, "iotcheck_fleet_last_scan_timestamp_seconds", &|s| {
        s.finished.map(|t| t as f64)
    });
    x.family(
        "iotcheck_fleet_scan_duration_seconds",
        "gauge",
        "How long the fleet's last scan took, in seconds.",
    );
    each(&mut x, "iotcheck_fleet_scan_duration_seconds", &|s| {
        s.finished.map(|_| s.seconds)
    });
    x.family(
        "iotcheck_fleet_ok",
        "gauge",
        "1 when no certificate of the fleet has an error finding and every CRL could be used.",
    );
    each(&mut x, "iotcheck_fleet_ok", &|s| {
        s.finished
            .map(|_| flag(s.ok && s.summary.verdict().passed()))
    });
    x.family(
        "iotcheck_fleet_certificates",
        "gauge",
        "Device certificates of the fleet by status: ok, or failing (an error finding).",
    );
    for scan in scans.iter().filter(|s| s.finished.is_some()) {
        let failing = scan
            .summary
            .by_ca
            .values()
            .map(|c| c.failing)
            .sum::<usize>();
        let all = scan.summary.certificates;
        for (status, n) in [("ok", all.saturating_sub(failing)), ("failing", failing)] {
            x.sample(
                "iotcheck_fleet_certificates",
                &[("fleet", &scan.name), ("status", status)],
                n as f64,
            );
        }
    }
    x.family(
        "iotcheck_fleet_other_files",
        "gauge",
        "Files under the fleet's paths that hold no certificate, or a damaged one.",
    );
    each(&mut x, "iotcheck_fleet_other_files", &|s| {
        s.finished.map(|_| s.summary.other_files as f64)
    });
    x.family(
        "iotcheck_fleet_findings",
        "gauge",
        "Files of the fleet with a finding, by code and severity (docs/codes.md).",
    );
    for scan in scans {
        let mut codes: Vec<(Code, usize)> = scan
            .summary
            .by_code
            .iter()
            .map(|(code, count)| (*code, count.files))
            .collect();
        // The run's own inputs (a CRL that cannot be used; no certificate found) count too.
        for finding in &scan.summary.findings {
            match codes.iter_mut().find(|(c, _)| *c == finding.code) {
                Some(entry) => entry.1 += 1,
                None => codes.push((finding.code, 1)),
            }
        }
        codes.sort_by_key(|(code, _)| code.as_str());
        for (code, n) in codes {
            x.sample(
                "iotcheck_fleet_findings",
                &[
                    ("fleet", &scan.name),
                    ("code", code.as_str()),
                    ("severity", code.severity().as_str()),
                ],
                n as f64,
            );
        }
    }
    x.family(
        "iotcheck_fleet_duplicate_key_certificates",
        "gauge",
        "Certificates of the fleet whose public key another certificate has too.",
    );
    each(&mut x, "iotcheck_fleet_duplicate_key_certificates", &|s| {
        s.finished.map(|_| {
            s.summary
                .by_code
                .get(&Code::DuplicateKey)
                .map_or(0, |c| c.files) as f64
        })
    });
    x.family(
        "iotcheck_fleet_earliest_not_after_seconds",
        "gauge",
        "The earliest notAfter of the fleet's certificates, in Unix seconds.",
    );
    each(&mut x, "iotcheck_fleet_earliest_not_after_seconds", &|s| {
        s.summary
            .by_ca
            .values()
            .filter_map(|c| c.earliest_not_after)
            .min()
            .map(|t| t as f64)
    });
    x.family(
        "iotcheck_fleet_expiring_certificates",
        "gauge",
        "Certificates of the fleet still valid that expire within its warn_days.",
    );
    for scan in scans.iter().filter(|s| s.finished.is_some()) {
        let n: usize = scan.summary.by_ca.values().map(|c| c.expiring).sum();
        x.sample(
            "iotcheck_fleet_expiring_certificates",
            &[
                ("fleet", &scan.name),
                ("window_days", &scan.warn_days.to_string()),
            ],
            n as f64,
        );
    }
    x.family(
        "iotcheck_fleet_certificate_expiry_seconds",
        "histogram",
        "Certificates of the fleet by the time left to their notAfter at the last scan, in seconds (0 and below: expired).",
    );
    for scan in scans.iter().filter(|s| s.finished.is_some()) {
        let h = &scan.expiry;
        for (i, days) in EXPIRY_BUCKETS_DAYS.iter().enumerate() {
            let le = (days * 86_400).to_string();
            x.sample(
                "iotcheck_fleet_certificate_expiry_seconds_bucket",
                &[("fleet", &scan.name), ("le", &le)],
                h.buckets[i] as f64,
            );
        }
        x.sample(
            "iotcheck_fleet_certificate_expiry_seconds_bucket",
            &[("fleet", &scan.name), ("le", "+Inf")],
            h.count as f64,
        );
        x.sample(
            "iotcheck_fleet_certificate_expiry_seconds_sum",
            &[("fleet", &scan.name)],
            h.sum,
        );
        x.sample(
            "iotcheck_fleet_certificate_expiry_seconds_count",
            &[("fleet", &scan.name)],
            h.count as f64,
        );
    }
    x.finish()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The metric names an expression names: `iotcheck_…` and `probe_…` identifiers.
    fn names_in(text: &str) -> BTreeSet<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|word| word.starts_with("iotcheck_") || word.starts_with("probe_"))
            .map(str::to_string)
            .collect()
    }

    /// What the shipped Grafana dashboard and alert rules query is what the exporter writes:
    /// a metric renamed here fails this test, not a dashboard panel in silence. The names
    /// written are read from real expositions (a failed MQTT probe with a handshake, the
    /// exporter's own metrics, a scanned fleet), `# TYPE` lines and samples alike.
    #[test]
    fn the_shipped_dashboard_and_rules_query_only_metrics_written() {
        let probe_facts = ProbeFacts {
            failure: Some(super::super::probe::Failure {
                phase: "mqtt",
                code: "mqtt_refused",
                reason: "refused",
            }),
            handshakes: vec![super::super::probe::HandshakeFacts {
                sig: "any",
                served: true,
                tls_version: Some("1.3"),
                phases: vec![("tcp_connect", 0.001), ("tls_handshake", 0.01)],
                not_after: vec![1_900_000_000, 2_000_000_000],
                chain_verified: true,
                client_cert_accepted: Some(true),
                mqtt: Some("refused"),
            }],
            client_not_after: Some(1_800_000_000),
            mqtt_asked: true,
            ..Default::default()
        };
        let scan = FleetScan {
            name: "devices".into(),
            finished: Some(1_780_272_000),
            seconds: 1.5,
            ok: true,
            summary: Summary::default(),
            expiry: ExpiryHistogram::default(),
            warn_days: 30,
        };
        let written: String = [probe(&probe_facts), own(&Own::default()), fleets(&[scan])].concat();
        let mut families: BTreeSet<String> = BTreeSet::new();
        for line in written.lines() {
            let name = match line.strip_prefix("# TYPE ") {
                Some(rest) => rest.split(' ').next().unwrap_or_default(),
                None if line.starts_with('#') => continue,
                None => line.split(['{', ' ']).next().unwrap_or_default(),
            };
            families.insert(name.to_string());
        }
        for (file, text) in [
            (
                "dist/grafana/iotcheck.json",
                include_str!("../../dist/grafana/iotcheck.json"),
            ),
            (
                "dist/prometheus/iotcheck.rules.yml",
                include_str!("../../dist/prometheus/iotcheck.rules.yml"),
            ),
        ] {
            let queried = names_in(text);
            assert!(queried.len() > 5, "{file}: {queried:?}");
            let unknown: Vec<&String> = queried
                .iter()
                // `iotcheck_probe` is the scrape job's name (job="iotcheck_probe"), not a metric.
                .filter(|name| !families.contains(*name) && *name != "iotcheck_probe")
                .collect();
            assert!(
                unknown.is_empty(),
                "{file} queries metrics the exporter does not write: {unknown:?}"
            );
        }
    }

    #[test]
    fn the_histogram_is_cumulative() {
        let mut h = ExpiryHistogram::default();
        h.add(-5);
        h.add(10 * 86_400);
        h.add(400 * 86_400);
        assert_eq!(h.buckets, [1, 1, 2, 2, 2, 2]);
        assert_eq!(h.count, 3);
    }
}
