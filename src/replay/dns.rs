//! Names for addresses, learned from the DNS answers a capture holds (`fd.sip.name`,
//! `fd.cip.name`, `fd.lip.name`, `fd.rip.name`).
//!
//! libs resolves the names a filter mentions by asking DNS itself while it runs; a capture
//! replayed later cannot do that honestly (the answers may have changed). Instead replay reads
//! the answers the recorded programs received: every read or receive on a UDP or TCP socket
//! whose server port is 53, within the payload snippet the recorder kept (`--snaplen`). Each
//! A or AAAA record of an answer maps its address to the name the question asked for (the
//! name the program looked up, before any CNAME), lower case, without the final dot. A later
//! answer for the same address replaces the earlier one, so an event sees the name last
//! answered before it.
//!
//! What this cannot know: answers not in the capture (resolved before the recording started,
//! cached by a local resolver that the capture does not include, or sent over DNS-over-TLS or
//! HTTPS), answers cut by the snaplen (each record is kept only if it was captured whole), and
//! names of addresses nobody looked up. Such addresses have no name: the fields are empty.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Whether a field reads names learned here.
pub fn is_name_field(fid: super::fields::Fid) -> bool {
    use super::fields::Fid;
    matches!(
        fid,
        Fid::FdCipName | Fid::FdSipName | Fid::FdLipName | Fid::FdRipName
    )
}

/// The DNS server port.
pub const DNS_PORT: u16 = 53;

/// Address → name, from the answers seen so far.
#[derive(Clone, Debug, Default)]
pub struct DnsNames {
    by_ip: HashMap<IpAddr, Arc<str>>,
}

impl DnsNames {
    /// The name last answered for `ip`.
    pub fn name(&self, ip: IpAddr) -> Option<&str> {
        self.by_ip.get(&ip).map(|n| &**n)
    }

    /// Learns from data received on a DNS socket: a whole message over UDP, or messages with
    /// their two-byte length prefix over TCP. Returns how many addresses were learned.
    pub fn learn(&mut self, data: &[u8], tcp: bool) -> usize {
        if !tcp {
            return self.learn_message(data);
        }
        let mut n = 0;
        let mut rest = data;
        while rest.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            let msg = &rest[2..];
            n += self.learn_message(&msg[..len.min(msg.len())]);
            if msg.len() <= len {
                break;
            }
            rest = &msg[len..];
        }
        n
    }

    fn learn_message(&mut self, msg: &[u8]) -> usize {
        let Some((qname, addrs)) = parse_answer(msg) else {
            return 0;
        };
        let name: Arc<str> = Arc::from(qname);
        for ip in &addrs {
            self.by_ip.insert(*ip, name.clone());
        }
        addrs.len()
    }
}

/// The question's name and the addresses of the A/AAAA records of a DNS response, as far as
/// `msg` holds whole records. `None` for anything that is not a successful response.
pub fn parse_answer(msg: &[u8]) -> Option<(String, Vec<IpAddr>)> {
    let u16_at =
        |i: usize| -> Option<u16> { Some(u16::from_be_bytes([*msg.get(i)?, *msg.get(i + 1)?])) };
    let flags = u16_at(2)?;
    // A response (QR), a standard query (opcode 0), no error (rcode 0).
    if flags & 0x8000 == 0 || flags & 0x7800 != 0 || flags & 0x000f != 0 {
        return None;
    }
    let (qd, an) = (u16_at(4)?, u16_at(6)?);
    if qd == 0 || an == 0 {
        return None;
    }
    let mut pos = 12;
    let qname = read_name(msg, pos)?;
    for _ in 0..qd {
        pos = skip_name(msg, pos)? + 4; // type, class
    }
    let mut addrs = Vec::new();
    for _ in 0..an {
        let Some(p) = skip_name(msg, pos) else { break };
        let (Some(ty), Some(rdlen)) = (u16_at(p), u16_at(p + 8)) else {
            break;
        };
        let data = p + 10;
        let Some(rdata) = msg.get(data..data + usize::from(rdlen)) else {
            break;
        };
        match (ty, rdata.len()) {
            (1, 4) => addrs.push(IpAddr::V4(Ipv4Addr::new(
                rdata[0], rdata[1], rdata[2], rdata[3],
            ))),
            (28, 16) => {
                let mut b = [0u8; 16];
                b.copy_from_slice(rdata);
                addrs.push(IpAddr::V6(Ipv6Addr::from(b)));
            }
            _ => {}
        }
        pos = data + usize::from(rdlen);
    }
    (!addrs.is_empty() && !qname.is_empty()).then_some((qname, addrs))
}

