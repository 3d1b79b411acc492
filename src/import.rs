//! Importers of foreign capture formats into the shared record schema.
//!
//! Each importer reads a foreign file as a stream of [`capture_format::schema::Event`]s (state
//! records first, then events), so `casefile import` can write it into a `.case` file and the
//! reading commands can open the foreign file directly.

pub mod scap;
