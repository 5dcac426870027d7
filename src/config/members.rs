//! What a workspace's msv.toml says (`[workspace]`) and what a member says about the members
//! it needs live first (`service.depends_on`), as they are written.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::schema::Layer;
use crate::name::ServiceName;

/// `[workspace]`: the members (directory globs relative to the workspace root, as Cargo
/// reads `members`) and `[workspace.defaults]`, a layer every member inherits beneath its
/// own msv.toml.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSection {
    pub members: Vec<String>,
    #[serde(default)]
    pub defaults: Option<Box<Layer>>,
}

/// `service.depends_on`: members that must be live before this one switches in a release.
/// Written `["users", "billing"]` in msv.toml and `users,billing` in the environment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DependsOn(pub Vec<String>);

impl DependsOn {
    fn from_items<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut names: Vec<String> = vec![];
        for item in items.into_iter().map(str::trim) {
            let name: ServiceName = item
                .parse()
                .map_err(|e| format!("depends_on entry {item:?}: {e}"))?;
            let name = name.as_str().to_string();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Ok(DependsOn(names))
    }
}

impl<'de> Deserialize<'de> for DependsOn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            List(Vec<String>),
            Text(String),
        }
        let written = Written::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "depends_on is a list of member service names such as [\"users\"] (or \"users,billing\")",
            )
        })?;
        let parsed = match written {
            Written::Text(s) if s.trim().is_empty() => Ok(DependsOn::default()),
            Written::Text(s) => DependsOn::from_items(s.split(',')),
            Written::List(items) => DependsOn::from_items(items.iter().map(String::as_str)),
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

impl Serialize for DependsOn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depends_on_from_toml_and_the_environment() {
        let t: toml::Table = toml::from_str("d = [\"users\", \"billing\", \"users\"]").unwrap();
        let d: DependsOn = t["d"].clone().try_into().unwrap();
        assert_eq!(d.0, ["users", "billing"]);
        let d: DependsOn = serde_json::from_value("users, billing".into()).unwrap();
        assert_eq!(d.0, ["users", "billing"]);
        let d: DependsOn = serde_json::from_value("".into()).unwrap();
        assert!(d.0.is_empty());
        let err = serde_json::from_value::<DependsOn>("Users_".into()).unwrap_err();
        assert!(
            err.to_string().contains("depends_on entry \"Users_\""),
            "{err}"
        );
        let err = serde_json::from_value::<DependsOn>(serde_json::json!(3)).unwrap_err();
        assert!(
            err.to_string().contains("list of member service names"),
            "{err}"
        );
    }
}
