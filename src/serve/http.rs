//! The HTTP edge: hyper's HTTP/1.1 server on one thread, the routes, the probe slots, the
//! signals. Requests are parsed by hyper, queries by `form_urlencoded`; nothing here parses
//! HTTP by hand.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::error::Error;

use super::config::{self, Config};
use super::fleets::{self, Scanners, Scans};
use super::metrics::{self, Own};
use super::probe::{self, ProbeFacts};
use super::{allow, log, Clock, Settings};

/// Connections served at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 1024;

/// A request's header must arrive within this, so that idle or slow clients cannot hold
/// connections.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// After SIGTERM, requests under way get this long to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// Left of the scrape timeout for the answer to travel, as the blackbox exporter leaves.
const TIMEOUT_OFFSET: Duration = Duration::from_millis(500);

/// The exposition format's content type.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What every request shares.
struct State {
    config_path: PathBuf,
    clock: Clock,
    current: RwLock<Arc<Config>>,
    /// The probe slots of the configuration in force (replaced when a reload changes the
    /// limit; probes under way keep the slots they hold).
    slots: RwLock<Arc<Semaphore>>,
    own: Mutex<Own>,
    scans: RwLock<Scans>,
    scanners: Mutex<Scanners>,
}

impl State {
    fn config(&self) -> Arc<Config> {
        match self.current.read() {
            Ok(config) => Arc::clone(&config),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn own(&self) -> std::sync::MutexGuard<'_, Own> {
        self.own.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Serves on `address` until SIGTERM, on a runtime of one thread: the exporter's only async
/// code outside `net/` and `aws/` is here, its inbound HTTP edge.
pub fn run(settings: &Settings, config: Config, address: SocketAddr) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the exporter's runtime: {e}")))?;
    runtime.block_on(serve(settings, config, address))
}

/// Serves until SIGTERM or SIGINT.
async fn serve(settings: &Settings, config: Config, address: SocketAddr) -> Result<(), Error> {
    let listener = TcpListener::bind(address).await.map_err(|e| {
        Error::Usage(format!(
            "--listen {address}: cannot listen there ({e}): choose another address or port"
        ))
    })?;
    let (scanners, scans) = fleets::start(&config.fleets, settings.clock, log);
    let now = (settings.clock)();
    let state = Arc::new(State {
        config_path: settings.config.clone(),
        clock: settings.clock,
        slots: RwLock::new(Arc::new(Semaphore::new(config.concurrency))),
        own: Mutex::new(Own {
            version: settings.version,
            start_time: now,
            concurrency: config.concurrency,
            reload_ok: true,
            reload_time: now,
            ..Own::default()
        }),
        current: RwLock::new(Arc::new(config)),
        scans: RwLock::new(scans),
        scanners: Mutex::new(scanners),
    });
    let bound = listener.local_addr().unwrap_or(address);
    log(&format!(
        "listening on http://{bound} (configuration {}, {} module(s), {} fleet(s), {} allowed target pattern(s))",
        settings.config.display(),
        state.config().modules.len(),
        state.config().fleets.len(),
        state.config().allowed.len()
    ));

    let mut signals = Signals::new()?;
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let (shutdown, shutdown_seen) = watch::channel(false);
    loop {
        // Every connection holds a permit; with all taken, the next waits in the listen queue.
        let Ok(permit) = Arc::clone(&connections).acquire_owned().await else {
            break;
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            event = signals.next() => {
                if handle_signal(event, &state).await { break } else { continue }
            }
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, or a connection reset before accept: wait a little
                // rather than spin.
                log(&format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let state = Arc::clone(&state);
        let mut shutdown_seen = shutdown_seen.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(route(&state, request).await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = shutdown_seen.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(permit);
        });
    }
    log("stopping: no new connections; waiting for the requests under way");
    let _ = shutdown.send(true);
    drop(listener);
    // Every connection holds a permit: all of them back means all are closed.
    let all = u32::try_from(MAX_CONNECTIONS).unwrap_or(u32::MAX);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, connections.acquire_many(all)).await;
    if drained.is_err() {
        log("stopped with requests still under way after the grace period");
    } else {
        log("stopped");
    }
    Ok(())
}

/// True when the server should stop.
async fn handle_signal(event: Signal, state: &Arc<State>) -> bool {
    match event {
        Signal::Stop => true,
        Signal::Reload => {
            reload(state).await;
            false
        }
    }
}

/// Loads the configuration file again; when it is invalid, the one in force stays.
async fn reload(state: &Arc<State>) {
    let path = state.config_path.clone();
    let loaded = tokio::task::spawn_blocking(move || config::load(&path)).await;
    let now = (state.clock)();
    match loaded {
        Ok(Ok(config)) => {
            let old = state.config();
            if config.listen != old.listen {
                log("listen changed in the configuration: restart to listen on the new address");
            }
            if config.concurrency != old.concurrency {
                if let Ok(mut slots) = state.slots.write() {
                    *slots = Arc::new(Semaphore::new(config.concurrency));
                }
            }
            let (scanners, scans) = fleets::start(&config.fleets, state.clock, log);
            if let Ok(mut current) = state.scanners.lock() {
                // Dropping the old scanners stops them.
                *current = scanners;
            }
            if let Ok(mut current) = state.scans.write() {
                *current = scans;
            }
            log(&format!(
                "reloaded {}: {} module(s), {} fleet(s), {} allowed target pattern(s)",
                config.file,
                config.modules.len(),
                config.fleets.len(),
                config.allowed.len()
            ));
            {
                let mut own = state.own();
                own.reload_ok = true;
                own.reload_time = now;
                own.concurrency = config.concurrency;
            }
            if let Ok(mut current) = state.current.write() {
                *current = Arc::new(config);
            }
        }
        Ok(Err(e)) => {
            log(&format!(
                "reload failed, keeping the configuration in force: {e}"
            ));
            state.own().reload_ok = false;
        }
        Err(e) => {
            log(&format!(
                "reload failed, keeping the configuration in force: {e}"
            ));
            state.own().reload_ok = false;
        }
    }
}

/// Answers one request.
async fn route(state: &Arc<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_string();
    let counted: &'static str = match path.as_str() {
        "/probe" => "/probe",
        "/metrics" => "/metrics",
        "/" => "/",
        "/-/healthy" => "/-/healthy",
        _ => "other",
    };
    let response = if request.method() != Method::GET && request.method() != Method::HEAD {
        text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n")
    } else {
        match counted {
            "/probe" => probe_route(state, &request).await,
            "/metrics" => metrics_route(state),
            "/-/healthy" => text(StatusCode::OK, "OK\n"),
            "/" => text(StatusCode::OK, LANDING),
            _ => text(StatusCode::NOT_FOUND, "not found: try /metrics or /probe\n"),
        }
    };
    *state
        .own()
        .requests
        .entry((counted, response.status().as_u16()))
        .or_default() += 1;
    response
}

const LANDING: &str =
    "iotcheck serve: a Prometheus exporter for AWS IoT endpoints and device fleets\n\
\n\
/probe?target=HOST[:PORT]&module=NAME   probe a target as a module of the configuration says\n\
/metrics                                the exporter's own metrics and the fleets' audits\n";

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn exposition(body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT));
    response
}

