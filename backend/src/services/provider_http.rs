//! The HTTP client the server uses towards identity providers (discovery,
//! keys, the code exchange): it follows no redirects, reads at most 1 MiB of
//! an answer, and never connects to loopback (unless the operator allows
//! it: `--sso-allow-loopback`), link-local or cloud metadata addresses,
//! also when a name resolves to one. So whoever may configure single
//! sign-on cannot use the server to reach what only the server can reach.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use openidconnect::{HttpRequest, HttpResponse};

/// The most of a provider's answer that is read.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Why a request to a provider failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProviderHttpError(String);

/// Whether the server may connect to `ip` for single sign-on.
fn may_connect(ip: IpAddr, allow_loopback: bool) -> bool {
    let ip = ip.to_canonical();
    !(ip.is_unspecified()
        || ip.is_multicast()
        || crate::domain::is_metadata_address(ip)
        || (ip.is_loopback() && !allow_loopback))
}

/// Resolves names to the addresses single sign-on may use, and only those
/// (checked where the connection is made, so a name cannot change its
/// answer between a check and the connect).
struct CheckedResolver {
    allow_loopback: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| may_connect(addr.ip(), allow_loopback))
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{host} has no address single sign-on may use (loopback, link-local and \
                     cloud metadata addresses are refused)"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// See the module documentation.
pub struct ProviderHttp {
    client: reqwest::Client,
    allow_loopback: bool,
}

impl ProviderHttp {
    pub fn new(allow_loopback: bool, timeout: Duration) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(timeout)
                .dns_resolver(Arc::new(CheckedResolver { allow_loopback }))
                .build()
                .expect("the HTTP client configuration is static and valid"),
            allow_loopback,
        }
    }

    async fn fetch(&self, request: HttpRequest) -> Result<HttpResponse, ProviderHttpError> {
        let fail = |what: &str, error: &dyn std::fmt::Display| {
            ProviderHttpError(format!("{what}: {error}"))
        };
        let request = reqwest::Request::try_from(request).map_err(|e| fail("bad request", &e))?;
        // Addresses written as such are not resolved: check them here.
        let literal = match request.url().host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            _ => None,
        };
        if let Some(ip) = literal
            && !may_connect(ip, self.allow_loopback)
        {
            return Err(ProviderHttpError(format!(
                "{ip} is not an address single sign-on may use (loopback, link-local and cloud \
                 metadata addresses are refused)"
            )));
        }
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| fail("request failed", &e))?;
        let mut answer = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| fail("reading the answer failed", &e))?
        {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(ProviderHttpError(format!(
                    "the answer is larger than {MAX_ANSWER_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        answer.body(body).map_err(|e| fail("bad answer", &e))
    }
}

impl<'c> openidconnect::AsyncHttpClient<'c> for ProviderHttp {
    type Error = ProviderHttpError;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<HttpResponse, ProviderHttpError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.fetch(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only_when_allowed_and_never_metadata() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert!(may_connect(ip("192.0.2.1"), false));
        assert!(may_connect(ip("10.0.0.5"), false), "a provider on the LAN");
        assert!(!may_connect(ip("127.0.0.1"), false));
        assert!(may_connect(ip("127.0.0.1"), true));
        assert!(!may_connect(ip("::ffff:127.0.0.1"), false));
        for never in [
            "169.254.169.254",
            "fd00:ec2::254",
            "100.100.100.200",
            "0.0.0.0",
            "fe80::1",
        ] {
            assert!(!may_connect(ip(never), true), "{never}");
        }
    }
}
