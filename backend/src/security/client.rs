//! Which client a request comes from, also behind a reverse proxy.

use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;

/// The address a request comes from: the connection's peer, unless that
/// peer is one of the `trusted` proxies; then the right-most address of
/// `X-Forwarded-For` that is not itself a trusted proxy. From anyone else
/// the header is ignored, since any client can send it.
pub fn client_ip(trusted: &[IpNet], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    if !is_trusted(&client) {
        return client;
    }
    // Each proxy appends the address it got the request from; read from
    // the right, through our own proxies, to the first one we did not run.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for hop in hops.iter().rev() {
        let hop = hop.trim().trim_start_matches('[');
        let hop = hop.split_once(']').map_or(hop, |(ip, _)| ip);
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// What a request says about the address it was sent to: HTTP/1.1's
/// `Host` header or HTTP/2's authority, and what a proxy in front may have
/// added (`X-Forwarded-Proto`, `X-Forwarded-Host`; first values only).
/// Whether the forwarded values count is the services' decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestAddress<'a> {
    pub host: Option<&'a str>,
    pub forwarded_proto: Option<&'a str>,
    pub forwarded_host: Option<&'a str>,
}

/// The [`RequestAddress`] of a request.
pub fn request_address<'a>(headers: &'a http::HeaderMap, uri: &'a http::Uri) -> RequestAddress<'a> {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .map(str::trim)
    };
    RequestAddress {
        host: headers
            .get(http::header::HOST)
            .and_then(|value| value.to_str().ok())
            .or_else(|| uri.authority().map(|authority| authority.as_str())),
        forwarded_proto: first("x-forwarded-proto"),
        forwarded_host: first("x-forwarded-host"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in forwarded {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let forged = headers(&["203.0.113.9"]);
        // A client that is not a proxy cannot choose its address.
        assert_eq!(
            client_ip(&trusted, ip("198.51.100.1"), &forged),
            ip("198.51.100.1")
        );
        assert_eq!(client_ip(&[], ip("10.0.0.2"), &forged), ip("10.0.0.2"));
        // Through our proxy: the address it saw.
        assert_eq!(
            client_ip(&trusted, ip("10.0.0.2"), &forged),
            ip("203.0.113.9")
        );
        // A forged left part is skipped; our own hops are walked through.
        let chain = headers(&["1.2.3.4, 203.0.113.9", "10.0.0.7"]);
        assert_eq!(
            client_ip(&trusted, ip("10.0.0.2"), &chain),
            ip("203.0.113.9")
        );
        let v6 = headers(&["[2001:db8::5]:4711"]);
        assert_eq!(client_ip(&trusted, ip("::1"), &v6), ip("2001:db8::5"));
        // Garbage stops the walk at the last good address.
        let garbage = headers(&["nonsense"]);
        assert_eq!(
            client_ip(&trusted, ip("10.0.0.2"), &garbage),
            ip("10.0.0.2")
        );
    }
}