/// `/probe?target=&module=`.
async fn probe_route(state: &Arc<State>, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let query = request.uri().query().unwrap_or("");
    let mut target = None;
    let mut module_name = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "target" => target = Some(value.into_owned()),
            "module" => module_name = Some(value.into_owned()),
            _ => {}
        }
    }
    let reject = |reason: &'static str, status: StatusCode, message: String| {
        *state.own().rejections.entry(reason).or_default() += 1;
        text(status, &(message + "\n"))
    };
    let (Some(target), Some(module_name)) = (target, module_name) else {
        return reject(
            "bad_request",
            StatusCode::BAD_REQUEST,
            "give target=HOST[:PORT] and module=NAME".into(),
        );
    };
    let config = state.config();
    let Some(module) = config.modules.get(&module_name) else {
        return reject(
            "unknown_module",
            StatusCode::BAD_REQUEST,
            format!(
                "unknown module {:?}: the configuration has {}",
                crate::quote::clipped(&module_name),
                config
                    .modules
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    };
    let address = match probe::address(module, &target) {
        Ok(address) => address,
        Err(why) => {
            return reject(
                "bad_request",
                StatusCode::BAD_REQUEST,
                format!("target: {why}"),
            )
        }
    };
    if !allow::allowed(&config.allowed, &address.host, address.port) {
        return reject(
            "not_allowed",
            StatusCode::FORBIDDEN,
            format!(
                "target {}:{} is not allowed by allowed_targets of the configuration",
                crate::quote::clipped(&address.host),
                address.port
            ),
        );
    }
    let budget = budget(module.timeout, scrape_timeout(request));
    let deadline = started + budget;
    let slots = match state.slots.read() {
        Ok(slots) => Arc::clone(&slots),
        Err(poisoned) => Arc::clone(&poisoned.into_inner()),
    };
    let facts = match tokio::time::timeout(budget, slots.acquire_owned()).await {
        Ok(Ok(permit)) => {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                *state.own().rejections.entry("busy").or_default() += 1;
                probe::busy(budget, started.elapsed())
            } else {
                state.own().in_flight += 1;
                let (config, name, clock) = (Arc::clone(&config), module_name.clone(), state.clock);
                let job = tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    let module = &config.modules[&name];
                    probe::run(module, &address, remaining, clock())
                });
                // The engine ends by its deadline; this only guards the answer against a
                // probe that would not.
                let facts =
                    match tokio::time::timeout(remaining + Duration::from_secs(2), job).await {
                        Ok(Ok(facts)) => facts,
                        _ => probe::busy(budget, started.elapsed()),
                    };
                state.own().in_flight -= 1;
                facts
            }
        }
        _ => {
            *state.own().rejections.entry("busy").or_default() += 1;
            probe::busy(budget, started.elapsed())
        }
    };
    // The metric shows the budget the scrape allowed, not what was left of it at the start.
    let facts = ProbeFacts {
        timeout: budget,
        ..facts
    };
    count(state, &module_name, &facts);
    exposition(metrics::probe(&facts))
}

