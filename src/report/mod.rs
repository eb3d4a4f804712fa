//! Ops reports (placeholder until the report module lands).
