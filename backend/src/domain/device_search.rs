//! How the dashboard's search finds devices: each device keeps its searchable
//! text in two columns, written with the device, so the database filters a
//! fleet of any size and sends back one page.
//!
//! - `search_text`: name, MAC (as shown), IP and tags, lowercased, joined
//!   by [`SEPARATOR`]. A search matches when the text contains it, or when
//!   its letters and digits are in the MAC's (a MAC typed another way).
//! - `tag_keys`: the tags as written, each between separators, so a tag
//!   filter matches one whole tag exactly.
//!
//! Both are searched by containment (see `storage::sql`), the same on
//! SQLite and PostgreSQL.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use powerbeacon_agent::MacAddress;
use shared::ids::ClusterId;
use shared::types::{DeviceQuery, OsType, PresenceState};

/// Between the fields of a device's search text: a control character no
/// search keeps, so no search matches across two fields.
pub const SEPARATOR: char = '\u{1f}';

/// A bare MAC search (`aabb` for `AA:BB`) needs this many letters or digits,
/// so that a short search does not match inside every MAC.
const BARE_MAC_MIN: usize = 4;

/// The letters and digits of `text`, lowercased.
fn bare(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The `search_text` column of a device.
pub fn search_text(name: &str, mac: &MacAddress, ip: Option<IpAddr>, tags: &[String]) -> String {
    let mut fields = vec![name.to_lowercase(), mac.to_string().to_lowercase()];
    fields.extend(ip.map(|ip| ip.to_string()));
    fields.extend(tags.iter().map(|tag| tag.to_lowercase()));
    let mut text = fields.join(&SEPARATOR.to_string());
    text.retain(|c| c == SEPARATOR || !c.is_control());
    text
}

/// The `tag_keys` column of a device: `␟office␟storage␟`.
pub fn tag_keys(tags: &[String]) -> String {
    let mut keys = String::from(SEPARATOR);
    for tag in tags {
        keys.extend(tag.chars().filter(|c| !c.is_control()));
        keys.push(SEPARATOR);
    }
    keys
}

/// The tags of a `tag_keys` column.
pub fn tags_of_keys(keys: &str) -> impl Iterator<Item = &str> {
    keys.split(SEPARATOR).filter(|tag| !tag.is_empty())
}

/// A [`DeviceQuery`] as the database filters with it: each part `None` when
/// it does not narrow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceMatch {
    /// Contained in `search_text`.
    pub text: Option<String>,
    /// Or this, the search's letters and digits, in the MAC's.
    pub bare_mac: Option<String>,
    pub os: Option<OsType>,
    pub cluster: Option<ClusterId>,
    /// Contained in `tag_keys`.
    pub tag_key: Option<String>,
    /// Devices that read as this now (docs/API.md, "Presence").
    pub presence: Option<PresenceState>,
    /// The oldest heartbeat of an agent that counts as online now.
    pub presence_cutoff: DateTime<Utc>,
}

impl DeviceMatch {
    /// The devices `query` asks for, as of now: an agent counts as online
    /// when heard from within `offline_after`.
    pub fn new(query: &DeviceQuery, offline_after: std::time::Duration) -> Self {
        let mut needle = query.search.trim().to_lowercase();
        needle.retain(|c| !c.is_control());
        let bare_mac = Some(bare(&needle)).filter(|bare| bare.len() >= BARE_MAC_MIN);
        Self {
            text: Some(needle).filter(|needle| !needle.is_empty()),
            bare_mac,
            os: query.os,
            cluster: query.cluster,
            tag_key: query
                .tag
                .as_deref()
                .filter(|tag| !tag.is_empty())
                .map(|tag| tag_keys(&[tag.to_string()])),
            presence: query.presence,
            presence_cutoff: super::before(Utc::now(), offline_after),
        }
    }

