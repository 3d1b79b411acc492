//! casefile: forensics capture and replay.

fn main() {}