/// The end of the (possibly compressed) name at `pos`.
fn skip_name(msg: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = *msg.get(pos)?;
        match len {
            0 => return Some(pos + 1),
            l if l & 0xc0 == 0xc0 => return Some(pos + 2).filter(|&e| e <= msg.len()),
            l if l & 0xc0 == 0 => pos += 1 + usize::from(l),
            _ => return None,
        }
    }
}

/// The name at `pos`, following compression pointers (at most 32, so loops end), lower case,
/// labels joined by dots.
fn read_name(msg: &[u8], mut pos: usize) -> Option<String> {
    let mut out = String::new();
    let mut jumps = 0;
    loop {
        let len = *msg.get(pos)?;
        match len {
            0 => return Some(out),
            l if l & 0xc0 == 0xc0 => {
                jumps += 1;
                if jumps > 32 {
                    return None;
                }
                pos = usize::from(u16::from_be_bytes([l, *msg.get(pos + 1)?]) & 0x3fff);
            }
            l if l & 0xc0 == 0 => {
                let label = msg.get(pos + 1..pos + 1 + usize::from(l))?;
                if !out.is_empty() {
                    out.push('.');
                }
                out.extend(label.iter().map(|&c| char::from(c.to_ascii_lowercase())));
                if out.len() > 255 {
                    return None;
                }
                pos += 1 + usize::from(l);
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response for `name` with the given A records, the answers' names compressed.
    pub fn response(name: &str, v4: &[[u8; 4]]) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, v4.len() as u8, 0, 0, 0, 0];
        for l in name.split('.') {
            m.push(l.len() as u8);
            m.extend_from_slice(l.as_bytes());
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        for a in v4 {
            m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            m.extend_from_slice(a);
        }
        m
    }

    #[test]
    fn answers_map_addresses_to_the_question() {
        let mut d = DnsNames::default();
        let m = response("Example.COM", &[[93, 184, 216, 34], [93, 184, 216, 35]]);
        assert_eq!(d.learn(&m, false), 2);
        let ip = |a: [u8; 4]| IpAddr::V4(Ipv4Addr::from(a));
        assert_eq!(d.name(ip([93, 184, 216, 35])), Some("example.com"));
        // A later answer wins.
        d.learn(&response("other.test", &[[93, 184, 216, 35]]), false);
        assert_eq!(d.name(ip([93, 184, 216, 35])), Some("other.test"));
        assert_eq!(d.name(ip([93, 184, 216, 34])), Some("example.com"));
    }

    #[test]
    fn tcp_messages_carry_a_length_prefix() {
        let m = response("a.test", &[[10, 0, 0, 1]]);
        let mut framed = (m.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&m);
        let mut d = DnsNames::default();
        assert_eq!(d.learn(&framed, true), 1);
    }

    #[test]
    fn cut_queries_and_errors_teach_nothing() {
        let m = response("a.test", &[[10, 0, 0, 1], [10, 0, 0, 2]]);
        let mut d = DnsNames::default();
        // Cut inside the second record: only the first is whole.
        assert_eq!(d.learn(&m[..m.len() - 2], false), 1);
        let mut query = m.clone();
        query[2] &= 0x7f;
        assert_eq!(DnsNames::default().learn(&query, false), 0);
        let mut nx = m.clone();
        nx[3] |= 3;
        assert_eq!(DnsNames::default().learn(&nx, false), 0);
        // A pointer loop ends.
        let mut lp = m;
        lp[12] = 0xc0;
        lp[13] = 12;
        assert_eq!(DnsNames::default().learn(&lp, false), 0);
        let whole = response("x.y", &[[1, 2, 3, 4]]);
        for n in 0..whole.len() {
            assert_eq!(DnsNames::default().learn(&whole[..n], false), 0);
        }
        assert_eq!(DnsNames::default().learn(&whole, false), 1);
    }
}
