//! The policy that would work: a minimal document allowing exactly the needs of the features
//! (and the connects, publishes and subscribes asked), within AWS's 2,048-character limit.

use serde_json::{json, Value};

use super::features::Need;
use super::{Action, Context};

/// AWS IoT's limit on a policy document: 2,048 characters without whitespace.
pub const POLICY_LIMIT: usize = 2048;

/// The thing-name variable.
const THING_VARIABLE: &str = "${iot:Connection.Thing.ThingName}";

#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    /// The document, pretty-printed.
    pub document: Value,
    /// Characters without whitespace.
    pub length: usize,
    /// Whether exact resources were replaced by subtree wildcards to fit the limit.
    pub widened: bool,
    /// Whether the thing-name variable stands for the thing.
    pub thing_variable: bool,
}

/// Builds the suggestion. `thing_variable`: write `${iot:Connection.Thing.ThingName}` for
/// the thing's name (one thing per certificate; not for a Greengrass core, not for a claim).
pub fn suggest(needs: &[Need], context: &Context, thing: &str, thing_variable: bool) -> Suggestion {
    let arn = format!(
        "arn:{}:iot:{}:{}",
        context.partition, context.region, context.account
    );
    let mut widen = usize::MAX;
    loop {
        let document = build(needs, &arn, thing, thing_variable, widen);
        let length = compact_length(&document);
        if length <= POLICY_LIMIT || widen == 2 {
            return Suggestion {
                document,
                length,
                widened: widen != usize::MAX,
                thing_variable,
            };
        }
        // Keep fewer levels of each topic: `$aws/things/T/jobs/...` becomes
        // `$aws/things/T/jobs/*`, then `$aws/things/T/*`.
        widen = match widen {
            usize::MAX => 5,
            n => n - 1,
        };
    }
}

