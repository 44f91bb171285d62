//! Where a callback came from: an optional check of the sender's address,
//! beside the signature (never instead of it).
//!
//! The vendor's pages name the address its success callbacks and webhooks
//! are sent from (`195.158.26.90` at the time of writing) and offer an
//! address check as an alternative to the signature. Here it is only an
//! addition: the signature stays the check that matters, the address list
//! is configuration (Multicard may add an address any day), and a callback
//! from an address not on the list is answered 500 like every other
//! refusal before the handler, never 4xx, which would cancel a genuine
//! payment the day the list is out of date.
//!
//! Behind a reverse proxy the TCP peer is the proxy. The sender is then
//! read from `X-Forwarded-For`, **from the right**: each hop a trusted proxy
//! added is skipped, and the first address that is not a trusted proxy is
//! the sender. The left end of the header is whatever the client wrote, so
//! it is never believed; with no trusted proxies configured the header is
//! not read at all.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

use super::CallbackError;

/// The addresses callbacks may come from, and the proxies trusted to say
/// who sent them. Off unless given to
/// [`Verifier::with_source_check`](super::Verifier::with_source_check).
///
/// ```
/// use multicard_api::callbacks::{SourceCheck, Verifier};
/// let check = SourceCheck::allow(["195.158.26.90"])?.with_trusted_proxies(["10.0.0.0/8"])?;
/// let verifier = Verifier::new("my-secret")?.with_source_check(check);
/// let peer = "10.1.2.3".parse().unwrap();
/// assert!(verifier.check_source(peer, &["195.158.26.90"]).is_ok());
/// assert!(verifier.check_source(peer, &["195.158.26.90, 203.0.113.9"]).is_err());
/// # Ok::<(), multicard_api::callbacks::CallbackError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SourceCheck {
    allowed: Arc<[IpNet]>,
    trusted_proxies: Arc<[IpNet]>,
}

/// `text` as addresses or networks (`195.158.26.90`, `10.0.0.0/8`,
/// `2001:db8::/32`); `what` names the list in an error.
fn networks<I, S>(entries: I, what: &'static str) -> Result<Arc<[IpNet]>, CallbackError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = Vec::new();
    for (position, entry) in entries.into_iter().enumerate() {
        let entry = entry.as_ref().trim();
        let network = entry
            .parse::<IpNet>()
            .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| CallbackError::InvalidAddress { list: what, position })?;
        out.push(network);
    }
    Ok(out.into())
}

impl SourceCheck {
    /// Callbacks may come only from these addresses or networks. An empty
    /// list is refused ([`CallbackError::NoAddress`]): it would refuse
    /// every callback.
    pub fn allow<I, S>(addresses: I) -> Result<Self, CallbackError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let allowed = networks(addresses, "allowed addresses")?;
        if allowed.is_empty() {
            return Err(CallbackError::NoAddress);
        }
        Ok(Self { allowed, trusted_proxies: Arc::new([]) })
    }

    /// The reverse proxies in front of the callback URL, whose
    /// `X-Forwarded-For` hops are believed (none by default: the header is
    /// then not read).
    pub fn with_trusted_proxies<I, S>(mut self, proxies: I) -> Result<Self, CallbackError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.trusted_proxies = networks(proxies, "trusted proxies")?;
        Ok(self)
    }

    /// Who sent the request: `peer` (the TCP peer), unless it is a trusted
    /// proxy; then the right-most `X-Forwarded-For` hop that is not one
    /// (`forwarded_for` holds the header's values in the order received).
    /// `None` when a hop to be read is not an address, or every hop is a
    /// trusted proxy.
    pub fn sender(&self, peer: IpAddr, forwarded_for: &[&str]) -> Option<IpAddr> {
        let trusted = |address: &IpAddr| self.trusted_proxies.iter().any(|net| net.contains(address));
        let peer = canonical(peer);
        if !trusted(&peer) {
            return Some(peer);
        }
        let hops = forwarded_for.iter().flat_map(|value| value.split(',')).map(str::trim).filter(|hop| !hop.is_empty());
        let hops: Vec<&str> = hops.collect();
        for hop in hops.iter().rev() {
            let address = canonical(hop.parse::<IpAddr>().ok()?);
            if !trusted(&address) {
                return Some(address);
            }
        }
        None
    }

    /// `Ok(sender)` when the sender ([`SourceCheck::sender`]) is an allowed
    /// address; otherwise [`CallbackError::SourceNotAllowed`] or
    /// [`CallbackError::SourceUnknown`].
    pub fn check(&self, peer: IpAddr, forwarded_for: &[&str]) -> Result<IpAddr, CallbackError> {
        let sender = self.sender(peer, forwarded_for).ok_or(CallbackError::SourceUnknown {
            reason: "a forwarded hop is not an address, or every hop is a trusted proxy",
        })?;
        if self.allowed.iter().any(|net| net.contains(&sender)) {
            Ok(sender)
        } else {
            Err(CallbackError::SourceNotAllowed { sender })
        }
    }
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:195.158.26.90`) as
/// the IPv4 address it is.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_sender_and_the_header_is_ignored() {
        let check = SourceCheck::allow(["195.158.26.90"]).unwrap();
        assert_eq!(check.sender(ip("203.0.113.9"), &["195.158.26.90"]), Some(ip("203.0.113.9")));
        assert!(check.check(ip("203.0.113.9"), &["195.158.26.90"]).is_err(), "a forged header changes nothing");
        assert_eq!(check.check(ip("195.158.26.90"), &[]).unwrap(), ip("195.158.26.90"));
        assert_eq!(check.check(ip("::ffff:195.158.26.90"), &[]).unwrap(), ip("195.158.26.90"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_sender() {
        let check = SourceCheck::allow(["195.158.26.0/24"]).unwrap().with_trusted_proxies(["10.0.0.0/8"]).unwrap();
        // The client wrote the left-most hop itself: never believed.
        assert_eq!(check.sender(ip("10.0.0.2"), &["195.158.26.90, 203.0.113.9"]), Some(ip("203.0.113.9")));
        assert_eq!(check.sender(ip("10.0.0.2"), &["195.158.26.90", "10.0.0.7"]), Some(ip("195.158.26.90")));
        assert_eq!(check.sender(ip("10.0.0.2"), &["10.0.0.7"]), None, "every hop a trusted proxy");
        assert_eq!(check.sender(ip("10.0.0.2"), &["195.158.26.90, not-an-address"]), None);
        assert!(matches!(
            check.check(ip("10.0.0.2"), &["1.2.3.4, 195.158.26.91"]),
            Ok(sender) if sender == ip("195.158.26.91")
        ));
    }

    #[test]
    fn lists_are_checked_where_they_are_given() {
        assert!(matches!(SourceCheck::allow(Vec::<&str>::new()), Err(CallbackError::NoAddress)));
        assert!(matches!(
            SourceCheck::allow(["195.158.26.90", "nonsense"]),
            Err(CallbackError::InvalidAddress { list: "allowed addresses", position: 1 })
        ));
        let check = SourceCheck::allow(["195.158.26.90"]).unwrap();
        assert!(matches!(
            check.with_trusted_proxies(["10.0.0.0/33"]),
            Err(CallbackError::InvalidAddress { list: "trusted proxies", position: 0 })
        ));
    }
}