fn count(state: &Arc<State>, module: &str, facts: &ProbeFacts) {
    let result = if facts.success { "success" } else { "failure" };
    *state
        .own()
        .probes
        .entry((module.to_string(), result))
        .or_default() += 1;
}

/// Prometheus's `X-Prometheus-Scrape-Timeout-Seconds`, when sent and sensible.
fn scrape_timeout(request: &Request<Incoming>) -> Option<Duration> {
    request
        .headers()
        .get("x-prometheus-scrape-timeout-seconds")?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 86_400.0)
        .map(Duration::from_secs_f64)
}

/// The probe's budget: the module's timeout, or the scrape timeout less the offset when that
/// is shorter (a short scrape timeout keeps at least a quarter of itself... and never less than
/// 100 ms).
fn budget(module: Duration, scrape: Option<Duration>) -> Duration {
    let Some(scrape) = scrape else {
        return module;
    };
    let offset = TIMEOUT_OFFSET.min(scrape / 4);
    module
        .min(scrape.saturating_sub(offset))
        .max(Duration::from_millis(100))
}

/// `/metrics`: the exporter's own metrics, then the fleets' last scans.
fn metrics_route(state: &Arc<State>) -> Response<Full<Bytes>> {
    let own = {
        let mut own = state.own().clone();
        own.resident_bytes = resident_bytes();
        own.open_fds = open_fds();
        for module in state.config().modules.keys() {
            for result in ["success", "failure"] {
                own.probes.entry((module.clone(), result)).or_default();
            }
        }
        own
    };
    let scans: Vec<metrics::FleetScan> = {
        let scans = match state.scans.read() {
            Ok(scans) => Arc::clone(&scans),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        };
        let guard = scans.lock().unwrap_or_else(|p| p.into_inner());
        guard.clone()
    };
    let mut body = metrics::own(&own);
    body.push_str(&metrics::fleets(&scans));
    exposition(body)
}

/// Resident memory from /proc (Linux); None elsewhere.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    #[cfg(unix)]
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    #[cfg(not(unix))]
    let page = 4096;
    Some(pages * u64::try_from(page).ok().filter(|&p| p > 0)?)
}

/// Descriptors open, from /proc (Linux); None elsewhere.
fn open_fds() -> Option<u64> {
    // The directory's own descriptor is counted while it is read.
    let n = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    Some(n.saturating_sub(1))
}

/// What the signals ask.
enum Signal {
    Stop,
    Reload,
}

#[cfg(unix)]
struct Signals {
    term: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> Result<Signals, Error> {
        use tokio::signal::unix::{signal, SignalKind};
        let listen =
            |kind| signal(kind).map_err(|e| Error::Usage(format!("cannot handle signals: {e}")));
        Ok(Signals {
            term: listen(SignalKind::terminate())?,
            interrupt: listen(SignalKind::interrupt())?,
            hangup: listen(SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.term.recv() => Signal::Stop,
            _ = self.interrupt.recv() => Signal::Stop,
            _ = self.hangup.recv() => Signal::Reload,
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> Result<Signals, Error> {
        Ok(Signals)
    }

    async fn next(&mut self) -> Signal {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Stop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_fits_the_scrape_timeout() {
        let ten = Duration::from_secs(10);
        assert_eq!(budget(ten, None), ten);
        assert_eq!(
            budget(Duration::from_secs(30), Some(ten)),
            Duration::from_millis(9500)
        );
        assert_eq!(
            budget(Duration::from_secs(2), Some(ten)),
            Duration::from_secs(2)
        );
        assert_eq!(
            budget(ten, Some(Duration::from_millis(400))),
            Duration::from_millis(300)
        );
    }
}
