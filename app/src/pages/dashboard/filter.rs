//! Which devices the dashboard shows for a search and filters.

use shared::ids::ClusterId;

use shared::types::{DashboardDevice, OsType};

/// The search box and the three filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceFilter {
    /// Matches name, IP, MAC (any spelling) and tags, case-insensitively.
    pub search: String,
    pub os: Option<OsType>,
    pub cluster: Option<ClusterId>,
    pub tag: Option<String>,
}

impl DeviceFilter {
    /// Whether `device` passes.
    pub fn matches(&self, device: &DashboardDevice) -> bool {
        let device = &device.device;
        if self.os.is_some_and(|os| os != device.os_type)
            || self.cluster.is_some_and(|id| device.cluster_id != Some(id))
            || self
                .tag
                .as_ref()
                .is_some_and(|tag| !device.tags.iter().any(|t| t == tag))
        {
            return false;
        }
        let needle = self.search.trim().to_lowercase();
        if needle.is_empty() {
            return true;
        }
        let bare_mac = |text: &str| -> String {
            text.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_lowercase()
        };
        let needle_mac = bare_mac(&needle);
        device.name.to_lowercase().contains(&needle)
            || device
                .ip_address
                .as_deref()
                .is_some_and(|ip| ip.contains(&needle))
            || device.mac_address.to_lowercase().contains(&needle)
            || (needle_mac.len() >= 4 && bare_mac(&device.mac_address).contains(&needle_mac))
            || device
                .tags
                .iter()
                .any(|tag| tag.to_lowercase().contains(&needle))
    }
}

/// Every tag of the devices, sorted, once each.
pub fn all_tags(devices: &[DashboardDevice]) -> Vec<String> {
    let mut tags: Vec<String> = devices
        .iter()
        .flat_map(|d| d.device.tags.iter().cloned())
        .collect();
    tags.sort_by_key(|tag| tag.to_lowercase());
    tags.dedup();
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::DeviceId;
    use shared::types::DevicePublic;
    use uuid::Uuid;

    fn device(
        name: &str,
        mac: &str,
        ip: Option<&str>,
        tags: &[&str],
        os: OsType,
    ) -> DashboardDevice {
        let now = chrono::Utc::now();
        DashboardDevice {
            device: DevicePublic {
                id: DeviceId::from_uuid(Uuid::new_v4()),
                name: name.into(),
                mac_address: mac.into(),
                ip_address: ip.map(Into::into),
                os_type: os,
                is_active: true,
                description: None,
                tags: tags.iter().map(|t| t.to_string()).collect(),
                cluster_id: None,
                owner_id: None,
                created_at: now,
                updated_at: now,
                owner_name: None,
                cluster_name: None,
                agents: Vec::new(),
            },
            can_manage: true,
        }
    }

    #[test]
    fn search_looks_at_name_ip_mac_and_tags() {
        let nas = device(
            "NAS",
            "AA:BB:CC:DD:EE:01",
            Some("192.0.2.10"),
            &["storage"],
            OsType::Linux,
        );
        let search = |text: &str| DeviceFilter {
            search: text.into(),
            ..Default::default()
        };
        for hit in [
            "nas",
            "NA",
            "192.0.2.1",
            "aa:bb",
            "aabbccddee01",
            "aa-bb-cc",
            "STOR",
            "  nas ",
        ] {
            assert!(search(hit).matches(&nas), "{hit}");
        }
        for miss in ["desktop", "198.51", "ff:ff", "media"] {
            assert!(!search(miss).matches(&nas), "{miss}");
        }
    }

    #[test]
    fn filters_narrow_down() {
        let mut pc = device(
            "pc",
            "AA:BB:CC:DD:EE:02",
            None,
            &["office"],
            OsType::Windows,
        );
        let cluster = ClusterId::from_uuid(Uuid::new_v4());
        pc.device.cluster_id = Some(cluster);
        let only = |filter: DeviceFilter| filter.matches(&pc);
        assert!(only(DeviceFilter {
            os: Some(OsType::Windows),
            ..Default::default()
        }));
        assert!(!only(DeviceFilter {
            os: Some(OsType::Linux),
            ..Default::default()
        }));
        assert!(only(DeviceFilter {
            cluster: Some(cluster),
            ..Default::default()
        }));
        assert!(!only(DeviceFilter {
            cluster: Some(ClusterId::from_uuid(Uuid::new_v4())),
            ..Default::default()
        }));
        assert!(only(DeviceFilter {
            tag: Some("office".into()),
            ..Default::default()
        }));
        assert!(!only(DeviceFilter {
            tag: Some("off".into()),
            ..Default::default()
        }));
    }

    #[test]
    fn tags_are_listed_once_in_order() {
        let devices = [
            device("a", "AA:BB:CC:DD:EE:03", None, &["b", "A"], OsType::Linux),
            device("b", "AA:BB:CC:DD:EE:04", None, &["b", "c"], OsType::Linux),
        ];
        assert_eq!(all_tags(&devices), ["A", "b", "c"]);
    }
}
