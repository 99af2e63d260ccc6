//! `dns`: the endpoint's name resolves (skipped through a proxy, which resolves it).

use super::{Earlier, Stage, StageId};
use crate::doctor::facts::Facts;
use crate::doctor::verdict::Evidence;
use crate::finding::{Code, Finding};

pub fn judge(facts: &Facts, _earlier: &Earlier) -> Stage {
    let id = StageId::Dns;
    let Some(network) = &facts.network else {
        return Stage::blocked(id, StageId::Config, "no endpoint is named");
    };
    match &network.resolved {
        None => Stage::skipped(
            id,
            "the device connects through an HTTP proxy: the proxy resolves the endpoint",
        ),
        Some(Ok(_)) => Stage::judged(id, Vec::new(), network.resolve_ms),
        Some(Err(e)) => Stage::judged(
            id,
            vec![Finding::new(
                Code::DnsFailed,
                format!("{}: {e}", network.dial),
            )],
            network.resolve_ms,
        ),
    }
}

pub fn advice(_stage: &Stage, evidence: &Evidence) -> String {
    let name = evidence.endpoint.as_deref().unwrap_or("the endpoint");
    if evidence.resolve_timed_out {
        format!("The device's DNS server did not answer for {name} within --timeout: check the DNS server the device uses and that the network lets DNS through.")
    } else {
        format!("{name} does not resolve: check the endpoint name (aws iot describe-endpoint --endpoint-type iot:Data-ATS) and the device's DNS server.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::stages::testing::{facts, failed, network};
    use crate::doctor::stages::Status;
    use crate::net::NetError;

    #[test]
    fn the_stage_follows_the_lookup() {
        let stage = judge(&facts(), &Earlier(&[]));
        assert_eq!(stage.depends_on, Some(StageId::Config));
        let mut f = facts();
        f.network = Some(network(None, vec![]));
        assert_eq!(judge(&f, &Earlier(&[])).status, Status::Skipped);
        f.network = Some(network(Some(Ok(vec![])), vec![]));
        assert_eq!(judge(&f, &Earlier(&[])).status, Status::Ok);
        f.network = Some(network(
            Some(Err(NetError::Resolve {
                host: "x".into(),
                detail: "no such name".into(),
            })),
            vec![],
        ));
        let stage = judge(&f, &Earlier(&[]));
        assert_eq!(stage.findings[0].code, Code::DnsFailed);
    }

    #[test]
    fn the_advice_tells_silence_from_no_such_name() {
        let dns = failed(StageId::Dns, Code::DnsFailed);
        let named = Evidence {
            endpoint: Some("abc-ats.iot.eu-west-1.amazonaws.com".into()),
            ..Evidence::default()
        };
        assert!(advice(&dns, &named).contains("does not resolve"));
        let silent = Evidence {
            resolve_timed_out: true,
            ..named
        };
        assert!(advice(&dns, &silent).contains("did not answer"));
    }
}
