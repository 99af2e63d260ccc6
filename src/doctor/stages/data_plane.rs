//! `data_plane`: Greengrass's HTTPS data plane (deployments), as the nucleus reaches it: its
//! configured endpoint and port (8443, or 443 with ALPN x-amzn-http-ca), a chain that verifies
//! against the device's root CA file, and the device certificate accepted.

use super::credentials_provider::door_stage;
use super::route::{self, Context, Engine};
use super::{Earlier, Stage, StageId};
use crate::doctor::facts::Facts;
use crate::doctor::verdict::Evidence;
use crate::finding::Code;

pub fn judge(facts: &Facts, earlier: &Earlier) -> Stage {
    let id = StageId::DataPlane;
    let Some(door) = &facts.data_plane else {
        return Stage::skipped(id, "not a Greengrass core: no data plane");
    };
    door_stage(id, door, earlier, |served| {
        let context = Context::of_chain(&served.chain.findings, served.probe.client_auth.requested);
        route::routed(&served.connection, Engine::Connection, context, id)
            .cloned()
            .collect()
    })
}

pub fn advice(stage: &Stage, _evidence: &Evidence) -> String {
    let message = stage
        .key_finding()
        .map(|f| f.message.as_str())
        .unwrap_or_default();
    match stage.lead() {
        Some(Code::DataPlaneFailed) if message.contains("alert") => format!("The data plane refused the device certificate ({message}): register and activate it in this account and region."),
        Some(Code::DataPlaneFailed) if message.contains("did not verify") => format!("The data plane's chain does not verify against the core's root CA file ({message}): put Amazon Root CA 1 and 3 in system.rootCaPath."),
        _ => format!("The core cannot reach its data plane, so deployments fail: {message}. Open greengrassDataPlanePort (8443, or 443 with greengrassDataPlanePort: 443) to the data plane endpoint, or set the proxy the core needs."),
    }
}
