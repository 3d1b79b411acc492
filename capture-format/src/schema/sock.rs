//! Socket addresses in records: address families, layer-4 protocols and the connection tuple
//! [`Sock`].

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Address families, as the kernel numbers them.
pub mod af {
    /// `AF_UNIX`.
    pub const UNIX: u8 = 1;
    /// `AF_INET`.
    pub const INET: u8 = 2;
    /// `AF_INET6`.
    pub const INET6: u8 = 10;
    /// `AF_NETLINK`.
    pub const NETLINK: u8 = 16;
}

/// Layer-4 protocols, as IANA numbers them.
pub mod l4 {
    /// Unknown.
    pub const UNKNOWN: u8 = 0;
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// Raw.
    pub const RAW: u8 = 255;
}

/// An IPv4/IPv6 socket address or connection tuple. For a tuple, `src` is the local end as the
/// kernel sees it for connect/send and the remote end for accept is `src` too: the tuple is
/// always client → server when known (`src` = client), as sysdig renders it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Sock {
    /// [`af`] family.
    pub family: u8,
    /// [`l4`] protocol.
    pub proto: u8,
    /// Source (client) address; IPv4 in the first 4 bytes.
    pub src: [u8; 16],
    /// Source port.
    pub sport: u16,
    /// Destination (server) address.
    pub dst: [u8; 16],
    /// Destination port.
    pub dport: u16,
}

impl Sock {
    /// An IPv4 tuple.
    pub fn v4(proto: u8, src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Sock {
        let mut s = Sock {
            family: af::INET,
            proto,
            sport,
            dport,
            ..Sock::default()
        };
        s.src[..4].copy_from_slice(&src);
        s.dst[..4].copy_from_slice(&dst);
        s
    }

    /// The source address.
    pub fn src_ip(&self) -> IpAddr {
        ip(self.family, &self.src)
    }

    /// The destination address.
    pub fn dst_ip(&self) -> IpAddr {
        ip(self.family, &self.dst)
    }

    /// Whether the source end is set.
    pub fn has_src(&self) -> bool {
        self.sport != 0 || self.src != [0; 16]
    }
}

fn ip(family: u8, b: &[u8; 16]) -> IpAddr {
    if family == af::INET6 {
        IpAddr::V6(Ipv6Addr::from(*b))
    } else {
        IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
    }
}

impl fmt::Display for Sock {
    /// `src:sport->dst:dport`, or `dst:dport` when only one end is known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = |f: &mut fmt::Formatter<'_>, a: IpAddr, p: u16| match a {
            IpAddr::V6(v6) => write!(f, "[{v6}]:{p}"),
            IpAddr::V4(v4) => write!(f, "{v4}:{p}"),
        };
        if self.has_src() {
            end(f, self.src_ip(), self.sport)?;
            f.write_str("->")?;
        }
        end(f, self.dst_ip(), self.dport)
    }
}
