//! Importers of foreign capture formats into the shared record schema.
//!
//! Each importer reads a foreign file as a stream of [`capture_format::schema::Event`]s (state
//! records first, then events), so `casefile import` can write it into a `.case` file and the
//! reading commands can open the foreign file directly.

// The importers are a library inside the binary: their full API (format constants, the slice
// reader, accessors for the reading commands) is not all used by `casefile import` itself.
#![allow(
    dead_code,
    reason = "library-style API used by tests and other commands"
)]

pub mod scap;
