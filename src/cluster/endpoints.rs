//! Which addresses a Service sends traffic to, read through the API the server prefers:
//! `discovery.k8s.io/v1` EndpointSlices where it is served (Kubernetes 1.21 and later; 1.33
//! deprecates v1 Endpoints), v1 Endpoints on older servers. Discovery is asked once per
//! run. What the addresses mean for a rollout is the deploy concern's.

use super::Cluster;
use k8s_openapi::api::core::v1::Endpoints;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use std::collections::BTreeSet;

/// The label the EndpointSlice controller puts on every slice of a Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// Where a Service's endpoints are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointApi {
    /// `discovery.k8s.io/v1` EndpointSlices, all of those labelled with the Service's name.
    Slices,
    /// v1 Endpoints named like the Service (servers before 1.21).
    Endpoints,
}

impl Cluster {
    /// The endpoints API of this cluster, asked of discovery on first use and remembered
    /// for the rest of the run. A discovery request that fails picks v1 Endpoints, which
    /// every server still serves (deprecated, not removed), so the reading still works.
    pub async fn endpoint_api(&self) -> EndpointApi {
        *self
            .endpoint_api
            .get_or_init(|| async {
                match self
                    .client
                    .list_api_group_resources("discovery.k8s.io/v1")
                    .await
                {
                    Ok(list) => choose(list.resources.iter().map(|r| r.name.as_str())),
                    Err(_) => EndpointApi::Endpoints,
                }
            })
            .await
    }
}

/// Slices when discovery lists the `endpointslices` resource of `discovery.k8s.io/v1`.
fn choose<'a>(mut resources: impl Iterator<Item = &'a str>) -> EndpointApi {
    match resources.any(|r| r == "endpointslices") {
        true => EndpointApi::Slices,
        false => EndpointApi::Endpoints,
    }
}

/// Ready addresses listed by an Endpoints object (`notReadyAddresses` are not).
pub fn endpoints_ready(ep: &Endpoints) -> BTreeSet<String> {
    ep.subsets
        .iter()
        .flatten()
        .flat_map(|s| s.addresses.iter().flatten())
        .map(|a| a.ip.clone())
        .collect()
}

/// Ready addresses of a Service joined over all its slices (an address moving between
/// slices counts once). A missing `ready` condition means ready, as the API says
/// consumers should read it; terminating endpoints are never ready. FQDN slices carry no
/// pod address and are skipped.
pub fn slices_ready(slices: &[EndpointSlice]) -> BTreeSet<String> {
    slices
        .iter()
        .filter(|s| s.address_type == "IPv4" || s.address_type == "IPv6")
        .flat_map(|s| s.endpoints.iter().flatten())
        .filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true))
        .flat_map(|e| e.addresses.iter().cloned())
        .collect()
}

/// The slices among `slices` that belong to Service `service` in namespace `ns`.
pub fn slices_of<'a>(
    slices: &'a [EndpointSlice],
    ns: &'a str,
    service: &'a str,
) -> impl Iterator<Item = &'a EndpointSlice> + 'a {
    slices.iter().filter(move |s| {
        s.metadata.namespace.as_deref().unwrap_or("") == ns
            && s.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(SERVICE_NAME_LABEL))
                .is_some_and(|n| n == service)
    })
}

/// The addresses of `listed` in the same family (IPv4 or IPv6) as `like`: a dual-stack
/// Service has slices of both families while a pod's `podIP` is of one.
pub fn same_family(listed: &BTreeSet<String>, like: &str) -> BTreeSet<String> {
    let v6 = like.contains(':');
    listed
        .iter()
        .filter(|ip| ip.contains(':') == v6)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn slice(service: &str, family: &str, endpoints: serde_json::Value) -> EndpointSlice {
        serde_json::from_value(json!({
            "metadata": {"name": format!("{service}-abcde"), "namespace": "default",
                "labels": {SERVICE_NAME_LABEL: service}},
            "addressType": family,
            "endpoints": endpoints,
        }))
        .unwrap()
    }

    #[test]
    fn discovery_picks_slices_only_when_they_are_listed() {
        assert_eq!(choose(["endpointslices"].into_iter()), EndpointApi::Slices);
        assert_eq!(choose([].into_iter()), EndpointApi::Endpoints);
        assert_eq!(choose(["events"].into_iter()), EndpointApi::Endpoints);
    }

    #[test]
    fn slices_are_joined_and_only_ready_addresses_count() {
        let a = slice(
            "shop",
            "IPv4",
            json!([
                {"addresses": ["10.0.0.1"], "conditions": {"ready": true, "serving": true, "terminating": false}},
                {"addresses": ["10.0.0.2"], "conditions": {"ready": false, "serving": false, "terminating": false}},
                {"addresses": ["10.0.0.3"], "conditions": {"ready": false, "serving": true, "terminating": true}},
                {"addresses": ["10.0.0.4"]},
            ]),
        );
        let b = slice(
            "shop",
            "IPv4",
            json!([{"addresses": ["10.0.0.5"], "conditions": {"ready": true}},
                   {"addresses": ["10.0.0.1"], "conditions": {"ready": true}}]),
        );
        let fqdn = slice("shop", "FQDN", json!([{"addresses": ["db.example"]}]));
        let empty = slice("shop", "IPv4", serde_json::Value::Null);
        let got = slices_ready(&[a, b, fqdn, empty]);
        assert_eq!(
            got.into_iter().collect::<Vec<_>>(),
            ["10.0.0.1", "10.0.0.4", "10.0.0.5"]
        );
    }

    #[test]
    fn slices_of_a_service_are_found_by_label_and_namespace() {
        let slices = [
            slice("shop", "IPv4", json!([])),
            slice("shop-preview", "IPv4", json!([])),
        ];
        assert_eq!(slices_of(&slices, "default", "shop").count(), 1);
        assert_eq!(slices_of(&slices, "other", "shop").count(), 0);
    }

    #[test]
    fn endpoints_list_only_their_ready_addresses() {
        let ep: Endpoints = serde_json::from_value(json!({"metadata": {"name": "shop"},
            "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "notReadyAddresses": [{"ip": "10.0.0.2"}]}]}))
        .unwrap();
        assert_eq!(
            endpoints_ready(&ep).into_iter().collect::<Vec<_>>(),
            ["10.0.0.1"]
        );
    }

    #[test]
    fn a_dual_stack_listing_is_cut_to_the_family_of_the_pods() {
        let listed: BTreeSet<String> = ["10.0.0.1", "fd00::1"].map(String::from).into();
        assert_eq!(same_family(&listed, "10.0.0.9").len(), 1);
        assert!(same_family(&listed, "fd00::9").contains("fd00::1"));
    }
}