fn compact_length(document: &Value) -> usize {
    document
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

fn build(needs: &[Need], arn: &str, thing: &str, thing_variable: bool, widen: usize) -> Value {
    let name_of = |name: &str| -> String {
        if thing_variable && !thing.is_empty() {
            replace_thing(name, thing)
        } else {
            name.to_string()
        }
    };
    let mut statements = Vec::new();
    let groups: [(&str, &[Action], &str); 5] = [
        ("Connect", &[Action::Connect], "client"),
        ("Publish", &[Action::Publish], "topic"),
        ("Subscribe", &[Action::Subscribe], "topicfilter"),
        ("Receive", &[Action::Receive], "topic"),
        (
            "AssumeRole",
            &[Action::AssumeRoleWithCertificate],
            "rolealias",
        ),
    ];
    for (sid, actions, kind) in groups {
        let mut resources: Vec<String> = Vec::new();
        for need in needs.iter().filter(|n| actions.contains(&n.action)) {
            let mut name = name_of(&need.name);
            if need.action == Action::Connect && name.ends_with("#2") {
                // A Greengrass core's further connections: thing#2, thing#3, ...
                name = format!("{}*", &name[..name.len() - 1]);
            } else if need.action != Action::Connect {
                name = widened(&name, widen);
            }
            let resource = format!("{arn}:{kind}/{name}");
            if !resources.contains(&resource) {
                resources.push(resource);
            }
        }
        if resources.is_empty() {
            continue;
        }
        let action = actions[0].name();
        statements.push(json!({
            "Sid": sid,
            "Effect": "Allow",
            "Action": action,
            "Resource": resources,
        }));
    }
    let data_plane: Vec<&str> = {
        let mut names: Vec<&str> = needs
            .iter()
            .filter(|n| n.action.is_greengrass_data_plane())
            .map(|n| n.action.name())
            .collect();
        names.dedup();
        names.sort_unstable();
        names.dedup();
        names
    };
    if !data_plane.is_empty() {
        statements.push(json!({
            "Sid": "GreengrassDataPlane",
            "Effect": "Allow",
            "Action": data_plane,
            "Resource": "*",
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The thing's name as a whole topic level (or the whole client id) becomes the variable.
fn replace_thing(name: &str, thing: &str) -> String {
    name.split('/')
        .map(|level| {
            if level == thing {
                THING_VARIABLE.to_string()
            } else {
                level.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A topic kept to its first `levels` levels, then `*`, when it has more.
fn widened(name: &str, levels: usize) -> String {
    let parts: Vec<&str> = name.split('/').collect();
    if parts.len() <= levels {
        return name.to_string();
    }
    format!("{}/*", parts[..levels].join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::features::{needs, Feature};
    use crate::policy::{evaluate, too_broad, Document, Outcome, Request, Thing};

    fn context(thing: Option<&str>) -> Context {
        Context {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "123456789012".into(),
            client_id: thing.unwrap_or("claim-1").into(),
            thing: thing.map(|t| Thing {
                name: t.into(),
                ..Thing::default()
            }),
            attached_things: thing.into_iter().map(str::to_string).collect(),
            ..Context::default()
        }
    }

    fn every_feature() -> Vec<Feature> {
        vec![
            Feature::Jobs,
            Feature::Tunneling,
            Feature::Shadow,
            Feature::NamedShadow("settings".into()),
            Feature::ConfigShadow,
            Feature::DeviceDefender,
            Feature::SensorPublish(vec!["sensors/Sensor1/temp".into()]),
            Feature::PubSub {
                publish: Some("dc/Sensor1/out".into()),
                subscribe: Some("dc/Sensor1/in".into()),
            },
        ]
    }

    /// Under the suggestion, every need is allowed; without any one of its statements, some
    /// need of the feature is denied, with the statement missing.
    fn allowed_then_denied(features: &[Feature], thing: Option<&str>, variable: bool) {
        let ctx = context(thing);
        let all = needs(features, &ctx.client_id, thing.unwrap_or("claim-1"));
        let suggestion = suggest(&all, &ctx, thing.unwrap_or(""), variable);
        assert!(suggestion.length <= POLICY_LIMIT, "{}", suggestion.length);
        let text = suggestion.document.to_string();
        assert_eq!(
            text.contains("${iot:Connection.Thing.ThingName}"),
            variable,
            "{text}"
        );
        let document = Document::parse(&text).unwrap();
        assert!(too_broad(&document).is_empty(), "{text}");
        for need in &all {
            let request = Request::new(need.action, &need.name, &ctx);
            let decision = evaluate(&[("suggested", &document)], &request, &ctx);
            assert_eq!(
                decision.outcome,
                Outcome::Allowed,
                "{} {:?} {}: {}\n{text}",
                need.feature,
                need.action,
                need.name,
                decision.reason
            );
        }
        let statements = suggestion.document["Statement"].as_array().unwrap().clone();
        for removed in 0..statements.len() {
            let mut fewer = statements.clone();
            fewer.remove(removed);
            let document = Document::parse(
                &serde_json::json!({"Version": "2012-10-17", "Statement": fewer}).to_string(),
            )
            .unwrap();
            let denied = all.iter().any(|need| {
                let request = Request::new(need.action, &need.name, &ctx);
                let decision = evaluate(&[("suggested", &document)], &request, &ctx);
                decision.outcome == Outcome::Denied && !decision.explicit_deny
            });
            assert!(denied, "removing statement {removed} denies nothing");
        }
    }

    #[test]
    fn every_device_client_feature_is_allowed_under_its_suggestion() {
        for feature in every_feature() {
            allowed_then_denied(&[feature], Some("Sensor1"), true);
        }
        allowed_then_denied(&every_feature(), Some("Sensor1"), true);
    }

    #[test]
    fn a_claim_certificate_gets_no_thing_variable() {
        for csr in [false, true] {
            allowed_then_denied(
                &[Feature::FleetProvisioning {
                    template: "FactoryTemplate".into(),
                    csr,
                }],
                None,
                false,
            );
        }
    }

    #[test]
    fn a_greengrass_core_gets_no_thing_variable_and_its_data_plane_on_star() {
        let core = Feature::GreengrassCore {
            role_alias: Some("GreengrassCoreTokenExchangeRoleAlias".into()),
        };
        allowed_then_denied(std::slice::from_ref(&core), Some("Core1"), false);
        let ctx = context(Some("Core1"));
        let all = needs(&[core], "Core1", "Core1");
        let text = suggest(&all, &ctx, "Core1", false).document.to_string();
        assert!(
            text.contains("greengrass:ResolveComponentCandidates"),
            "{text}"
        );
        assert!(
            text.contains(":rolealias/GreengrassCoreTokenExchangeRoleAlias"),
            "{text}"
        );
        assert!(text.contains(":client/Core1#*"), "{text}");
    }

    #[test]
    fn too_many_topics_are_widened_to_fit() {
        let topics: Vec<String> = (0..80)
            .map(|i| format!("sensors/Sensor1/a-rather-long-topic-name-{i}"))
            .collect();
        let features = [Feature::SensorPublish(topics), Feature::Jobs];
        let ctx = context(Some("Sensor1"));
        let all = needs(&features, "Sensor1", "Sensor1");
        let suggestion = suggest(&all, &ctx, "Sensor1", true);
        assert!(suggestion.widened);
        assert!(suggestion.length <= POLICY_LIMIT, "{}", suggestion.length);
        allowed_then_denied(&features, Some("Sensor1"), true);
    }

    #[test]
    fn features_parse_and_refuse_in_words() {
        let parsed = crate::policy::features::parse(&[
            "jobs,shadow".into(),
            "shadow:settings".into(),
            "greengrass:Alias".into(),
        ])
        .unwrap();
        assert_eq!(
            parsed,
            [
                Feature::Jobs,
                Feature::Shadow,
                Feature::NamedShadow("settings".into()),
                Feature::GreengrassCore {
                    role_alias: Some("Alias".into())
                }
            ]
        );
        let error = crate::policy::features::parse(&["telepathy".into()]).unwrap_err();
        assert!(
            error.contains("telepathy") && error.contains("shadow:NAME"),
            "{error}"
        );
    }

    #[test]
    fn a_device_client_config_turns_jobs_and_tunneling_on_by_default() {
        let root: serde_json::Value = serde_json::json!({
            "endpoint": "x", "thing-name": "Sensor1",
            "sample-shadow": {"enabled": true, "shadow-name": "settings"},
            "config-shadow": {"enabled": true},
            "tunneling": {"enabled": false}
        });
        let features = crate::policy::features::from_config(root.as_object().unwrap(), false);
        assert_eq!(
            features,
            [
                Feature::Jobs,
                Feature::NamedShadow("settings".into()),
                Feature::ConfigShadow
            ]
        );
    }
}