    /// What the database answers for a device with these columns (the SQL
    /// in `storage::sql` says the same; this is its specification).
    #[cfg(test)]
    fn accepts(&self, search_text: &str, mac: &MacAddress, tag_keys: &str, os: OsType) -> bool {
        let searched = match (&self.text, &self.bare_mac) {
            (None, _) => true,
            (Some(text), bare) => {
                search_text.contains(text.as_str())
                    || bare
                        .as_ref()
                        .is_some_and(|bare| self::bare(&mac.to_string()).contains(bare.as_str()))
            }
        };
        searched
            && self.os.is_none_or(|wanted| wanted == os)
            && self
                .tag_key
                .as_ref()
                .is_none_or(|key| tag_keys.contains(key.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Device {
        text: String,
        mac: MacAddress,
        keys: String,
        os: OsType,
    }

    fn device(name: &str, mac: &str, ip: Option<&str>, tags: &[&str], os: OsType) -> Device {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        let mac: MacAddress = mac.parse().unwrap();
        Device {
            text: search_text(name, &mac, ip.map(|ip| ip.parse().unwrap()), &tags),
            mac,
            keys: tag_keys(&tags),
            os,
        }
    }

    fn query(search: &str) -> DeviceQuery {
        DeviceQuery {
            search: search.into(),
            ..Default::default()
        }
    }

    fn finds(query: &DeviceQuery, device: &Device) -> bool {
        DeviceMatch::new(query, std::time::Duration::from_secs(90)).accepts(
            &device.text,
            &device.mac,
            &device.keys,
            device.os,
        )
    }

    #[test]
    fn search_looks_at_name_ip_mac_and_tags() {
        let nas = device(
            "NAS",
            "AA:BB:CC:DD:EE:01",
            Some("192.0.2.10"),
            &["Storage"],
            OsType::Linux,
        );
        for hit in [
            "nas",
            "NA",
            " nas ",
            "192.0.2.1",
            "aa:bb",
            "AA-BB-CC",
            "aabbcc",
            "ddee01",
            "stor",
            "",
        ] {
            assert!(finds(&query(hit), &nas), "{hit:?} should match");
        }
        for miss in ["printer", "192.0.2.2", "ff:ff", "abc", "nas\u{1f}aa"] {
            assert!(!finds(&query(miss), &nas), "{miss:?} should not match");
        }
    }

    #[test]
    fn a_bare_search_is_matched_against_the_mac_only() {
        let web = device(
            "web01",
            "02:00:00:00:00:09",
            None,
            &["rack2"],
            OsType::Linux,
        );
        assert!(finds(&query("web01"), &web), "as typed, in the name");
        assert!(!finds(&query("web-01"), &web), "not the name's letters");
        assert!(!finds(&query("rack-2"), &web), "not a tag's letters");
        assert!(finds(&query("0000-0009"), &web), "the MAC's");
    }

    #[test]
    fn no_search_matches_across_two_fields() {
        let nas = device("nas", "AA:BB:CC:DD:EE:01", None, &["x"], OsType::Linux);
        assert!(!finds(&query("nasaa"), &nas));
        assert!(!finds(&query("01x"), &nas));
    }

    #[test]
    fn filters_narrow_by_os_and_exact_tag() {
        let nas = device(
            "nas",
            "AA:BB:CC:DD:EE:01",
            None,
            &["office", "storage"],
            OsType::Linux,
        );
        let with = |os: Option<OsType>, tag: Option<&str>| DeviceQuery {
            os,
            tag: tag.map(Into::into),
            ..Default::default()
        };
        assert!(finds(&with(Some(OsType::Linux), Some("storage")), &nas));
        assert!(finds(&with(None, Some("office")), &nas));
        assert!(
            finds(&with(None, Some("")), &nas),
            "an empty tag does not narrow"
        );
        assert!(!finds(&with(Some(OsType::Windows), None), &nas));
        assert!(!finds(&with(None, Some("stor")), &nas), "a whole tag only");
        assert!(!finds(&with(None, Some("Office")), &nas), "as written");
    }

    #[test]
    fn tag_keys_read_back_as_the_tags() {
        let tags = vec!["office".to_string(), "rack 2".to_string()];
        assert_eq!(tag_keys(&tags), "\u{1f}office\u{1f}rack 2\u{1f}");
        assert_eq!(
            tags_of_keys(&tag_keys(&tags)).collect::<Vec<_>>(),
            ["office", "rack 2"]
        );
        assert_eq!(tags_of_keys(&tag_keys(&[])).count(), 0);
    }
}
