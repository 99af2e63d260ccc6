//! A role alias and the IAM role it names, as the account holds them: DescribeRoleAlias, then
//! IAM GetRole on the role of the alias (its trust policy and maximum session duration). What
//! the AWS IoT credentials provider needs of the account side besides the certificate's policy.

/// What the account says about one role alias.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleAliasFacts {
    /// The alias asked about, as given.
    pub name: String,
    /// None: DescribeRoleAlias found no alias by this name in the region.
    pub alias: Option<RoleAlias>,
    /// The role the alias names, as IAM describes it.
    pub role: RoleLookup,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleAlias {
    pub arn: String,
    /// The IAM role the credentials provider assumes for the device.
    pub role_arn: String,
    /// How long the credentials it hands out last, when AWS said.
    pub credential_duration_seconds: Option<i32>,
}

/// What IAM said about the role of the alias.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RoleLookup {
    /// No alias, so no role to ask about.
    #[default]
    NotAsked,
    /// GetRole: no role by the name the alias's role ARN ends with.
    Missing,
    Found(Role),
    /// IAM could not be asked (access denied to iam:GetRole, ...): the words of the error.
    /// Not a failure of the device: what the role allows cannot be told.
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub arn: String,
    pub name: String,
    /// The trust policy, URL-decoded (IAM hands it out encoded); Err: why it cannot be read.
    pub trust_policy: Result<String, String>,
    /// The longest session the role allows, in seconds (IAM's default is 3600).
    pub max_session_duration: Option<i32>,
}

/// The name GetRole takes, from a role ARN: `arn:aws:iam::ACCOUNT:role/PATH/NAME` ends with it.
pub fn role_name(role_arn: &str) -> Option<&str> {
    let resource = role_arn.splitn(6, ':').nth(5)?;
    let path = resource.strip_prefix("role/")?;
    path.rsplit('/').next().filter(|name| !name.is_empty())
}

#[cfg(feature = "aws")]
pub(super) mod sdk {
    use aws_config::SdkConfig;
    use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

    use super::{role_name, Role, RoleAlias, RoleAliasFacts, RoleLookup};
    use crate::aws::client::{not_found, request_value, server_text, translate};
    use crate::aws::guard::AnswerGuard;
    use crate::aws::{AwsError, AwsSettings};

    /// DescribeRoleAlias, then GetRole on the alias's role. An IAM that cannot be asked is a
    /// fact (`RoleLookup::Failed`), not the end of the run: the IoT side was read.
    pub async fn role_alias(
        config: &SdkConfig,
        iot: &aws_sdk_iot::Client,
        name: &str,
        settings: &AwsSettings,
    ) -> Result<RoleAliasFacts, AwsError> {
        let mut facts = RoleAliasFacts {
            name: server_text(name),
            ..RoleAliasFacts::default()
        };
        let described = iot.describe_role_alias().role_alias(name).send().await;
        let description = match described {
            Ok(out) => out.role_alias_description,
            Err(e) if not_found(&e) => return Ok(facts),
            Err(e) => return Err(translate("iot:DescribeRoleAlias", e, settings)),
        };
        let Some(description) = description else {
            return Err(AwsError::Unreadable {
                action: "iot:DescribeRoleAlias",
                detail: "it holds no roleAliasDescription".into(),
            });
        };
        let role_arn = description.role_arn.unwrap_or_default();
        request_value("iot:DescribeRoleAlias", "roleArn", &role_arn, 2048, |c| {
            c.is_ascii_graphic()
        })?;
        facts.alias = Some(RoleAlias {
            arn: server_text(&description.role_alias_arn.unwrap_or_default()),
            role_arn: server_text(&role_arn),
            credential_duration_seconds: description.credential_duration_seconds,
        });
        let Some(role) = role_name(&role_arn) else {
            facts.role = RoleLookup::Missing;
            return Ok(facts);
        };
        // AWS's role names: 1 to 64 of [A-Za-z0-9+=,.@_-].
        if role.len() > 64
            || !role
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        {
            facts.role = RoleLookup::Missing;
            return Ok(facts);
        }
        let got = iam(config).get_role().role_name(role).send().await;
        facts.role = match got {
            Ok(out) => match out.role {
                Some(role) => RoleLookup::Found(Role {
                    arn: server_text(&role.arn),
                    name: server_text(&role.role_name),
                    trust_policy: decode(role.assume_role_policy_document.as_deref()),
                    max_session_duration: role.max_session_duration,
                }),
                None => {
                    return Err(AwsError::Unreadable {
                        action: "iam:GetRole",
                        detail: "it holds no Role".into(),
                    })
                }
            },
            Err(SdkError::ServiceError(e)) if e.err().code() == Some("NoSuchEntity") => {
                RoleLookup::Missing
            }
            Err(e) => match translate("iam:GetRole", e, settings) {
                // Exit 3 for what is not IAM's answer (unreachable, timeout, unreadable);
                // a refusal of IAM (access denied, another error) leaves the role untold.
                denied @ (AwsError::AccessDenied { .. } | AwsError::Service { .. }) => {
                    RoleLookup::Failed(denied.to_string())
                }
                other => return Err(other),
            },
        };
        Ok(facts)
    }

    /// The trust policy as IAM gives it: URL-encoded (RFC 3986) JSON.
    fn decode(document: Option<&str>) -> Result<String, String> {
        let Some(document) = document else {
            return Err("IAM gave no trust policy".into());
        };
        percent_encoding::percent_decode_str(document)
            .decode_utf8()
            .map(|text| text.into_owned())
            .map_err(|_| "it is not UTF-8 once URL-decoded".into())
    }

    /// The IAM client, every answer of which passes the guard on size and nesting.
    fn iam(config: &SdkConfig) -> aws_sdk_iam::Client {
        let config = aws_sdk_iam::config::Builder::from(config)
            .interceptor(AnswerGuard)
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_name_is_the_last_part_of_the_arn() {
        assert_eq!(
            role_name("arn:aws:iam::123456789012:role/GreengrassV2TokenExchangeRole"),
            Some("GreengrassV2TokenExchangeRole")
        );
        assert_eq!(
            role_name("arn:aws-cn:iam::123456789012:role/service-role/a/Device"),
            Some("Device")
        );
        assert_eq!(role_name("arn:aws:iam::123456789012:user/Device"), None);
        assert_eq!(role_name("arn:aws:iam::123456789012:role/"), None);
        assert_eq!(role_name("Device"), None);
    }
}
