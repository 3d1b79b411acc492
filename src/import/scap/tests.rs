//! Tests against the committed sample captures.
